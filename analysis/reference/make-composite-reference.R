#!/usr/bin/env Rscript
# Reference values for every composite SIPAS index, with intervals, under two designs, from R's
# survey package (METHODOLOGY.md §3-§4). Reads index-data.csv (written by
# make-index-reference.R) and writes:
#   index-clustered.csv      the same respondents in 6 PSUs per stratum (2-stage design)
#   composite-reference.csv  design, name, estimate, se, ci_low, ci_high, df
# Item, factor and overall indices: svyratio(s_k, v_k, covmat = TRUE) then svycontrast.
# Respondent-level factor index: svyratio(share of the factor's answered items satisfied,
# answered any of them). Comprehensive index: svyratio(satisfied on every answered item,
# answered any). Intervals: logit, as svyciprop(method = "logit") makes them, on the contrast's
# linearised SE with Student t on degf(design).
# Run from the repository root: Rscript analysis/reference/make-composite-reference.R

suppressPackageStartupMessages(library(survey))
out <- "analysis/reference"
d <- read.csv(file.path(out, "index-data.csv"))
n <- nrow(d)
# PSUs: respondents of a stratum dealt round-robin into 6 clusters; 40 PSUs per stratum in the
# population (fpc), so both stages of the design matter.
d$psu <- ave(seq_len(n), d$stratum, FUN = function(i) (seq_along(i) - 1) %% 6 + 1) + 10 * d$stratum
d$npsu <- 40
write.csv(d[, c("stratum", "psu", paste0("y", 1:6), "npsu", "w")],
          file.path(out, "index-clustered.csv"), row.names = FALSE, na = "")

factors <- list(1:2, 3:5, 6)
for (k in 1:6) {
  y <- d[[paste0("y", k)]]
  d[[paste0("s", k)]] <- as.numeric(!is.na(y) & y >= 4)
  d[[paste0("v", k)]] <- as.numeric(!is.na(y))
}
for (j in seq_along(factors)) {
  s <- rowSums(d[, paste0("s", factors[[j]]), drop = FALSE])
  v <- rowSums(d[, paste0("v", factors[[j]]), drop = FALSE])
  d[[paste0("share", j)]] <- ifelse(v > 0, s / v, 0)
  d[[paste0("ans", j)]] <- as.numeric(v > 0)
}
sat <- rowSums(d[, paste0("s", 1:6)]); val <- rowSums(d[, paste0("v", 1:6)])
d$allsat <- as.numeric(val > 0 & sat == val)
d$anyans <- as.numeric(val > 0)

logit_ci <- function(p, se, df) {
  half <- qt(0.975, df) * se / (p * (1 - p))
  plogis(qlogis(p) + c(-1, 1) * half)
}

reference <- function(des, label) {
  r <- svyratio(~s1 + s2 + s3 + s4 + s5 + s6, ~v1 + v2 + v3 + v4 + v5 + v6, des, covmat = TRUE)
  diag_pos <- sapply(1:6, function(k) (k - 1) * 6 + k)
  coefs <- function(weights) { v <- rep(0, 36); v[diag_pos] <- weights; v }
  f1 <- c(.5, .5, 0, 0, 0, 0); f2 <- c(0, 0, 1/3, 1/3, 1/3, 0); f3 <- c(0, 0, 0, 0, 0, 1)
  con <- svycontrast(r, list(item1 = coefs(c(1, 0, 0, 0, 0, 0)), factor1 = coefs(f1),
                             factor2 = coefs(f2), factor3 = coefs(f3),
                             overall = coefs((f1 + f2 + f3) / 3)))
  est <- coef(con); se <- SE(con)
  for (j in seq_along(factors)) {
    rr <- svyratio(as.formula(paste0("~share", j)), as.formula(paste0("~ans", j)), des)
    est[paste0("factor", j, "_respondent")] <- coef(rr); se[paste0("factor", j, "_respondent")] <- SE(rr)
  }
  rr <- svyratio(~allsat, ~anyans, des)
  est["comprehensive"] <- coef(rr); se["comprehensive"] <- SE(rr)
  df <- degf(des)
  ci <- t(mapply(logit_ci, est, se, MoreArgs = list(df = df)))
  data.frame(design = label, name = names(est), estimate = sprintf("%.15g", est),
             se = sprintf("%.15g", se), ci_low = sprintf("%.15g", ci[, 1]),
             ci_high = sprintf("%.15g", ci[, 2]), df = df)
}

stratified <- svydesign(id = ~1, strata = ~stratum, weights = ~w, fpc = ~pop, data = d)
clustered <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~npsu, data = d)
res <- rbind(reference(stratified, "stratified"), reference(clustered, "clustered"))
write.csv(res, file.path(out, "composite-reference.csv"), row.names = FALSE)
print(res)
