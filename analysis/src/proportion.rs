//! Confidence intervals for design-based estimates (`svyciprop`, `confint(svymean)`).

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::binomial::{beta_quantile, interval as binomial_interval, z_quantile, BinomialMethod};
use crate::design::DesignEstimate;
use crate::error::{check_level, Result};
use crate::Interval;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesignMethod {
    /// `svyciprop(method = "logit")`: the interval on the logit scale, back-transformed (default).
    Logit,
    /// `svyciprop(method = "beta")`: Korn & Graubard (1998), Clopper–Pearson with the effective n.
    Beta,
}

/// Student t quantile; infinite or huge df is the normal quantile.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !df.is_finite() || df > 1e7 {
        return z_quantile(p);
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Interval for a proportion estimated from a design, with Student t on the design degrees of
/// freedom. p = 0 or 1 (no variance) falls back to Clopper–Pearson on the n respondents.
pub fn design_interval(e: &DesignEstimate, method: DesignMethod, level: f64) -> Result<Interval> {
    design_interval_with(e, method, level, None)
}

/// As [`design_interval`], with the quantile t(1 − α/2, df) already known (reports compute it
/// once for dozens of estimates that share the design's df).
pub fn design_interval_with(
    e: &DesignEstimate,
    method: DesignMethod,
    level: f64,
    t_known: Option<f64>,
) -> Result<Interval> {
    check_level(level)?;
    let alpha = 1.0 - level;
    let p = e.estimate;
    if p <= 0.0 || p >= 1.0 || e.se <= 0.0 {
        let x = if p >= 1.0 {
            e.n
        } else if p <= 0.0 {
            0
        } else {
            (p * e.n as f64).round() as u64
        };
        return binomial_interval(BinomialMethod::ClopperPearson, x, e.n, level);
    }
    match method {
        DesignMethod::Logit => {
            let t = t_known.unwrap_or_else(|| t_quantile(1.0 - alpha / 2.0, e.df));
            let logit = (p / (1.0 - p)).ln();
            let se_logit = e.se / (p * (1.0 - p));
            let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
            Ok(Interval {
                low: expit(logit - t * se_logit),
                high: expit(logit + t * se_logit),
            })
        }
        DesignMethod::Beta => {
            let var = e.se * e.se;
            let n = e.n as f64;
            let ratio = t_quantile(alpha / 2.0, n - 1.0) / t_quantile(alpha / 2.0, e.df);
            let n_eff = p * (1.0 - p) / var * ratio * ratio;
            Ok(Interval {
                low: beta_quantile(n_eff * p, n_eff * (1.0 - p) + 1.0, alpha / 2.0)?,
                high: beta_quantile(n_eff * p + 1.0, n_eff * (1.0 - p), 1.0 - alpha / 2.0)?,
            })
        }
    }
}

/// Interval for a mean, total or ratio: estimate ± t(df) · se.
pub fn mean_interval(e: &DesignEstimate, level: f64) -> Result<Interval> {
    check_level(level)?;
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, e.df);
    Ok(Interval {
        low: e.estimate - t * e.se,
        high: e.estimate + t * e.se,
    })
}
