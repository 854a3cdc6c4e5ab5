#!/usr/bin/env Rscript
# Reference values for a wave of the annual survey (issue #8, point 8), from R's survey package
# on the wave's own export (`sipas wave export-responses`): a stratified simple random sample of
# each agency's frame, weights N_h / r_h after the non-response adjustment, fpc from N_h.
# Reads wave-responses.csv (written by tests/it/wave_results.rs with SIPAS_WRITE_REFERENCE=1)
# and writes wave-reference.csv: level, agency, index, estimate, se, ci_low, ci_high, df.
# Item indices: svyratio(satisfied_k, valid_k, covmat = TRUE); factor index: the mean of its
# criteria's item indices and SIPAS the mean of the factor indices, both by svycontrast;
# intervals: logit with Student t on degf(design), as svyciprop(method = "logit").
# Agencies: subset(design, stratum == h). A stratum with one respondent: lonely.psu = "remove".
# Also the share choosing each area to improve (EXPECT.1 … EXPECT.5) among those who chose any,
# and "comparable": the desk form's SIPAS (mean of the factor-level questions) on the sample.
# Run from the repository root: Rscript analysis/reference/make-wave-reference.R

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "remove")
out <- "analysis/reference"
d <- read.csv(file.path(out, "wave-responses.csv"), fileEncoding = "UTF-8-BOM",
              check.names = FALSE, stringsAsFactors = FALSE)
# The rated questions: F1, F1.1 … F5.4 and OVERALL (choice columns such as GENDER or
# EXPECT.1 follow them and are not indices).
items <- grep("^(F[0-9]+(\\.[0-9]+)?|OVERALL)$", names(d), value = TRUE)
criteria <- grepl("^F[0-9]+\\.[0-9]+$", items)
factor_of <- sub("\\..*$", "", items)
factor_codes <- unique(factor_of[criteria])
K <- length(items)
for (k in seq_len(K)) {
  y <- d[[items[k]]]
  d[[paste0("s", k)]] <- as.numeric(!is.na(y) & y >= 4)
  d[[paste0("v", k)]] <- as.numeric(!is.na(y))
}

logit_ci <- function(p, se, df) {
  half <- qt(0.975, df) * se / (p * (1 - p))
  plogis(qlogis(p) + c(-1, 1) * half)
}

estimates <- function(des, level, agency) {
  num <- as.formula(paste("~", paste0("s", 1:K, collapse = " + ")))
  den <- as.formula(paste("~", paste0("v", 1:K, collapse = " + ")))
  r <- svyratio(num, den, des, covmat = TRUE)
  diag_pos <- sapply(1:K, function(k) (k - 1) * K + k)
  coefs <- function(w) { v <- rep(0, K * K); v[diag_pos] <- w; v }
  fw <- lapply(factor_codes, function(f) {
    w <- rep(0, K); m <- which(criteria & factor_of == f); w[m] <- 1 / length(m); w
  })
  names(fw) <- paste0("factor:", factor_codes)
  iw <- lapply(1:K, function(k) { w <- rep(0, K); w[k] <- 1; w })
  names(iw) <- paste0("item:", items)
  # The desk form's SIPAS on these respondents: the mean of the factor-level questions (F1 …
  # F5), which both forms ask; the only annual figure comparable with the desk stream's.
  fq <- grep("^F[0-9]+$", items)
  cw <- rep(0, K); cw[fq] <- 1 / length(fq)
  weights <- c(list(SIPAS = Reduce(`+`, fw) / length(fw), comparable = cw), fw, iw)
  con <- svycontrast(r, lapply(weights, coefs))
  est <- coef(con); se <- SE(con); df <- degf(des)
  ci <- t(mapply(logit_ci, est, se, MoreArgs = list(df = df)))
  data.frame(level = level, agency = agency, index = names(weights),
             estimate = sprintf("%.15g", est), se = sprintf("%.15g", se),
             ci_low = sprintf("%.15g", ci[, 1]), ci_high = sprintf("%.15g", ci[, 2]), df = df)
}

# A question with several answers (EXPECT.1 … EXPECT.5, 0/1): the share choosing each option
# among the respondents who chose any, svyratio(chose_j, answered).
choice_cols <- grep("^EXPECT\\.[0-9]+$", names(d), value = TRUE)
d$answered_expect <- as.numeric(rowSums(d[, choice_cols, drop = FALSE]) > 0)

shares <- function(des, level, agency) {
  rows <- lapply(choice_cols, function(col) {
    r <- svyratio(as.formula(paste0("~`", col, "`")), ~answered_expect, des)
    est <- coef(r)[[1]]; se <- SE(r)[[1]]; df <- degf(des)
    ci <- logit_ci(est, se, df)
    data.frame(level = level, agency = agency, index = paste0("choice:", col),
               estimate = sprintf("%.15g", est), se = sprintf("%.15g", se),
               ci_low = sprintf("%.15g", ci[1]), ci_high = sprintf("%.15g", ci[2]), df = df)
  })
  do.call(rbind, rows)
}

des <- svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population, data = d)
res <- rbind(estimates(des, "province", ""), shares(des, "province", ""))
for (h in sort(unique(d$stratum))) {
  sub <- subset(des, stratum == h)
  res <- rbind(res, estimates(sub, "agency", h), shares(sub, "agency", h))
}
write.csv(res, file.path(out, "wave-reference.csv"), row.names = FALSE)
cat(nrow(res), "reference values written to", file.path(out, "wave-reference.csv"), "\n")
