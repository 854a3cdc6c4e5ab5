#!/usr/bin/env Rscript
# Reference values for funnel plots with overdispersion (Spiegelhalter 2005, Statistics in
# Medicine 24:1185-1202, section 6) and Benjamini-Hochberg tiers (issue #18, points 2-3),
# computed here in R from the paper's formulas, independently of the Rust code:
#   z_i   = (y_i - theta0) / S_i, S_i = sigma / sqrt(n_i)
#   phi   = mean of z_i^2 after Winsorising z at its 10% and 90% quantiles (R's quantile(), type 7)
#   test  = P(chi^2 with I - 1 df >= I * phi); widen when below 0.05
#   tau^2 = max(0, (I * phi - (I - 1)) / (sum(w) - sum(w^2) / sum(w))), w_i = 1 / S_i^2
#   p_i   = 2 * (1 - pnorm(|y_i - theta0| / sqrt(S_i^2 + tau^2))), adjusted by p.adjust("BH")
# Writes funnel-units.csv (unit, y, n), funnel-reference.csv (phi, p_value, tau2) and
# funnel-tiers.csv (unit, p_value, p_adjusted).
# Run from the repository root: Rscript analysis/reference/make-funnel-reference.R

out <- "analysis/reference"
set.seed(2005)
theta0 <- 0.78; sigma <- sqrt(theta0 * (1 - theta0))
n <- round(exp(runif(20, log(40), log(4000))))
true <- plogis(qlogis(theta0) + rnorm(20, 0, 0.45))   # units truly differ: overdispersed
y <- rbinom(20, n, true) / n
units <- data.frame(unit = 1:20, y = sprintf("%.15g", y), n = n)
write.csv(units, file.path(out, "funnel-units.csv"), row.names = FALSE)

S <- sigma / sqrt(n)
z <- (y - theta0) / S
q <- quantile(z, c(0.1, 0.9))
zw <- pmin(pmax(z, q[1]), q[2])
I <- length(z)
phi <- mean(zw^2)
p_value <- pchisq(I * phi, I - 1, lower.tail = FALSE)
w <- 1 / S^2
tau2 <- if (p_value < 0.05) max(0, (I * phi - (I - 1)) / (sum(w) - sum(w^2) / sum(w))) else 0
p <- 2 * pnorm(abs(y - theta0) / sqrt(S^2 + tau2), lower.tail = FALSE)
write.csv(data.frame(theta0 = sprintf("%.15g", theta0), sigma = sprintf("%.15g", sigma),
                     phi = sprintf("%.15g", phi), p_value = sprintf("%.15g", p_value),
                     tau2 = sprintf("%.15g", tau2)),
          file.path(out, "funnel-reference.csv"), row.names = FALSE)
write.csv(data.frame(unit = 1:20, p_value = sprintf("%.15g", p),
                     p_adjusted = sprintf("%.15g", p.adjust(p, "BH"))),
          file.path(out, "funnel-tiers.csv"), row.names = FALSE)
print(c(phi = phi, p_value = p_value, tau2 = tau2))

# Exact binomial limits for a single question's share while tau^2 = 0 (Spiegelhalter 2005,
# appendix A.1.1): r = qbinom(p, n, theta0), a = (F(r) - p) / (F(r) - F(r - 1)), limit (r - a) / n;
# and the two-sided exact p-value of x, min(1, 2 min(P(X <= x), P(X >= x))).
# Writes funnel-exact.csv (n, p, limit) and funnel-exact-p.csv (n, x, p_value).
exact <- expand.grid(n = c(25, 60, 150, 400, 1200), p = c(0.025, 0.975, pnorm(-3.09), pnorm(3.09)))
exact$limit <- mapply(function(n, p) {
  r <- qbinom(p, n, theta0)
  f <- pbinom(r, n, theta0); below <- pbinom(r - 1, n, theta0)
  a <- if (f > below) (f - p) / (f - below) else 0
  min(1, max(0, (r - a) / n))
}, exact$n, exact$p)
write.csv(data.frame(n = exact$n, p = sprintf("%.17g", exact$p), limit = sprintf("%.15g", exact$limit)),
          file.path(out, "funnel-exact.csv"), row.names = FALSE)
px <- data.frame(n = c(25, 25, 60, 150, 400, 1200), x = c(14, 25, 40, 130, 290, 960))
px$p_value <- mapply(function(n, x) min(1, 2 * min(pbinom(x, n, theta0),
                                                     pbinom(x - 1, n, theta0, lower.tail = FALSE))),
                     px$n, px$x)
write.csv(data.frame(n = px$n, x = px$x, p_value = sprintf("%.15g", px$p_value)),
          file.path(out, "funnel-exact-p.csv"), row.names = FALSE)
