#!/usr/bin/env Rscript
# Reference values for the desk stream's indices under its design (issue #18, point 1): ratings
# clustered by desk (the same staff, the same day) within agency strata, from R's survey
# package. Writes:
#   desk-stream.csv     agency, desk, day, y1..y6 (y1..y5 the five factor questions, y6 the
#                       overall question; empty = no answer)
#   desk-reference.csv  case, name, estimate, se, ci_low, ci_high, df
# Design: svydesign(ids = ~desk, strata = ~agency), options(survey.lonely.psu = "adjust").
# Items: svyratio(satisfied, answered) with the logit interval on t(df), checked against
# svyciprop(method = "logit") on the raters who answered wherever it gives one; an item that
# everyone (or no one) rated satisfied has Clopper-Pearson's interval (binom.test). Overall:
# svyratio of the five factor items then svycontrast of their mean, logit interval with t on
# degf(design) (as svyciprop makes it). Cases:
#   all       every agency (agency 3 and 6 have one desk each: lonely strata, adjusted)
#   agency2   one agency with four desks
#   single    agency 3 alone: one desk, so R has no variance to give (df 0); our documented rule
#             takes its ratings as independent: svydesign(ids = ~1), df = n - 1
#   lonely    agencies 3 and 6 together: every stratum has one desk, degf = 0; our documented
#             rule collapses the strata: svydesign(ids = ~desk), df = desks - 1 = 1
# Run from the repository root: Rscript analysis/reference/make-desk-reference.R

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
out <- "analysis/reference"
set.seed(18)
desks_per_agency <- c(3, 4, 1, 2, 5, 1)
rows <- list(); desk_id <- 0
for (a in seq_along(desks_per_agency)) {
  for (k in seq_len(desks_per_agency[a])) {
    desk_id <- desk_id + 1
    n <- sample(25:70, 1)
    effect <- rnorm(1, 0, 0.6)            # the desk's staff: ratings cluster
    day <- sample(1:20, n, replace = TRUE)
    ys <- sapply(1:6, function(i) {
      latent <- 3.6 + effect + rnorm(n, 0, 1.0)
      y <- pmin(5, pmax(1, round(latent)))
      y[runif(n) < 0.08] <- NA           # no opinion
      y
    })
    rows[[desk_id]] <- data.frame(agency = a, desk = 100 + desk_id, day = day, ys)
  }
}
d <- do.call(rbind, rows)
names(d)[4:9] <- paste0("y", 1:6)
write.csv(d, file.path(out, "desk-stream.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(out, "desk-stream.csv"))

for (k in 1:6) {
  y <- d[[paste0("y", k)]]
  d[[paste0("s", k)]] <- as.numeric(!is.na(y) & y >= 4)
  d[[paste0("v", k)]] <- as.numeric(!is.na(y))
}
logit_ci <- function(p, se, df) {
  half <- qt(0.975, df) * se / (p * (1 - p))
  plogis(qlogis(p) + c(-1, 1) * half)
}

reference <- function(des, label, df) {
  res <- list()
  for (k in 1:6) {
    r <- svyratio(as.formula(paste0("~s", k)), as.formula(paste0("~v", k)), des)
    p <- as.numeric(coef(r)); se <- as.numeric(SE(r))
    answered <- sum(des$variables[[paste0("v", k)]])
    if (p <= 0 || p >= 1) {
      # Everyone (or no one) satisfied: no logit interval; Clopper-Pearson on the raters.
      ci <- as.numeric(binom.test(round(p * answered), answered)$conf.int)
    } else {
      ci <- logit_ci(p, se, df)
      if (df > 1) {
        # svyciprop(method = "logit") makes the same interval (to its glm's tolerance).
        sub <- subset(des, !is.na(des$variables[[paste0("y", k)]]))
        check <- svyciprop(as.formula(paste0("~I(y", k, " >= 4)")), sub, method = "logit", df = df)
        stopifnot(max(abs(as.numeric(confint(check)) - ci)) < 1e-7)
      }
    }
    res[[k]] <- data.frame(case = label, name = paste0("item", k), estimate = p,
                           se = se, ci_low = ci[1], ci_high = ci[2], df = df)
  }
  r <- svyratio(~s1 + s2 + s3 + s4 + s5, ~v1 + v2 + v3 + v4 + v5, des, covmat = TRUE)
  diag_pos <- sapply(1:5, function(k) (k - 1) * 5 + k)
  w <- rep(0, 25); w[diag_pos] <- 1 / 5
  con <- svycontrast(r, list(overall = w))
  p <- as.numeric(coef(con)); se <- as.numeric(SE(con))
  ci <- logit_ci(p, se, df)
  res[[7]] <- data.frame(case = label, name = "overall", estimate = p, se = se,
                         ci_low = ci[1], ci_high = ci[2], df = df)
  do.call(rbind, res)
}

d$one <- 1
clustered <- function(rows) svydesign(ids = ~desk, strata = ~agency, weights = ~one, data = rows)
all <- clustered(d)
agency2 <- clustered(d[d$agency == 2, ])
single <- svydesign(ids = ~1, weights = ~one, data = d[d$agency == 3, ])
lonely <- svydesign(ids = ~desk, weights = ~one, data = d[d$agency %in% c(3, 6), ])
res <- rbind(
  reference(all, "all", degf(all)),
  reference(agency2, "agency2", degf(agency2)),
  reference(single, "single", degf(single)),
  reference(lonely, "lonely", degf(lonely))
)
fmt <- function(x) sprintf("%.15g", x)
res$estimate <- fmt(res$estimate); res$se <- fmt(res$se)
res$ci_low <- fmt(res$ci_low); res$ci_high <- fmt(res$ci_high)
write.csv(res, file.path(out, "desk-reference.csv"), row.names = FALSE)
print(res)
