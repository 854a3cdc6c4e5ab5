//! Design-based estimation by Taylor linearisation, as R's `survey` package (Lumley) does it:
//! stratified, with-replacement variance of PSU totals of the influence values, with the
//! finite population correction (1 − n_h/N_h) when stratum population sizes are known.
//!
//! Streaming: [`TaylorAccumulator::add`] takes one respondent at a time and keeps, per stratum,
//! moment sums (unclustered designs: every respondent is its own PSU) or PSU totals (clustered
//! designs), so memory is proportional to strata × clusters × estimates, never to respondents.
//! Accumulators `merge`, so agencies or threads can be summed exactly.
//!
//! Every estimate is a ratio T_y / T_x of weighted totals: a mean is Σwy/Σw over the valid
//! answers, a proportion is the mean of an indicator, `svyratio` is any y over any x, and a
//! domain (`svyby`) is the same with both zeroed outside the domain, while the stratum's PSU
//! count stays that of the whole sample (as `survey` pads absent PSUs with zeros).

use crate::error::{AnalysisError, Result};
use crate::fastmap::FastMap;
use crate::strata::combine_strata;
pub use crate::strata::LonelyPsu;

/// Running sums for one estimate in one stratum (over that stratum's PSUs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Moments {
    y: f64,
    x: f64,
    yy: f64,
    xx: f64,
    xy: f64,
}

impl Moments {
    fn add_psu(&mut self, y: f64, x: f64) {
        self.y += y;
        self.x += x;
        self.yy += y * y;
        self.xx += x * x;
        self.xy += x * y;
    }

    fn merge(&mut self, o: &Moments) {
        self.y += o.y;
        self.x += o.x;
        self.yy += o.yy;
        self.xx += o.xx;
        self.xy += o.xy;
    }
}

/// Respondent-level sums for one estimate (design effect, effective n, Korn–Graubard).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct RowSums {
    /// Rows with x ≠ 0 (valid answers in the domain).
    n: u64,
    w: f64,
    wy: f64,
    wyy: f64,
}

#[derive(Clone, Debug, Default)]
struct Stratum {
    pop_size: Option<f64>,
    /// PSUs in the whole sample (domains pad with zeros up to this).
    n_psu: u64,
    /// Unclustered: per estimate, moments over respondents (each its own PSU).
    moments: FastMap<usize, Moments>,
    /// Clustered: per PSU, per estimate, (Σ w y, Σ w x).
    psus: FastMap<u64, FastMap<usize, (f64, f64)>>,
    /// Per domain: PSUs of this stratum with a row in the domain (for degrees of freedom).
    domain_psus: FastMap<u32, u64>,
}

/// One respondent's contribution. `values[k]` is (y, x) for estimate k: (value, 1) for a valid
/// answer to a mean, (0, 0) when missing or outside the estimate's domain.
pub struct Observation<'a> {
    pub stratum: u32,
    /// PSU id within the stratum; `None` when respondents are the PSUs.
    pub psu: Option<u64>,
    pub weight: f64,
    /// The stratum's population size (PSUs in the population when clustered).
    pub pop_size: Option<f64>,
    /// The domain (group) this row belongs to; used for degrees of freedom.
    pub domain: u32,
    /// (estimate index, y, x) for each estimate this row contributes to.
    pub values: &'a [(usize, f64, f64)],
}

/// A design-based estimate with its linearised standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DesignEstimate {
    pub estimate: f64,
    pub se: f64,
    /// Respondents with a valid answer in the domain.
    pub n: u64,
    /// Design degrees of freedom: PSUs minus strata, counted in the domain (as `degf` of a
    /// subset design in R).
    pub df: f64,
    /// Design effect against simple random sampling (without replacement when N̂ > n);
    /// `None` where undefined.
    pub deff: Option<f64>,
    /// Σ w x: the estimated population (denominator) total.
    pub denominator: f64,
}

impl DesignEstimate {
    /// The sample size a simple random sample would need for the same precision: n / deff.
    pub fn effective_n(&self) -> Option<f64> {
        self.deff.filter(|d| *d > 0.0).map(|d| self.n as f64 / d)
    }
}

#[derive(Clone, Debug)]
pub struct TaylorAccumulator {
    clustered: bool,
    strata: FastMap<u32, Stratum>,
    rows: FastMap<usize, RowSums>,
    /// Estimate index → domain, learnt from the rows.
    domains: FastMap<usize, u32>,
    seen_psus: FastMap<(u32, u64), ()>,
    seen_domain_psus: FastMap<(u32, u64, u32), ()>,
    row_count: u64,
}

impl TaylorAccumulator {
    pub fn new(clustered: bool) -> TaylorAccumulator {
        TaylorAccumulator {
            clustered,
            strata: FastMap::default(),
            rows: FastMap::default(),
            domains: FastMap::default(),
            seen_psus: FastMap::default(),
            seen_domain_psus: FastMap::default(),
            row_count: 0,
        }
    }

    /// Adds one respondent. Rejects bad weights, values and population sizes without changing
    /// anything.
    pub fn add(&mut self, obs: &Observation) -> Result<()> {
        let row = self.row_count + 1;
        if !obs.weight.is_finite() || obs.weight < 0.0 {
            return Err(AnalysisError::InvalidWeight {
                row,
                weight: obs.weight,
            });
        }
        for &(_, y, x) in obs.values {
            if !y.is_finite() {
                return Err(AnalysisError::InvalidValue { row, value: y });
            }
            if !x.is_finite() {
                return Err(AnalysisError::InvalidValue { row, value: x });
            }
        }
        if let Some(n) = obs.pop_size {
            if !n.is_finite() || n <= 0.0 {
                return Err(AnalysisError::InvalidPopulation { row, value: n });
            }
        }
        let stratum = self.strata.entry(obs.stratum).or_default();
        match (stratum.pop_size, obs.pop_size) {
            (None, Some(n)) if stratum.n_psu == 0 => stratum.pop_size = Some(n),
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            _ => {
                return Err(AnalysisError::InconsistentPopulation {
                    stratum: obs.stratum,
                })
            }
        }
        self.row_count = row;
        let psu_id = match obs.psu {
            Some(p) => p,
            None => row, // each respondent its own PSU
        };
        if !self.clustered || self.seen_psus.insert((obs.stratum, psu_id), ()).is_none() {
            stratum.n_psu += 1;
        }
        if self.seen_domain_psus_insert(obs.stratum, psu_id, obs.domain) {
            let stratum = self.strata.get_mut(&obs.stratum).expect("just inserted");
            *stratum.domain_psus.entry(obs.domain).or_default() += 1;
        }
        let stratum = self.strata.get_mut(&obs.stratum).expect("just inserted");
        for &(k, y, x) in obs.values {
            self.domains.entry(k).or_insert(obs.domain);
            let (wy, wx) = (obs.weight * y, obs.weight * x);
            if self.clustered {
                let e = stratum
                    .psus
                    .entry(psu_id)
                    .or_default()
                    .entry(k)
                    .or_default();
                e.0 += wy;
                e.1 += wx;
            } else {
                stratum.moments.entry(k).or_default().add_psu(wy, wx);
            }
            if x != 0.0 {
                let r = self.rows.entry(k).or_default();
                r.n += 1;
                r.w += wx;
                r.wy += obs.weight * y;
                r.wyy += obs.weight * y * y;
            }
        }
        Ok(())
    }

    fn seen_domain_psus_insert(&mut self, stratum: u32, psu: u64, domain: u32) -> bool {
        if !self.clustered {
            return true;
        }
        self.seen_domain_psus
            .insert((stratum, psu, domain), ())
            .is_none()
    }

    /// Adds another accumulator's data: the result equals one pass over both inputs. Without
    /// clusters the two must hold different respondents; with clusters a PSU may be split
    /// between them (its totals add up, and it is counted once).
    pub fn merge(&mut self, other: TaylorAccumulator) -> Result<()> {
        if self.clustered != other.clustered {
            return Err(AnalysisError::ShapeMismatch);
        }
        for (id, o) in other.strata {
            let s = self.strata.entry(id).or_default();
            match (s.pop_size, o.pop_size) {
                (a, b) if a == b => {}
                (None, b) if s.n_psu == 0 => s.pop_size = b,
                _ => return Err(AnalysisError::InconsistentPopulation { stratum: id }),
            }
            if !self.clustered {
                // Respondents are the PSUs, and the two accumulators hold different ones.
                s.n_psu += o.n_psu;
                for (d, n) in o.domain_psus {
                    *s.domain_psus.entry(d).or_default() += n;
                }
            }
            for (k, m) in o.moments {
                s.moments.entry(k).or_default().merge(&m);
            }
            for (p, totals) in o.psus {
                let mine = s.psus.entry(p).or_default();
                for (k, (y, x)) in totals {
                    let e = mine.entry(k).or_default();
                    e.0 += y;
                    e.1 += x;
                }
            }
        }
        // A PSU seen by both halves is one PSU: count only those new to this accumulator.
        for ((h, p), ()) in other.seen_psus {
            if self.seen_psus.insert((h, p), ()).is_none() {
                self.strata.entry(h).or_default().n_psu += 1;
            }
        }
        for ((h, p, d), ()) in other.seen_domain_psus {
            if self.seen_domain_psus.insert((h, p, d), ()).is_none() {
                *self
                    .strata
                    .entry(h)
                    .or_default()
                    .domain_psus
                    .entry(d)
                    .or_default() += 1;
            }
        }
        for (k, r) in other.rows {
            let mine = self.rows.entry(k).or_default();
            mine.n += r.n;
            mine.w += r.w;
            mine.wy += r.wy;
            mine.wyy += r.wyy;
        }
        for (k, d) in other.domains {
            self.domains.entry(k).or_insert(d);
        }
        self.row_count += other.row_count;
        Ok(())
    }

    /// Per stratum: (population size, PSU count, moments of estimate k, PSUs in k's domain).
    fn stratum_moments(&self, k: usize) -> Vec<(Option<f64>, u64, Moments, u64, u32)> {
        let domain = self.domains.get(&k).copied().unwrap_or(0);
        let mut ids: Vec<&u32> = self.strata.keys().collect();
        ids.sort();
        ids.into_iter()
            .map(|id| {
                let s = &self.strata[id];
                let m = if self.clustered {
                    let mut m = Moments::default();
                    for totals in s.psus.values() {
                        if let Some(&(y, x)) = totals.get(&k) {
                            m.add_psu(y, x);
                        }
                    }
                    m
                } else {
                    s.moments.get(&k).copied().unwrap_or_default()
                };
                (
                    s.pop_size,
                    s.n_psu,
                    m,
                    s.domain_psus.get(&domain).copied().unwrap_or(0),
                    *id,
                )
            })
            .collect()
    }

    /// The mean of estimate `k` (x is the validity indicator), with its design effect.
    pub fn mean(&self, k: usize, lonely: LonelyPsu) -> Result<DesignEstimate> {
        self.ratio_inner(k, lonely, true)
    }

    /// The ratio T_y / T_x for estimate `k` (svyratio); no design effect.
    pub fn ratio(&self, k: usize, lonely: LonelyPsu) -> Result<DesignEstimate> {
        self.ratio_inner(k, lonely, false)
    }

    fn ratio_inner(&self, k: usize, lonely: LonelyPsu, with_deff: bool) -> Result<DesignEstimate> {
        let strata = self.stratum_moments(k);
        let ty: f64 = strata.iter().map(|s| s.2.y).sum();
        let tx: f64 = strata.iter().map(|s| s.2.x).sum();
        let rows = self.rows.get(&k).copied().unwrap_or_default();
        if rows.n == 0 || tx == 0.0 {
            return Err(AnalysisError::Empty);
        }
        let r = ty / tx;
        // Influence value of a PSU: z = (Y − r X) / T_x.
        let var = variance(&strata, lonely, |m| {
            let sum = (m.y - r * m.x) / tx;
            let sum_sq = (m.yy - 2.0 * r * m.xy + r * r * m.xx) / (tx * tx);
            let magnitude = (m.yy + 2.0 * (r * m.xy).abs() + r * r * m.xx) / (tx * tx);
            (sum, sum_sq, magnitude)
        })?;
        let df = degrees_of_freedom(&strata);
        // Design effect as svymean(deff = TRUE): against SRS of the same n, without
        // replacement from N̂ = Σw.
        let deff = if with_deff && rows.n > 1 && rows.w > 0.0 {
            let mean = rows.wy / rows.w;
            let s2 =
                (rows.wyy / rows.w - mean * mean).max(0.0) * rows.n as f64 / (rows.n as f64 - 1.0);
            let fpc = if rows.w > rows.n as f64 {
                (rows.w - rows.n as f64) / rows.w
            } else {
                1.0
            };
            let vsrs = s2 / rows.n as f64 * fpc;
            (vsrs > 0.0).then(|| var / vsrs)
        } else {
            None
        };
        Ok(DesignEstimate {
            estimate: r,
            se: var.sqrt(),
            n: rows.n,
            df,
            deff,
            denominator: tx,
        })
    }

    /// The total T_y for estimate `k` (svytotal).
    pub fn total(&self, k: usize, lonely: LonelyPsu) -> Result<DesignEstimate> {
        let strata = self.stratum_moments(k);
        let rows = self.rows.get(&k).copied().unwrap_or_default();
        if rows.n == 0 {
            return Err(AnalysisError::Empty);
        }
        let ty: f64 = strata.iter().map(|s| s.2.y).sum();
        let var = variance(&strata, lonely, |m| (m.y, m.yy, m.yy))?;
        Ok(DesignEstimate {
            estimate: ty,
            se: var.sqrt(),
            n: rows.n,
            df: degrees_of_freedom(&strata),
            deff: None,
            denominator: strata.iter().map(|s| s.2.x).sum(),
        })
    }
}

/// Σ_h f_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)², with the lonely-PSU policy for n_h = 1.
/// `influence` gives (Σ z, Σ z², the size of the terms that sum to Σ z²) over a stratum's
/// PSUs from its moments.
fn variance(
    strata: &[(Option<f64>, u64, Moments, u64, u32)],
    lonely: LonelyPsu,
    influence: impl Fn(&Moments) -> (f64, f64, f64),
) -> Result<f64> {
    // A stratum without rows in the domain adds nothing and is not counted.
    combine_strata(
        strata.iter().filter(|s| s.3 > 0),
        lonely,
        |s| (s.4, s.0, s.1),
        |s| influence(&s.2),
    )
}

fn degrees_of_freedom(strata: &[(Option<f64>, u64, Moments, u64, u32)]) -> f64 {
    let psus: u64 = strata.iter().map(|s| s.3).sum();
    let present = strata.iter().filter(|s| s.3 > 0).count() as u64;
    psus.saturating_sub(present) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proportion::{design_interval, DesignMethod};

    fn acc(rows: &[(u32, f64, f64)]) -> TaylorAccumulator {
        let mut a = TaylorAccumulator::new(false);
        for &(stratum, weight, y) in rows {
            a.add(&Observation {
                stratum,
                psu: None,
                weight,
                pop_size: None,
                domain: 0,
                values: &[(0, y, 1.0)],
            })
            .unwrap();
        }
        a
    }

    #[test]
    fn bad_weights_and_values_are_refused_and_change_nothing() {
        let mut a = acc(&[(0, 1.0, 1.0), (0, 2.0, 0.0)]);
        for (w, y) in [
            (f64::NAN, 1.0),
            (-1.0, 1.0),
            (f64::INFINITY, 1.0),
            (1.0, f64::NAN),
        ] {
            let err = a.add(&Observation {
                stratum: 0,
                psu: None,
                weight: w,
                pop_size: None,
                domain: 0,
                values: &[(0, y, 1.0)],
            });
            assert!(err.is_err(), "{w} {y}");
        }
        assert_eq!(a.mean(0, LonelyPsu::Fail).unwrap().n, 2);
        assert_eq!(
            TaylorAccumulator::new(false).mean(0, LonelyPsu::Fail),
            Err(AnalysisError::Empty)
        );
    }

    #[test]
    fn a_proportion_of_zero_or_one_falls_back_to_clopper_pearson() {
        let all = acc(&[(0, 1.0, 1.0), (0, 3.0, 1.0), (1, 2.0, 1.0), (1, 1.0, 1.0)]);
        let e = all.mean(0, LonelyPsu::Fail).unwrap();
        assert_eq!((e.estimate, e.se), (1.0, 0.0));
        let ci = design_interval(&e, DesignMethod::Logit, 0.95).unwrap();
        // Clopper–Pearson for 4/4: lower bound (0.025)^(1/4) = 0.3976354.
        assert!((ci.low - 0.025f64.powf(0.25)).abs() < 1e-9 && ci.high == 1.0);
        let none = acc(&[(0, 1.0, 0.0), (0, 3.0, 0.0)])
            .mean(0, LonelyPsu::Fail)
            .unwrap();
        let ci = design_interval(&none, DesignMethod::Beta, 0.95).unwrap();
        assert_eq!(ci.low, 0.0);
        assert!((ci.high - (1.0 - 0.025f64.powf(0.5))).abs() < 1e-9);
    }

    #[test]
    fn a_lonely_stratum_fails_unless_a_policy_is_chosen() {
        let a = acc(&[(0, 1.0, 1.0), (0, 1.0, 0.0), (1, 1.0, 1.0)]);
        assert_eq!(
            a.mean(0, LonelyPsu::Fail),
            Err(AnalysisError::LonelyPsu { stratum: 1 })
        );
        let certain = a.mean(0, LonelyPsu::Certainty).unwrap();
        let adjusted = a.mean(0, LonelyPsu::Adjust).unwrap();
        assert!(
            adjusted.se > certain.se,
            "adjust adds the lonely stratum's deviation from the grand mean"
        );
    }

    #[test]
    fn population_sizes_must_agree_within_a_stratum() {
        let mut a = TaylorAccumulator::new(false);
        let row = |n| Observation {
            stratum: 3,
            psu: None,
            weight: 1.0,
            pop_size: Some(n),
            domain: 0,
            values: &[(0, 1.0, 1.0)],
        };
        a.add(&row(100.0)).unwrap();
        assert_eq!(
            a.add(&row(90.0)),
            Err(AnalysisError::InconsistentPopulation { stratum: 3 })
        );
        assert!(matches!(
            a.add(&row(-5.0)),
            Err(AnalysisError::InvalidPopulation { .. })
        ));
    }
}
