#!/usr/bin/env Rscript
# Reference values for the dashboard's intervals under the desk stream's design (issue #18,
# point 1), from R's survey package on the dashboard's own microdata export
# (desk-microdata.csv, written by tests/it/exports.rs with SIPAS_WRITE_REFERENCE=1: three
# agencies, five desks, one agency with a single desk).
#   design: svydesign(ids = ~desk, strata = ~agency, nest = TRUE), lonely.psu = "adjust"
#   items:  svyratio(satisfied, answered) with the logit interval on t(degf(design)), which is
#           svyciprop(method = "logit")'s (checked)
#   overall: the mean of the five factor questions' ratios, by svycontrast, logit interval
# Writes desk-microdata-reference.csv: name, estimate, se, ci_low, ci_high, df.
# Run from the repository root: Rscript analysis/reference/make-desk-microdata-reference.R

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
out <- "analysis/reference"
d <- read.csv(file.path(out, "desk-microdata.csv"), fileEncoding = "UTF-8-BOM",
              check.names = FALSE, stringsAsFactors = FALSE)
items <- c("F1", "F2", "F3", "F4", "F5", "OVERALL")
for (k in seq_along(items)) {
  y <- d[[items[k]]]
  d[[paste0("s", k)]] <- as.numeric(!is.na(y) & y >= 4)
  d[[paste0("v", k)]] <- as.numeric(!is.na(y))
}
d$one <- 1
des <- svydesign(ids = ~desk, strata = ~agency, weights = ~one, nest = TRUE, data = d)
df <- degf(des)
logit_ci <- function(p, se) {
  half <- qt(0.975, df) * se / (p * (1 - p))
  plogis(qlogis(p) + c(-1, 1) * half)
}
rows <- list()
for (k in seq_along(items)) {
  r <- svyratio(as.formula(paste0("~s", k)), as.formula(paste0("~v", k)), des)
  p <- as.numeric(coef(r)); se <- as.numeric(SE(r)); ci <- logit_ci(p, se)
  sub <- subset(des, !is.na(des$variables[[items[k]]]))
  check <- svyciprop(as.formula(paste0("~I(", items[k], " >= 4)")), sub, method = "logit")
  stopifnot(max(abs(as.numeric(confint(check)) - ci)) < 1e-7)
  rows[[k]] <- data.frame(name = items[k], estimate = p, se = se, ci_low = ci[1],
                          ci_high = ci[2], df = df)
}
r <- svyratio(~s1 + s2 + s3 + s4 + s5, ~v1 + v2 + v3 + v4 + v5, des, covmat = TRUE)
w <- rep(0, 25); w[sapply(1:5, function(k) (k - 1) * 5 + k)] <- 1 / 5
con <- svycontrast(r, list(overall = w))
p <- as.numeric(coef(con)); se <- as.numeric(SE(con)); ci <- logit_ci(p, se)
rows[[7]] <- data.frame(name = "overall", estimate = p, se = se, ci_low = ci[1],
                        ci_high = ci[2], df = df)
res <- do.call(rbind, rows)
for (col in c("estimate", "se", "ci_low", "ci_high")) res[[col]] <- sprintf("%.15g", res[[col]])
write.csv(res, file.path(out, "desk-microdata-reference.csv"), row.names = FALSE)
print(res)
