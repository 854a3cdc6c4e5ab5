#!/usr/bin/env Rscript
# Reference values for the Fay-Herriot area-level model (issue #18, point 11): EBLUP by REML
# with the Prasad-Rao MSE, on the `milk` data of R's `sae` package (Molina & Marhuenda 2015;
# expenditure on fresh milk in 43 small areas of the Spanish Household Budget Survey). The
# file milk.csv is that data set as PyPI's `samplics` 0.6.1 ships it
# (samplics/datasets/data/expenditure_on_milk.csv: direct_est = yi, std_error = SD,
# major_area = MajorArea).
#
# The `sae` package is not installable here, so this script writes its algorithm out in base R
# (sae::eblupFH with method = "REML": Fisher scoring from A = median(vardir), stopping when a
# step is below 1e-4 of the previous A or after 100 steps; sae::mseFH's g1 + g2 + 2 g3). It is anchored to the
# package's published output for eblupFH(yi ~ as.factor(MajorArea), SD^2, data = milk): fixed
# effects 0.968189, 0.132780, 0.226946, -0.241301 (checked below to 1e-6).
# Writes sae-reference.csv: area, eblup, mse; and sae-fit.csv: A, beta1..beta4.
# Run from the repository root: Rscript analysis/reference/make-sae-reference.R

out <- "analysis/reference"
milk <- read.csv(file.path(out, "milk.csv"))
y <- milk$direct_est
D <- milk$std_error^2
X <- model.matrix(~ as.factor(major_area), data = milk)
m <- length(y); p <- ncol(X)

A <- median(D)
for (k in 1:100) {
  Vi <- 1 / (A + D)
  XtVi <- t(X * Vi)
  Q <- solve(XtVi %*% X)
  P <- diag(Vi) - t(XtVi) %*% Q %*% XtVi
  Py <- P %*% y
  score <- -0.5 * sum(diag(P)) + 0.5 * sum(Py^2)
  info <- 0.5 * sum(P * t(P))
  step <- score / info
  previous <- A
  A <- A + step
  if (abs(step / previous) < 1e-4) break
}
A <- max(A, 0)
Vi <- 1 / (A + D)
Q <- solve(t(X * Vi) %*% X)
beta <- Q %*% t(X * Vi) %*% y
published <- c(0.968189, 0.132780, 0.226946, -0.241301)
stopifnot(max(abs(beta - published)) < 1e-6)

xb <- X %*% beta
gamma <- A / (A + D)
eblup <- xb + gamma * (y - xb)
g1 <- gamma * D
g2 <- (1 - gamma)^2 * rowSums((X %*% Q) * X)
varA <- 2 / sum(Vi^2)
g3 <- (1 - gamma)^2 * Vi * varA
mse <- g1 + g2 + 2 * g3

fmt <- function(x) sprintf("%.15g", x)
write.csv(data.frame(area = milk$small_area, eblup = fmt(eblup), mse = fmt(mse)),
          file.path(out, "sae-reference.csv"), row.names = FALSE)
write.csv(data.frame(A = fmt(A), beta1 = fmt(beta[1]), beta2 = fmt(beta[2]),
                     beta3 = fmt(beta[3]), beta4 = fmt(beta[4])),
          file.path(out, "sae-fit.csv"), row.names = FALSE)
print(c(A = A, beta = beta))
