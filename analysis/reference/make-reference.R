#!/usr/bin/env Rscript
# Reference values for the golden tests, from R's survey package (Lumley).
#
#   apt-get install -y --no-install-recommends r-base-core r-cran-survey
#   Rscript analysis/reference/make-reference.R     (from the repository root)
#
# Writes the input data (the `api` data sets that ship with survey) as CSV, and reference.csv:
# one line per case and group, with the `sipas analyze` arguments that must reproduce it.
# Confidence intervals use Student t on the design degrees of freedom of the domain
# (degf of the subset design), as svyciprop does; for means and totals: estimate ± t·se.

suppressPackageStartupMessages(library(survey))
out <- "analysis/reference"
data(api)

yn <- function(v) as.integer(v == "Yes")
prep <- function(d) {
  d$sch_wide <- yn(d$sch.wide)
  d$pw <- d$pw
  d[, c("cds", "stype", "dnum", "pw", "fpc", "api00", "api99", "enroll", "sch_wide", "acs.46", "avg.ed")]
}
strat <- prep(apistrat)
clus1 <- prep(apiclus1)
# A stratified cluster design where one stratum has a single PSU (for the lonely-PSU policies):
# keep all of apiclus1's elementary schools, and one district's high schools.
lonely <- clus1[clus1$stype != "M", ]
lonely <- lonely[lonely$stype == "E" | lonely$dnum == lonely$dnum[lonely$stype == "H"][1], ]
lonely$stratum <- lonely$stype
lonely$npsu <- ifelse(lonely$stype == "E", 200, 40)

write.csv(strat, file.path(out, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(clus1, file.path(out, "apiclus1.csv"), row.names = FALSE, na = "")
write.csv(lonely, file.path(out, "lonely.csv"), row.names = FALSE, na = "")

rows <- list()
emit <- function(case, data, args, group, est, se, lo, hi, df, deff) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, data = data, args = args, group = group,
    estimate = sprintf("%.15g", est), se = sprintf("%.15g", se),
    ci_low = sprintf("%.15g", lo), ci_high = sprintf("%.15g", hi),
    df = sprintf("%.15g", df), deff = ifelse(is.na(deff), "", sprintf("%.15g", deff)))
}

tci <- function(est, se, df, level = 0.95) {
  q <- qt(1 - (1 - level) / 2, df)
  c(est - q * se, est + q * se)
}

designs <- list(
  list(name = "strat_fpc", data = "apistrat.csv", args = "--strata stype --weight pw --fpc fpc",
       d = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)),
  list(name = "clus1_fpc", data = "apiclus1.csv", args = "--cluster dnum --weight pw --fpc fpc",
       d = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)),
  list(name = "weights_only", data = "apistrat.csv", args = "--weight pw",
       d = svydesign(id = ~1, weights = ~pw, data = strat)),
  list(name = "strat_no_fpc", data = "apistrat.csv", args = "--strata stype --weight pw",
       d = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat))
)

for (ds in designs) {
  d <- ds$d
  df <- degf(d)
  # svymean with design effect
  m <- svymean(~api00, d, deff = TRUE)
  ci <- tci(coef(m), SE(m), df)
  emit(paste0(ds$name, "_mean"), ds$data, paste(ds$args, "--mean api00"), "",
       coef(m), SE(m), ci[1], ci[2], df, deff(m))
  # svytotal
  t <- svytotal(~enroll, d)
  ci <- tci(coef(t), SE(t), df)
  emit(paste0(ds$name, "_total"), ds$data, paste(ds$args, "--total enroll"), "",
       coef(t), SE(t), ci[1], ci[2], df, NA)
  # svyratio
  r <- svyratio(~api00, ~api99, d)
  se <- sqrt(as.numeric(vcov(r)))
  ci <- tci(as.numeric(coef(r)), se, df)
  emit(paste0(ds$name, "_ratio"), ds$data, paste(ds$args, "--ratio api00 --denominator api99"), "",
       as.numeric(coef(r)), se, ci[1], ci[2], df, NA)
  # svyciprop, logit and beta, at two levels
  for (method in c("logit", "beta")) {
    for (level in c(0.95, 0.9)) {
      p <- svyciprop(~I(api00 >= 700), d, method = method, level = level)
      ci <- confint(p)
      emit(paste0(ds$name, "_prop_", method, "_", level), ds$data,
           paste(ds$args, "--measure api00 --threshold 700 --method", method, "--level", level), "",
           as.numeric(coef(p)), as.numeric(SE(p)), ci[1], ci[2], df, NA)
    }
  }
  # svyby: domains
  by <- svyby(~api00, ~stype, d, svymean, deff = TRUE)
  for (i in seq_len(nrow(by))) {
    g <- as.character(by$stype[i])
    sub <- subset(d, stype == g)
    dfg <- degf(sub)
    ci <- tci(by$api00[i], by$se[i], dfg)
    emit(paste0(ds$name, "_by_mean"), ds$data, paste(ds$args, "--mean api00 --by stype"), g,
         by$api00[i], by$se[i], ci[1], ci[2], dfg, by$DEff.api00[i])
  }
  for (method in c("logit", "beta")) {
    byp <- svyby(~I(api00 >= 700), ~stype, d, svyciprop, vartype = c("se", "ci"), method = method)
    for (i in seq_len(nrow(byp))) {
      g <- as.character(byp$stype[i])
      dfg <- degf(subset(d, stype == g))
      emit(paste0(ds$name, "_by_prop_", method), ds$data,
           paste(ds$args, "--measure api00 --threshold 700 --by stype --method", method), g,
           byp[i, 2], byp$se[i], byp$ci_l[i], byp$ci_u[i], dfg, NA)
    }
  }
}

# Missing values (acs.46 is missing for 66 schools of apistrat, avg.ed for 26 of apiclus1):
# means with na.rm = TRUE and proportions through svyciprop, which drops the missing rows but
# keeps the design's degrees of freedom.
for (ds in designs[1:2]) {
  d <- ds$d
  df <- degf(d)
  for (v in c("acs.46", "avg.ed")) {
    if (all(!is.na(d$variables[[v]]))) next
    m <- svymean(as.formula(paste0("~", v)), d, na.rm = TRUE, deff = TRUE)
    ci <- tci(coef(m), SE(m), df)
    emit(paste0(ds$name, "_mean_na_", v), ds$data, paste(ds$args, "--mean", v), "",
         coef(m), SE(m), ci[1], ci[2], df, deff(m))
    cut <- if (v == "acs.46") 30 else 3
    p <- svyciprop(as.formula(paste0("~I(", v, " >= ", cut, ")")), d, method = "logit")
    ci <- confint(p)
    emit(paste0(ds$name, "_prop_na_", v), ds$data,
         paste(ds$args, "--measure", v, "--threshold", cut, "--method logit"), "",
         as.numeric(coef(p)), as.numeric(SE(p)), ci[1], ci[2], df, NA)
  }
}

# Lonely PSU policies on a stratified cluster design with a one-PSU stratum.
for (policy in c("certainty", "remove", "adjust", "average")) {
  options(survey.lonely.psu = policy)
  d <- svydesign(id = ~dnum, strata = ~stratum, weights = ~pw, fpc = ~npsu, data = lonely, nest = TRUE)
  m <- svymean(~api00, d)
  df <- degf(d)
  ci <- tci(coef(m), SE(m), df)
  emit(paste0("lonely_", policy), "lonely.csv",
       paste("--strata stratum --cluster dnum --weight pw --fpc npsu --mean api00 --lonely-psu", policy), "",
       coef(m), SE(m), ci[1], ci[2], df, NA)
}
options(survey.lonely.psu = "fail")

ref <- do.call(rbind, rows)
write.csv(ref, file.path(out, "reference.csv"), row.names = FALSE)
cat("wrote", nrow(ref), "reference rows with survey", as.character(packageVersion("survey")), "\n")
