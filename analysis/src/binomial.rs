//! Intervals for a simple binomial proportion x/n: the desk QR and receipt QR streams, which are
//! convenience samples with no design to account for (METHODOLOGY.md §4).
//!
//! Definitions follow Newcombe (1998), "Two-sided confidence intervals for the single
//! proportion", Statistics in Medicine 17:857–872, and Brown, Cai & DasGupta (2001), "Interval
//! estimation for a binomial proportion", Statistical Science 16:101–133.

use statrs::distribution::{Beta, ContinuousCDF, Normal};

use crate::error::{check_level, AnalysisError, Result};
use crate::Interval;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinomialMethod {
    /// Wilson score interval (Newcombe's method 3). The default: good coverage at all n and p.
    Wilson,
    /// Clopper–Pearson "exact" interval (Newcombe's method 5): conservative.
    ClopperPearson,
    /// Jeffreys equal-tailed interval, Beta(x + ½, n − x + ½) quantiles (BCD 2001 §4.1.2), with
    /// the lower bound 0 at x = 0 and the upper bound 1 at x = n.
    Jeffreys,
    /// Agresti–Coull: Wald interval around (x + z²/2)/(n + z²) (BCD 2001 §4.1.3), clipped to [0, 1].
    AgrestiCoull,
}

/// The two-sided interval for `x` successes in `n` trials at confidence `level`.
///
/// n = 0 is `AnalysisError::Empty` ("no data"); x = 0 and x = n are defined for every method.
pub fn interval(method: BinomialMethod, x: u64, n: u64, level: f64) -> Result<Interval> {
    check_level(level)?;
    if n == 0 {
        return Err(AnalysisError::Empty);
    }
    if x > n {
        return Err(AnalysisError::InvalidParameter(format!(
            "{x} successes out of {n} trials"
        )));
    }
    let alpha = 1.0 - level;
    let (xf, nf) = (x as f64, n as f64);
    let p = xf / nf;
    let z = z_quantile(1.0 - alpha / 2.0);
    let (low, high) = match method {
        BinomialMethod::Wilson => {
            let z2 = z * z;
            let centre = p + z2 / (2.0 * nf);
            let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
            let denom = 1.0 + z2 / nf;
            // At the edges the algebraic bound is exactly 0 or 1; avoid a rounding crumb.
            let low = if x == 0 { 0.0 } else { (centre - half) / denom };
            let high = if x == n { 1.0 } else { (centre + half) / denom };
            (low, high)
        }
        BinomialMethod::ClopperPearson => {
            let low = if x == 0 {
                0.0
            } else {
                beta_quantile(xf, nf - xf + 1.0, alpha / 2.0)?
            };
            let high = if x == n {
                1.0
            } else {
                beta_quantile(xf + 1.0, nf - xf, 1.0 - alpha / 2.0)?
            };
            (low, high)
        }
        BinomialMethod::Jeffreys => {
            let low = if x == 0 {
                0.0
            } else {
                beta_quantile(xf + 0.5, nf - xf + 0.5, alpha / 2.0)?
            };
            let high = if x == n {
                1.0
            } else {
                beta_quantile(xf + 0.5, nf - xf + 0.5, 1.0 - alpha / 2.0)?
            };
            (low, high)
        }
        BinomialMethod::AgrestiCoull => {
            let n_tilde = nf + z * z;
            let p_tilde = (xf + z * z / 2.0) / n_tilde;
            let half = z * (p_tilde * (1.0 - p_tilde) / n_tilde).sqrt();
            ((p_tilde - half).max(0.0), (p_tilde + half).min(1.0))
        }
    };
    Ok(Interval { low, high })
}

/// Standard normal quantile.
pub fn z_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Quantile of Beta(a, b); both parameters must be positive (p = 0 or 1 are the callers' cases).
pub fn beta_quantile(a: f64, b: f64, p: f64) -> Result<f64> {
    let beta = Beta::new(a, b)
        .map_err(|e| AnalysisError::InvalidParameter(format!("Beta({a}, {b}): {e}")))?;
    Ok(beta.inverse_cdf(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use BinomialMethod::*;

    fn check(method: BinomialMethod, x: u64, n: u64, low: f64, high: f64, tol: f64) {
        let i = interval(method, x, n, 0.95).unwrap();
        assert!(
            (i.low - low).abs() < tol && (i.high - high).abs() < tol,
            "{method:?} {x}/{n}: got [{:.6}, {:.6}], expected [{low}, {high}]",
            i.low,
            i.high
        );
    }

    // Newcombe (1998), Table I, 95% intervals to 4 decimals: method 3 (Wilson score without
    // continuity correction) and method 5 (Clopper–Pearson exact).
    #[test]
    fn wilson_matches_newcombe_1998_table_i() {
        check(Wilson, 81, 263, 0.2553, 0.3662, 5e-5);
        check(Wilson, 15, 148, 0.0624, 0.1605, 5e-5);
        check(Wilson, 0, 20, 0.0, 0.1611, 5e-5);
        check(Wilson, 1, 29, 0.0061, 0.1718, 5e-5);
    }

    #[test]
    fn clopper_pearson_matches_newcombe_1998_table_i() {
        check(ClopperPearson, 81, 263, 0.2527, 0.3676, 5e-5);
        check(ClopperPearson, 15, 148, 0.0578, 0.1617, 5e-5);
        check(ClopperPearson, 0, 20, 0.0, 0.1684, 5e-5);
        check(ClopperPearson, 1, 29, 0.0009, 0.1776, 5e-5);
    }

    // Jeffreys and Agresti–Coull, defined as in Brown, Cai & DasGupta (2001) §4.1.2–4.1.3;
    // expected values computed independently in R 4.2.2 (base qbeta/qnorm):
    //   qbeta(c(.025,.975), 81.5, 182.5)                      -> 0.25452193 0.36564750
    //   n~=263+qnorm(.975)^2; p~=(81+qnorm(.975)^2/2)/n~; p~ + c(-1,1)*qnorm(.975)*sqrt(p~*(1-p~)/n~)
    //                                                         -> 0.25522067 0.36627743
    #[test]
    fn jeffreys_and_agresti_coull_match_their_definitions() {
        check(Jeffreys, 81, 263, 0.25452193, 0.36564750, 1e-7);
        check(AgrestiCoull, 81, 263, 0.25522067, 0.36627743, 1e-7);
        let j0 = interval(Jeffreys, 0, 20, 0.95).unwrap();
        assert_eq!(j0.low, 0.0);
        let ac0 = interval(AgrestiCoull, 0, 20, 0.95).unwrap();
        assert_eq!(ac0.low, 0.0, "clipped at 0");
    }

    #[test]
    fn edges_and_empty_data_are_defined() {
        for m in [Wilson, ClopperPearson, Jeffreys, AgrestiCoull] {
            assert_eq!(interval(m, 0, 0, 0.95), Err(AnalysisError::Empty));
            let all = interval(m, 7, 7, 0.95).unwrap();
            assert_eq!(all.high, 1.0, "{m:?}");
            assert!(all.low > 0.0 && all.low < 1.0);
            assert!(interval(m, 8, 7, 0.95).is_err());
            assert!(interval(m, 3, 7, 1.0).is_err());
        }
    }
}
