//! Moments for linearised variances of many estimates at once.
//!
//! Each respondent contributes a vector v (for an index: Σw·satisfied and Σw·valid per item).
//! Per stratum we keep the PSU count, Σv and the upper triangle of Σ v vᵀ over PSUs (or, for
//! clustered designs, each PSU's Σv, folded at report time). Then the variance of any linear
//! combination uᵀT of the totals is Σ_h f_h n_h/(n_h−1) [uᵀM_h u − (uᵀs_h)²/n_h]: one pass over
//! the data, memory strata × dimension², and exact `merge`.

use crate::error::{AnalysisError, Result};
use crate::fastmap::FastMap;
use crate::strata::{combine_strata, LonelyPsu};

#[derive(Clone, Debug)]
pub(crate) struct StratumMoments {
    pub pop_size: Option<f64>,
    pub n_psu: u64,
    pub sum: Vec<f64>,
    /// Upper triangle of Σ v vᵀ over flushed rows, packed row by row.
    pub cross: Vec<f64>,
    /// Up to `BLOCK` rows not yet in `cross`: folding several rows per pass over the triangle
    /// makes the update compute-bound instead of load/store-bound (about 4× faster).
    pub pending: Vec<f64>,
    /// Clustered designs: PSU id → Σv.
    pub psus: FastMap<u64, Vec<f64>>,
}

#[derive(Clone, Debug)]
pub struct LinearMoments {
    dim: usize,
    clustered: bool,
    strata: FastMap<u32, StratumMoments>,
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
            strata: FastMap::default(),
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
        let s = Self::stratum_mut(&mut self.strata, self.dim, stratum, pop_size)?;
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
                s.pending.extend_from_slice(v);
                if s.pending.len() == BLOCK * d {
                    if s.cross.is_empty() {
                        s.cross = vec![0.0; tri_len(d)];
                    }
                    add_block(&mut s.cross, &s.pending, d);
                    s.pending.clear();
                }
            }
        }
        Ok(())
    }

    /// Adds `count` respondents with the same vector `v`, each its own PSU: exactly what
    /// `count` calls of `add` would do (up to rounding), in one step. For tallies of identical
    /// answer patterns (the desk stream's aggregates). Not for clustered designs.
    pub fn add_repeated(
        &mut self,
        stratum: u32,
        pop_size: Option<f64>,
        v: &[f64],
        count: u64,
    ) -> Result<()> {
        if self.clustered {
            return Err(AnalysisError::InvalidParameter(
                "repeated rows need an unclustered design".into(),
            ));
        }
        debug_assert_eq!(v.len(), self.dim);
        let d = self.dim;
        let s = Self::stratum_mut(&mut self.strata, self.dim, stratum, pop_size)?;
        if count == 0 {
            return Ok(());
        }
        let c = count as f64;
        self.rows += count;
        s.n_psu += count;
        for (a, b) in s.sum.iter_mut().zip(v) {
            *a += c * b;
        }
        if s.cross.is_empty() {
            s.cross = vec![0.0; tri_len(d)];
        }
        add_outer_scaled(&mut s.cross, v, c);
        Ok(())
    }

    /// Adds `rows` respondents of one PSU whose vectors sum to `sum` (a clustered design read
    /// from per-cell sums, such as the desk stream's aggregates with desks as PSUs): what
    /// `add` of each row with that PSU would do.
    pub fn add_psu_sum(&mut self, stratum: u32, psu: u64, rows: u64, sum: &[f64]) -> Result<()> {
        if !self.clustered || sum.len() != self.dim {
            return Err(AnalysisError::ShapeMismatch);
        }
        if rows == 0 {
            return Ok(());
        }
        let d = self.dim;
        let s = Self::stratum_mut(&mut self.strata, d, stratum, None)?;
        self.rows += rows;
        for (a, b) in s.sum.iter_mut().zip(sum) {
            *a += b;
        }
        let t = s.psus.entry(psu).or_insert_with(|| vec![0.0; d]);
        for (a, b) in t.iter_mut().zip(sum) {
            *a += b;
        }
        s.n_psu = s.psus.len() as u64;
        Ok(())
    }

    /// Whether PSUs are clusters of rows (`new(_, true)`).
    pub fn is_clustered(&self) -> bool {
        self.clustered
    }

    /// PSUs over the given strata (all when `only` is `None`).
    pub fn psus(&self, only: Option<u32>) -> u64 {
        self.strata
            .iter()
            .filter(|(id, _)| only.is_none_or(|o| o == **id))
            .map(|(_, s)| s.n_psu)
            .sum()
    }

    /// The stratum's moments, created empty on first use; its population size must not change.
    fn stratum_mut(
        strata: &mut FastMap<u32, StratumMoments>,
        d: usize,
        stratum: u32,
        pop_size: Option<f64>,
    ) -> Result<&mut StratumMoments> {
        let s = strata.entry(stratum).or_insert_with(|| StratumMoments {
            pop_size,
            n_psu: 0,
            sum: vec![0.0; d],
            cross: Vec::new(),
            pending: Vec::new(),
            psus: FastMap::default(),
        });
        if s.pop_size != pop_size {
            return Err(AnalysisError::InconsistentPopulation { stratum });
        }
        Ok(s)
    }

    /// How many numbers `stratum_stats` gives: PSU count, Σv, and the upper triangle of Σvvᵀ.
    pub fn stats_len(dim: usize) -> usize {
        1 + dim + tri_len(dim)
    }

    /// One stratum of an unclustered design as a flat vector (see `stats_len`); zeros when the
    /// stratum is absent. Adding two such vectors is merging.
    pub fn stratum_stats(&self, stratum: u32) -> Vec<f64> {
        let d = self.dim;
        let mut out = vec![0.0; Self::stats_len(d)];
        if let Some(s) = self.strata.get(&stratum) {
            out[0] = s.n_psu as f64;
            out[1..=d].copy_from_slice(&s.sum);
            let cross = &mut out[1 + d..];
            if !s.cross.is_empty() {
                cross.copy_from_slice(&s.cross);
            }
            for v in s.pending.chunks_exact(d) {
                add_outer(cross, v);
            }
        }
        out
    }

    /// Adds a vector made by `stratum_stats` to `stratum` (unclustered, no population size).
    pub fn add_stratum_stats(&mut self, stratum: u32, stats: &[f64]) -> Result<()> {
        let d = self.dim;
        if self.clustered || stats.len() != Self::stats_len(d) {
            return Err(AnalysisError::ShapeMismatch);
        }
        let n = stats[0];
        if !(n >= 0.0 && n.fract() == 0.0) || stats.iter().any(|x| !x.is_finite()) {
            return Err(AnalysisError::InvalidParameter(
                "statistics must be finite with a whole PSU count".into(),
            ));
        }
        if n == 0.0 {
            return Ok(());
        }
        let s = Self::stratum_mut(&mut self.strata, self.dim, stratum, None)?;
        s.n_psu += n as u64;
        self.rows += n as u64;
        for (a, b) in s.sum.iter_mut().zip(&stats[1..=d]) {
            *a += b;
        }
        if s.cross.is_empty() {
            s.cross = vec![0.0; tri_len(d)];
        }
        for (a, b) in s.cross.iter_mut().zip(&stats[1 + d..]) {
            *a += b;
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
                        if !o.pending.is_empty() {
                            if s.cross.is_empty() {
                                s.cross = vec![0.0; tri_len(self.dim)];
                            }
                            add_block(&mut s.cross, &o.pending, self.dim);
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
        let chosen: Vec<(&u32, &StratumMoments)> = match only {
            Some(h) => self.strata.get_key_value(&h).into_iter().collect(),
            None => self.strata.iter().collect(),
        };
        let dot = |v: &[f64]| -> f64 { u.iter().zip(v).map(|(a, b)| a * b).sum() };
        let abs_u: Vec<f64> = u.iter().map(|x| x.abs()).collect();
        let abs_dot = |v: &[f64]| -> f64 { abs_u.iter().zip(v).map(|(a, b)| a * b.abs()).sum() };
        combine_strata(
            chosen.into_iter(),
            lonely,
            |(id, s)| (**id, s.pop_size, s.n_psu),
            |(_, s)| {
                // Beside Σz², the size of the terms it is made of (|u|ᵀ|M||u|), so that a
                // variance that cancels to rounding is recognised as zero.
                let (sum_sq, magnitude) = if self.clustered {
                    let sq: f64 = s.psus.values().map(|t| dot(t).powi(2)).sum();
                    let mag: f64 = s.psus.values().map(|t| abs_dot(t).powi(2)).sum();
                    (sq, mag)
                } else {
                    let rows = s.pending.chunks_exact(self.dim);
                    let pending: f64 = rows.clone().map(|v| dot(v).powi(2)).sum();
                    let pending_mag: f64 = rows.map(|v| abs_dot(v).powi(2)).sum();
                    (
                        quadratic_form(&s.cross, u) + pending,
                        quadratic_form_abs(&s.cross, &abs_u) + pending_mag,
                    )
                };
                (dot(&s.sum), sum_sq, magnitude)
            },
        )
    }
}

const BLOCK: usize = 8;

/// cross += upper triangle of Σ_b v_b v_bᵀ for the rows of `block` (each `d` long).
fn add_block(cross: &mut [f64], block: &[f64], d: usize) {
    let rows: Vec<&[f64]> = block.chunks_exact(d).collect();
    if rows.len() != BLOCK {
        for r in rows {
            add_outer(cross, r);
        }
        return;
    }
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let c: [f64; BLOCK] = std::array::from_fn(|b| rows[b][i]);
        if c.iter().any(|x| *x != 0.0) {
            let out = &mut cross[start..start + len];
            // Equal-length slices let the compiler drop bounds checks and vectorise.
            let (r0, r1, r2, r3) = (
                &rows[0][i..d],
                &rows[1][i..d],
                &rows[2][i..d],
                &rows[3][i..d],
            );
            let (r4, r5, r6, r7) = (
                &rows[4][i..d],
                &rows[5][i..d],
                &rows[6][i..d],
                &rows[7][i..d],
            );
            let out = &mut out[..len];
            let (r0, r1, r2, r3, r4, r5, r6, r7) = (
                &r0[..len],
                &r1[..len],
                &r2[..len],
                &r3[..len],
                &r4[..len],
                &r5[..len],
                &r6[..len],
                &r7[..len],
            );
            for j in 0..len {
                out[j] += c[0] * r0[j]
                    + c[1] * r1[j]
                    + c[2] * r2[j]
                    + c[3] * r3[j]
                    + c[4] * r4[j]
                    + c[5] * r5[j]
                    + c[6] * r6[j]
                    + c[7] * r7[j];
            }
        }
        start += len;
    }
}

/// cross += upper triangle of v vᵀ. Rows with v_i = 0 (unanswered items) are skipped.
/// cross += c · v vᵀ (packed upper triangle).
fn add_outer_scaled(cross: &mut [f64], v: &[f64], c: f64) {
    let d = v.len();
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let cvi = c * v[i];
        if cvi != 0.0 {
            for (x, vj) in cross[start..start + len].iter_mut().zip(&v[i..]) {
                *x += cvi * vj;
            }
        }
        start += len;
    }
}

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

/// |u|ᵀ |M| |u| for M stored as its packed upper triangle (`abs_u` already non-negative).
fn quadratic_form_abs(cross: &[f64], abs_u: &[f64]) -> f64 {
    if cross.is_empty() {
        return 0.0;
    }
    let d = abs_u.len();
    let mut acc = 0.0;
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let row = &cross[start..start + len];
        let ui = abs_u[i];
        if ui != 0.0 {
            let off: f64 = row[1..]
                .iter()
                .zip(&abs_u[i + 1..])
                .map(|(m, uj)| m.abs() * uj)
                .sum();
            acc += ui * (row[0].abs() * ui + 2.0 * off);
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
