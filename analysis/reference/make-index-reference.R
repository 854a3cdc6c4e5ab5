#!/usr/bin/env Rscript
# Reference values for composite SIPAS indices (factor and overall), from R's survey package:
# item indices by svyratio(satisfied, valid, covmat = TRUE), then factor and overall indices
# by svycontrast, the way METHODOLOGY.md §4 describes. Run from the repository root:
#   Rscript analysis/reference/make-index-reference.R

suppressPackageStartupMessages(library(survey))
out <- "analysis/reference"
set.seed(20171010)

# 6 items on the 5-level scale, some "no opinion" (NA); factors {1,2}, {3,4,5}, {6};
# 5 strata (agencies) of different quality, unequal weights, known population sizes.
n <- 600
stratum <- sample(1:5, n, replace = TRUE, prob = c(.3, .25, .2, .15, .1))
quality <- c(.85, .75, .7, .6, .9)[stratum]
item <- function(shift, missing) {
  sat <- runif(n) < pmin(.98, quality + shift)
  v <- ifelse(sat, sample(4:5, n, TRUE), sample(1:3, n, TRUE))
  v[runif(n) < missing] <- NA
  v
}
d <- data.frame(stratum = stratum,
                y1 = item(-.05, .02), y2 = item(0, .05), y3 = item(.05, .01),
                y4 = item(0, .03), y5 = item(-.1, .10), y6 = item(.02, .02))
pop <- c(9000, 7000, 5000, 4000, 3000)
d$pop <- pop[d$stratum]
nh <- table(d$stratum)
d$w <- d$pop / as.numeric(nh[as.character(d$stratum)]) * runif(n, .8, 1.2)
write.csv(d, file.path(out, "index-data.csv"), row.names = FALSE, na = "")

for (k in 1:6) {
  y <- d[[paste0("y", k)]]
  d[[paste0("s", k)]] <- as.numeric(!is.na(y) & y >= 4)
  d[[paste0("v", k)]] <- as.numeric(!is.na(y))
}
des <- svydesign(id = ~1, strata = ~stratum, weights = ~w, fpc = ~pop, data = d)
r <- svyratio(~s1 + s2 + s3 + s4 + s5 + s6, ~v1 + v2 + v3 + v4 + v5 + v6, des, covmat = TRUE)
# Ratios come numerator-major over all 36 pairs; keep s_k / v_k.
diag_pos <- sapply(1:6, function(k) (k - 1) * 6 + k)
coefs <- function(weights) { v <- rep(0, 36); v[diag_pos] <- weights; v }
f1 <- c(.5, .5, 0, 0, 0, 0); f2 <- c(0, 0, 1/3, 1/3, 1/3, 0); f3 <- c(0, 0, 0, 0, 0, 1)
overall <- (f1 + f2 + f3) / 3
con <- svycontrast(r, list(item1 = coefs(c(1, 0, 0, 0, 0, 0)), factor1 = coefs(f1),
                           factor2 = coefs(f2), factor3 = coefs(f3), overall = coefs(overall)))
res <- data.frame(name = names(coef(con)), estimate = sprintf("%.15g", coef(con)),
                  se = sprintf("%.15g", SE(con)), df = degf(des))
write.csv(res, file.path(out, "index-reference.csv"), row.names = FALSE)
print(res)
