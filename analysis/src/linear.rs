//! Moments for linearised variances of many estimates at once.
//!
//! Each respondent contributes a vector v (for an index: Σw·satisfied and Σw·valid per item).
//! Per stratum we keep the PSU count, Σv and the upper triangle of Σ v vᵀ over PSUs (or, for
//! clustered designs, each PSU's Σv, folded at report time). Then the variance of any linear
//! combination uᵀT of the totals is Σ_h f_h n_h/(n_h−1) [uᵀM_h u − (uᵀs_h)²/n_h]: one pass over
//! the data, memory strata × dimension², and exact `merge`.

use std::collections::HashMap;

use crate::design::LonelyPsu;
use crate::error::{AnalysisError, Result};

#[derive(Clone, Debug)]
pub(crate) struct StratumMoments {
    pub pop_size: Option<f64>,
    pub n_psu: u64,
    pub sum: Vec<f64>,
    /// Upper triangle of Σ v vᵀ, row-major: entry (i, j ≥ i) at `tri_index(i, j)`.
    pub cross: Vec<f64>,
    /// Clustered designs: PSU id → Σv.
    pub psus: HashMap<u64, Vec<f64>>,
}

#[derive(Clone, Debug)]
pub struct LinearMoments {
    dim: usize,
    clustered: bool,
    strata: HashMap<u32, StratumMoments>,
    rows: u64,
}

fn tri_len(d: usize) -> usize {
    d * (d + 1) / 2
}

impl LinearMoments {
    pub fn new(dim: usize, clustered: bool) -> LinearMoments {
        LinearMoments {
            dim,
            clustered,
            strata: HashMap::new(),
            rows: 0,
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds one respondent's vector `v` (already multiplied by the weight).
    pub fn add(
        &mut self,
        stratum: u32,
        psu: Option<u64>,
        pop_size: Option<f64>,
        v: &[f64],
    ) -> Result<()> {
        debug_assert_eq!(v.len(), self.dim);
        let d = self.dim;
        let s = self
            .strata
            .entry(stratum)
            .or_insert_with(|| StratumMoments {
                pop_size,
                n_psu: 0,
                sum: vec![0.0; d],
                cross: Vec::new(),
                psus: HashMap::new(),
            });
        if s.pop_size != pop_size {
            return Err(AnalysisError::InconsistentPopulation { stratum });
        }
        self.rows += 1;
        for (a, b) in s.sum.iter_mut().zip(v) {
            *a += b;
        }
        match (self.clustered, psu) {
            (true, Some(p)) => {
                let t = s.psus.entry(p).or_insert_with(|| vec![0.0; d]);
                for (a, b) in t.iter_mut().zip(v) {
                    *a += b;
                }
                s.n_psu = s.psus.len() as u64;
            }
            _ => {
                s.n_psu += 1;
                if s.cross.is_empty() {
                    s.cross = vec![0.0; tri_len(d)];
                }
                add_outer(&mut s.cross, v);
            }
        }
        Ok(())
    }

    pub fn merge(&mut self, other: LinearMoments) -> Result<()> {
        if self.dim != other.dim || self.clustered != other.clustered {
            return Err(AnalysisError::ShapeMismatch);
        }
        self.rows += other.rows;
        for (id, o) in other.strata {
            match self.strata.get_mut(&id) {
                None => {
                    self.strata.insert(id, o);
                }
                Some(s) => {
                    if s.pop_size != o.pop_size {
                        return Err(AnalysisError::InconsistentPopulation { stratum: id });
                    }
                    for (a, b) in s.sum.iter_mut().zip(&o.sum) {
                        *a += b;
                    }
                    if self.clustered {
                        for (p, t) in o.psus {
                            let mine = s.psus.entry(p).or_insert_with(|| vec![0.0; t.len()]);
                            for (a, b) in mine.iter_mut().zip(&t) {
                                *a += b;
                            }
                        }
                        s.n_psu = s.psus.len() as u64;
                    } else {
                        s.n_psu += o.n_psu;
                        if s.cross.is_empty() {
                            s.cross = o.cross;
                        } else if !o.cross.is_empty() {
                            for (a, b) in s.cross.iter_mut().zip(&o.cross) {
                                *a += b;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Strata ids in ascending order.
    pub fn strata(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.strata.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Σv over the given strata (all when `only` is `None`).
    pub fn totals(&self, only: Option<u32>) -> Vec<f64> {
        let mut t = vec![0.0; self.dim];
        for (id, s) in &self.strata {
            if only.is_none_or(|o| o == *id) {
                for (a, b) in t.iter_mut().zip(&s.sum) {
                    *a += b;
                }
            }
        }
        t
    }

    /// PSUs minus strata, over the given strata.
    pub fn df(&self, only: Option<u32>) -> f64 {
        let (psus, strata) = self
            .strata
            .iter()
            .filter(|(id, _)| only.is_none_or(|o| o == **id))
            .fold((0u64, 0u64), |(p, h), (_, s)| (p + s.n_psu, h + 1));
        psus.saturating_sub(strata) as f64
    }

    /// Linearised variance of uᵀT, T the totals over the given strata.
    pub fn variance(&self, u: &[f64], only: Option<u32>, lonely: LonelyPsu) -> Result<f64> {
        let mut total = 0.0;
        let (mut present, mut ok) = (0u32, 0u32);
        for id in self.strata() {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let s = &self.strata[&id];
            present += 1;
            let n = s.n_psu as f64;
            let f = s.pop_size.map_or(1.0, |big| (big - n) / big);
            if f < 1e-7 {
                ok += 1;
                continue;
            }
            let us: f64 = u.iter().zip(&s.sum).map(|(a, b)| a * b).sum();
            let umu = if self.clustered {
                s.psus
                    .values()
                    .map(|t| {
                        let z: f64 = u.iter().zip(t).map(|(a, b)| a * b).sum();
                        z * z
                    })
                    .sum()
            } else {
                quadratic_form(&s.cross, u)
            };
            if s.n_psu > 1 {
                total += f * n / (n - 1.0) * (umu - us * us / n).max(0.0);
                ok += 1;
            } else {
                match lonely {
                    LonelyPsu::Fail => return Err(AnalysisError::LonelyPsu { stratum: id }),
                    LonelyPsu::Certainty | LonelyPsu::Remove => ok += 1,
                    LonelyPsu::Adjust => {
                        total += f * umu;
                        ok += 1;
                    }
                    LonelyPsu::Average => {}
                }
            }
        }
        if ok == 0 {
            return Ok(if present == 0 { 0.0 } else { f64::NAN });
        }
        Ok(total * f64::from(present) / f64::from(ok))
    }
}

/// cross += upper triangle of v vᵀ. Rows with v_i = 0 (unanswered items) are skipped.
fn add_outer(cross: &mut [f64], v: &[f64]) {
    let d = v.len();
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let vi = v[i];
        if vi != 0.0 {
            let row = &mut cross[start..start + len];
            for (c, vj) in row.iter_mut().zip(&v[i..]) {
                *c += vi * vj;
            }
        }
        start += len;
    }
}

/// uᵀ M u for M stored as its packed upper triangle.
fn quadratic_form(cross: &[f64], u: &[f64]) -> f64 {
    if cross.is_empty() {
        return 0.0;
    }
    let d = u.len();
    let mut acc = 0.0;
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let row = &cross[start..start + len];
        let ui = u[i];
        if ui != 0.0 {
            // Diagonal once, off-diagonal twice (M is symmetric).
            let off: f64 = row[1..].iter().zip(&u[i + 1..]).map(|(m, uj)| m * uj).sum();
            acc += ui * (row[0] * ui + 2.0 * off);
        }
        start += len;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packed_quadratic_form_equals_the_dense_one() {
        let rows = [[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 2.0, 2.0]];
        let mut cross = vec![0.0; tri_len(3)];
        for r in &rows {
            add_outer(&mut cross, r);
        }
        let u = [0.3, -0.7, 1.1];
        let dense: f64 = rows
            .iter()
            .map(|r| r.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>().powi(2))
            .sum();
        assert!((quadratic_form(&cross, &u) - dense).abs() < 1e-12);
    }
}
