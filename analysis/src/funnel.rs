//! Funnel plots and tiers that allow for overdispersion (Spiegelhalter 2005, "Funnel plots for
//! comparing institutional performance", Statistics in Medicine 24:1185–1202, §6), and the
//! false discovery rate across a table's comparisons (Benjamini & Hochberg 1995).
//!
//! Under the null a unit with n valid answers differs from the reference θ₀ only by chance,
//! with standard error S = σ/√n. When units differ by more than chance allows (the ratings of
//! a province's communes do: φ in the hundreds), limits drawn from S alone flag almost every
//! large unit. Then the additive random-effects model widens every limit to θ₀ ± z·√(S² + τ²),
//! τ² estimated by DerSimonian–Laird from Winsorised z-scores. A unit's tier ("above",
//! "below") uses the same null and the same widening, and is claimed only when its p-value
//! survives Benjamini–Hochberg across the table's units: never inside the 95% limits.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF, Normal};

use crate::compare::Tier;
use crate::error::{AnalysisError, Result};

/// The null every unit is judged against: the reference index θ₀ and σ, the spread of one
/// answer (the reference's se·√n), and the between-unit variance τ² when overdispersion was
/// found (0 otherwise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Funnel {
    pub centre: f64,
    pub sigma: f64,
    pub tau2: f64,
    /// A single question's share: while τ² = 0 the limits and p-values are the exact binomial
    /// ones (Spiegelhalter 2005, appendix A.1.1, interpolated); a composite index keeps the
    /// normal limits on its linearised σ.
    pub binomial: bool,
}

impl Funnel {
    fn exact(&self) -> bool {
        self.binomial && self.tau2 == 0.0 && (0.0..=1.0).contains(&self.centre)
    }

    /// The exact binomial limit of level `p` for `n` answers: with r the smallest count whose
    /// cdf reaches p under Binomial(n, θ₀), (r − a)/n where a = (F(r) − p)/(F(r) − F(r − 1))
    /// interpolates between counts (Spiegelhalter 2005, A.1.1).
    pub fn binomial_limit(&self, n: f64, p: f64) -> f64 {
        let n = n.round().max(1.0) as u64;
        let Ok(b) = Binomial::new(self.centre, n) else {
            return self.centre;
        };
        let cdf = |r: i64| if r < 0 { 0.0 } else { b.cdf(r as u64) };
        let (mut lo, mut hi) = (0_i64, n as i64);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if cdf(mid) >= p {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let (f, below) = (cdf(lo), cdf(lo - 1));
        let a = if f > below {
            (f - p) / (f - below)
        } else {
            0.0
        };
        ((lo as f64 - a) / n as f64).clamp(0.0, 1.0)
    }

    /// The null's standard error for a unit with `n` valid answers, widened by τ².
    pub fn se(&self, n: f64) -> f64 {
        (self.sigma * self.sigma / n.max(1.0) + self.tau2).sqrt()
    }

    /// The (low, high) limit at `n` for the two-sided z (1.96 for 95%, 3.09 for 99.8%),
    /// clamped to [0, 1].
    pub fn limits(&self, n: f64, z: f64) -> (f64, f64) {
        if self.exact() {
            let upper = Normal::standard().cdf(z);
            return (
                self.binomial_limit(n, 1.0 - upper),
                self.binomial_limit(n, upper),
            );
        }
        let half = z * self.se(n);
        (
            (self.centre - half).clamp(0.0, 1.0),
            (self.centre + half).clamp(0.0, 1.0),
        )
    }
}

/// What the overdispersion test found, to print beside the funnel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overdispersion {
    /// Units the estimate rests on.
    pub units: usize,
    /// φ̂ = mean of the squared Winsorised z-scores (1 when units differ by chance alone).
    pub phi: f64,
    /// P(χ²ᵢ₋₁ ≥ I·φ̂): small when the units differ by more than chance.
    pub p_value: f64,
    /// DerSimonian–Laird's between-unit variance; 0 when the test finds no overdispersion.
    pub tau2: f64,
}

impl Overdispersion {
    /// Whether the limits were widened.
    pub fn widened(&self) -> bool {
        self.tau2 > 0.0
    }
}

/// Level of the overdispersion test: widen when p < 5%.
pub const OVERDISPERSION_LEVEL: f64 = 0.05;
/// Share of z-scores Winsorised at each end (Spiegelhalter 2005 §6: 10%).
pub const WINSOR: f64 = 0.10;

/// R's default quantile (type 7) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Tests the units (estimate, valid n) against `null` (τ² ignored) for overdispersion and,
/// when found, estimates τ². Fewer than two units: no test, no widening.
pub fn overdispersion(units: &[(f64, f64)], null: &Funnel) -> Result<Overdispersion> {
    let i = units.len();
    let s: Vec<f64> = units
        .iter()
        .map(|&(_, n)| null.sigma / n.max(1.0).sqrt())
        .collect();
    if units.iter().any(|(y, n)| !y.is_finite() || !n.is_finite()) || !null.sigma.is_finite() {
        return Err(AnalysisError::InvalidParameter(
            "funnel units need finite estimates and sizes".into(),
        ));
    }
    if i < 2 || s.iter().any(|s| *s <= 0.0) {
        return Ok(Overdispersion {
            units: i,
            phi: 1.0,
            p_value: 1.0,
            tau2: 0.0,
        });
    }
    let z: Vec<f64> = units
        .iter()
        .zip(&s)
        .map(|(&(y, _), s)| (y - null.centre) / s)
        .collect();
    let mut sorted = z.clone();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (quantile(&sorted, WINSOR), quantile(&sorted, 1.0 - WINSOR));
    let phi = z.iter().map(|z| z.clamp(lo, hi).powi(2)).sum::<f64>() / i as f64;
    let statistic = i as f64 * phi;
    let df = (i - 1) as f64;
    let chi = ChiSquared::new(df).map_err(|e| AnalysisError::InvalidParameter(e.to_string()))?;
    let p_value = chi.sf(statistic);
    let tau2 = if p_value < OVERDISPERSION_LEVEL {
        let w: Vec<f64> = s.iter().map(|s| 1.0 / (s * s)).collect();
        let sw: f64 = w.iter().sum();
        let sw2: f64 = w.iter().map(|w| w * w).sum();
        ((statistic - df) / (sw - sw2 / sw)).max(0.0)
    } else {
        0.0
    };
    Ok(Overdispersion {
        units: i,
        phi,
        p_value,
        tau2,
    })
}

/// Benjamini–Hochberg adjusted p-values (R's `p.adjust(p, "BH")`), in the input's order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut out = vec![0.0; m];
    let mut running = 1.0_f64;
    for (k, &i) in order.iter().enumerate() {
        let rank = (m - k) as f64;
        running = running.min(p[i] * m as f64 / rank);
        out[i] = running.min(1.0);
    }
    out
}

/// One unit judged against the funnel's null.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    /// Two-sided p-value of "no different from the reference" under the (widened) null.
    pub p_value: f64,
    /// Benjamini–Hochberg across the units judged together.
    pub p_adjusted: f64,
    pub tier: Tier,
}

/// Judges every unit (estimate, valid n) against `funnel`: above or below only when the
/// adjusted p-value is at most `fdr` (the false discovery rate across the table).
pub fn judge(units: &[(f64, f64)], funnel: &Funnel, fdr: f64) -> Vec<Judged> {
    let normal = Normal::standard();
    let p: Vec<f64> = units
        .iter()
        .map(|&(y, n)| {
            if funnel.exact() {
                // Two-sided exact p-value of the count observed, under Binomial(n, θ₀).
                let n = n.round().max(1.0) as u64;
                let x = (y * n as f64).round() as u64;
                return match Binomial::new(funnel.centre, n) {
                    Ok(b) => {
                        let below = b.cdf(x);
                        let above = 1.0 - if x == 0 { 0.0 } else { b.cdf(x - 1) };
                        (2.0 * below.min(above)).min(1.0)
                    }
                    Err(_) => 1.0,
                };
            }
            let se = funnel.se(n);
            if se > 0.0 {
                2.0 * normal.sf(((y - funnel.centre) / se).abs())
            } else if y == funnel.centre {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let adjusted = benjamini_hochberg(&p);
    units
        .iter()
        .zip(p.iter().zip(&adjusted))
        .map(|(&(y, _), (&p_value, &p_adjusted))| Judged {
            p_value,
            p_adjusted,
            tier: if p_adjusted > fdr {
                Tier::NotDifferent
            } else if y > funnel.centre {
                Tier::Above
            } else {
                Tier::Below
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_matches_r() {
        // R 4.x: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH")
        //   → 0.025 0.050 0.050 0.025 0.500
        let got = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let want = [0.025, 0.05, 0.05, 0.025, 0.5];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn a_tier_is_never_claimed_inside_the_95_percent_limits() {
        let funnel = Funnel {
            centre: 0.8,
            sigma: 0.4,
            tau2: 0.0004,
            binomial: false,
        };
        let units: Vec<(f64, f64)> = (0..40)
            .map(|k| (0.70 + 0.005 * k as f64, 100.0 + 50.0 * k as f64))
            .collect();
        for (j, &(y, n)) in judge(&units, &funnel, 0.05).iter().zip(&units) {
            let (lo, hi) = funnel.limits(n, 1.959_963_984_540_054);
            if j.tier != Tier::NotDifferent {
                assert!(y < lo || y > hi, "{y} at n {n} inside [{lo}, {hi}]");
            }
        }
    }

    #[test]
    fn a_single_question_s_tiers_are_exact_and_never_inside_the_binomial_limits() {
        let funnel = Funnel {
            centre: 0.8,
            sigma: 0.4,
            tau2: 0.0,
            binomial: true,
        };
        let units: Vec<(f64, f64)> = (0..30)
            .map(|k| {
                let n = 30.0 + 7.0 * k as f64;
                (((0.62 + 0.012 * k as f64) * n).round() / n, n)
            })
            .collect();
        let judged = judge(&units, &funnel, 0.05);
        assert!(judged.iter().any(|j| j.tier != Tier::NotDifferent));
        for (j, &(y, n)) in judged.iter().zip(&units) {
            let (lo, hi) = funnel.limits(n, 1.959_963_984_540_054);
            if j.tier != Tier::NotDifferent {
                assert!(y < lo || y > hi, "{y} at n {n} inside [{lo}, {hi}]");
            }
        }
    }
}
