//! SIPAS indices (METHODOLOGY.md §3) with linearised intervals.
//!
//! - Item index: share of valid answers that are satisfied (≥ threshold, default 4), weighted;
//!   "no opinion" and skipped answers leave the denominator and count in the missing rate.
//! - Factor index: mean of its item indices (items without any valid answer are left out);
//!   the respondent-level variant is the mean over respondents of their share satisfied.
//! - Overall SIPAS: unweighted mean of the factor indices.
//! - Comprehensive index: share of respondents satisfied on every item they answered.
//!
//! Composite indices get their variance from per-respondent influence values, like
//! `svyratio` per item followed by `svycontrast` in R: one `LinearMoments` over
//! (Σw·satisfied, Σw·valid) for every item holds all the covariances needed.

use crate::binomial::{self, BinomialMethod};
use crate::design::DesignEstimate;
use crate::error::{check_level, AnalysisError, Result};
use crate::fastmap::FastMap;
use crate::linear::LinearMoments;
use crate::proportion::{design_interval_with, t_quantile, DesignMethod};
use crate::strata::LonelyPsu;

/// Which items make up which factor; items are numbered 0..items.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexSpec {
    pub items: usize,
    pub factors: Vec<Vec<usize>>,
    /// Satisfied means a value at or above this (4 on the 5-level scale).
    pub threshold: u8,
}

/// One respondent of a design (use stratum 0, no PSU and weight 1 for a simple stream).
pub struct Respondent<'a> {
    pub stratum: u32,
    pub psu: Option<u64>,
    pub weight: f64,
    pub pop_size: Option<f64>,
    /// One entry per item: 1–5, or `None` for "no opinion" or skipped.
    pub answers: &'a [Option<u8>],
}

#[derive(Clone, Debug, Default)]
struct ItemTally {
    valid: u64,
    missing: u64,
    /// Weighted count per level 1–5.
    levels: [f64; 5],
}

/// The same respondents, each its own PSU: within their strata (`items`, `respondents`: the
/// variance of an estimate resting on one cluster) and all in one stratum (`pooled_*`: simple
/// random sampling, the design effect's denominator).
#[derive(Clone, Debug)]
struct Independent {
    items: LinearMoments,
    respondents: LinearMoments,
    pooled_items: LinearMoments,
    pooled_respondents: LinearMoments,
}

/// A variance with the degrees of freedom and design effect that go with it.
#[derive(Clone, Copy, Debug)]
struct Spread {
    var: f64,
    df: f64,
    deff: Option<f64>,
}

/// An accumulator of the SIPAS indices' sufficient statistics.
///
/// Clustered designs (`new(_, true)`, PSUs as clusters: desks within agency strata for the
/// desk stream) take the linearised variance over clusters, with R's `survey` rules: strata
/// with one PSU follow `ReportOptions::lonely`; df = PSUs − strata. Two rules of ours, where
/// R gives no interval: when every stratum has a single PSU (df = 0) but there are several,
/// the strata are collapsed into one (R's `svydesign(ids = ~psu)`), df = PSUs − 1; when the estimate rests on a single PSU (one desk), its variance is that of
/// its respondents taken as independent (a unit with one desk has no between-desk spread to
/// estimate), df = respondents − strata (R's `svydesign(ids = ~1)`), and no design effect is
/// reported.
#[derive(Clone, Debug)]
pub struct IndexAccumulator {
    spec: IndexSpec,
    /// [Σw·satisfied per item …, Σw·valid per item …]
    items: LinearMoments,
    /// Per factor, then comprehensive: [Σw·share …, Σw·any-valid …]
    respondents: LinearMoments,
    tallies: FastMap<u32, Vec<ItemTally>>,
    /// Per stratum: respondents with any valid answer, per factor and overall.
    answered: FastMap<u32, Vec<u64>>,
    /// Clustered designs: the same moments with every respondent its own PSU, for the design
    /// effect and for estimates that rest on a single cluster.
    independent: Option<Box<Independent>>,
    scratch: Vec<f64>,
    scratch_r: Vec<f64>,
    /// Student t quantiles already computed, by (df, level): a province report asks for the
    /// same few dozens of thousands of times.
    t_memo: std::sync::Arc<std::sync::Mutex<Vec<(f64, f64, f64)>>>,
}

/// How intervals are made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IntervalKind {
    /// Probability sample: Student t on the design df, logit or Korn–Graubard.
    Design(DesignMethod),
    /// Convenience stream (desk QR): binomial intervals for items; composite indices use the
    /// logit interval on their linearised variance with df = n − 1.
    Binomial(BinomialMethod),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportOptions {
    pub level: f64,
    pub lonely: LonelyPsu,
    pub interval: IntervalKind,
    /// Below this valid n an index is computed but marked suppressed ("not reported").
    pub min_n: u64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            level: crate::DEFAULT_LEVEL,
            lonely: LonelyPsu::Fail,
            interval: IntervalKind::Design(DesignMethod::Logit),
            min_n: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexEstimate {
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub n: u64,
    pub df: f64,
    /// Clustered designs: the variance over that of a simple random sample of the same
    /// respondents (Kish's design effect, linearised, with replacement); `None` when it is not
    /// estimated (unclustered designs, a single cluster, no variance to compare with).
    pub deff: Option<f64>,
    /// n below the reporting minimum: publish "not reported", never rank.
    pub suppressed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ItemReport {
    pub index: Option<IndexEstimate>,
    /// Weighted mean score 1–5 among valid answers.
    pub mean_score: Option<f64>,
    pub valid_n: u64,
    pub missing_rate: f64,
    /// Weighted share of valid answers at each level 1–5.
    pub distribution: [f64; 5],
}

#[derive(Clone, Debug, PartialEq)]
pub struct IndexReport {
    pub items: Vec<ItemReport>,
    pub factors: Vec<Option<IndexEstimate>>,
    pub factors_respondent_level: Vec<Option<IndexEstimate>>,
    pub overall: Option<IndexEstimate>,
    pub comprehensive: Option<IndexEstimate>,
}

impl IndexAccumulator {
    pub fn new(spec: IndexSpec, clustered: bool) -> Result<IndexAccumulator> {
        if spec.items == 0 || spec.factors.is_empty() {
            return Err(AnalysisError::InvalidParameter(
                "an index needs items and factors".into(),
            ));
        }
        if spec
            .factors
            .iter()
            .any(|f| f.is_empty() || f.iter().any(|&i| i >= spec.items))
        {
            return Err(AnalysisError::InvalidParameter(
                "every factor needs items that exist".into(),
            ));
        }
        if !(1..=5).contains(&spec.threshold) {
            return Err(AnalysisError::InvalidParameter(format!(
                "threshold must be 1–5, not {}",
                spec.threshold
            )));
        }
        let k = spec.items;
        let f = spec.factors.len();
        Ok(IndexAccumulator {
            items: LinearMoments::new(2 * k, clustered),
            respondents: LinearMoments::new(2 * (f + 1), clustered),
            tallies: FastMap::default(),
            answered: FastMap::default(),
            independent: clustered.then(|| {
                Box::new(Independent {
                    items: LinearMoments::new(2 * k, false),
                    respondents: LinearMoments::new(2 * (f + 1), false),
                    pooled_items: LinearMoments::new(2 * k, false),
                    pooled_respondents: LinearMoments::new(2 * (f + 1), false),
                })
            }),
            scratch: vec![0.0; 2 * k],
            scratch_r: vec![0.0; 2 * (f + 1)],
            t_memo: Default::default(),
            spec,
        })
    }

    pub fn add(&mut self, r: &Respondent) -> Result<()> {
        self.add_counted(r, 1)
    }

    /// Adds `count` respondents who answered exactly like `r` (each its own PSU, unclustered):
    /// what `count` calls of `add` would do, in one step. The desk stream's aggregates keep
    /// counts of answer patterns; this turns them back into the report of the raw rows.
    pub fn add_repeated(&mut self, r: &Respondent, count: u64) -> Result<()> {
        if r.psu.is_some() {
            return Err(AnalysisError::InvalidParameter(
                "repeated respondents cannot share a PSU".into(),
            ));
        }
        if count == 0 {
            return Ok(());
        }
        self.add_counted(r, count)
    }

    fn add_counted(&mut self, r: &Respondent, count: u64) -> Result<()> {
        let row = self.items.rows() + 1;
        let k = self.spec.items;
        if r.answers.len() != k {
            return Err(AnalysisError::InvalidParameter(format!(
                "row {row}: {} answers for {k} items",
                r.answers.len()
            )));
        }
        if !r.weight.is_finite() || r.weight < 0.0 {
            return Err(AnalysisError::InvalidWeight {
                row,
                weight: r.weight,
            });
        }
        if let Some(bad) = r.answers.iter().flatten().find(|v| !(1..=5).contains(*v)) {
            return Err(AnalysisError::InvalidValue {
                row,
                value: f64::from(*bad),
            });
        }
        if let Some(n) = r.pop_size {
            if !n.is_finite() || n <= 0.0 {
                return Err(AnalysisError::InvalidPopulation { row, value: n });
            }
        }
        let w = r.weight;
        let t = self.spec.threshold;
        let v = &mut self.scratch;
        for (i, a) in r.answers.iter().enumerate() {
            match a {
                Some(x) => {
                    v[i] = if *x >= t { w } else { 0.0 };
                    v[k + i] = w;
                }
                None => {
                    v[i] = 0.0;
                    v[k + i] = 0.0;
                }
            }
        }
        let f = self.spec.factors.len();
        let rv = &mut self.scratch_r;
        let mut answered_any = false;
        let mut all_satisfied = true;
        let answered = self
            .answered
            .entry(r.stratum)
            .or_insert_with(|| vec![0; f + 1]);
        for (j, items) in self.spec.factors.iter().enumerate() {
            let (mut valid, mut sat) = (0u32, 0u32);
            for &i in items {
                if let Some(x) = r.answers[i] {
                    valid += 1;
                    sat += u32::from(x >= t);
                }
            }
            if valid > 0 {
                rv[j] = w * f64::from(sat) / f64::from(valid);
                rv[f + 1 + j] = w;
                answered[j] += count;
            } else {
                rv[j] = 0.0;
                rv[f + 1 + j] = 0.0;
            }
        }
        for a in r.answers.iter().flatten() {
            answered_any = true;
            all_satisfied &= *a >= t;
        }
        rv[f] = if answered_any && all_satisfied {
            w
        } else {
            0.0
        };
        rv[2 * f + 1] = if answered_any { w } else { 0.0 };
        if answered_any {
            answered[f] += count;
        }
        if let Some(ind) = self.independent.as_mut() {
            ind.items
                .add_repeated(r.stratum, r.pop_size, &self.scratch, count)?;
            ind.respondents
                .add_repeated(r.stratum, r.pop_size, &self.scratch_r, count)?;
            ind.pooled_items
                .add_repeated(0, None, &self.scratch, count)?;
            ind.pooled_respondents
                .add_repeated(0, None, &self.scratch_r, count)?;
        }
        if count == 1 {
            self.items
                .add(r.stratum, r.psu, r.pop_size, &self.scratch)?;
            self.respondents
                .add(r.stratum, r.psu, r.pop_size, &self.scratch_r)?;
        } else {
            self.items
                .add_repeated(r.stratum, r.pop_size, &self.scratch, count)?;
            self.respondents
                .add_repeated(r.stratum, r.pop_size, &self.scratch_r, count)?;
        }
        let tallies = self
            .tallies
            .entry(r.stratum)
            .or_insert_with(|| vec![ItemTally::default(); k]);
        for (tally, a) in tallies.iter_mut().zip(r.answers) {
            match a {
                Some(x) => {
                    tally.valid += count;
                    tally.levels[usize::from(*x) - 1] += w * count as f64;
                }
                None => tally.missing += count,
            }
        }
        Ok(())
    }

    /// How many numbers `stats` gives for `spec`.
    pub fn stats_len(spec: &IndexSpec) -> usize {
        let (k, f) = (spec.items, spec.factors.len());
        LinearMoments::stats_len(2 * k) + LinearMoments::stats_len(2 * (f + 1)) + 7 * k + f + 1
    }

    /// The sufficient statistics of a simple stream (unclustered, every respondent in stratum
    /// 0, no population size) as one flat vector of `stats_len` numbers: adding two vectors
    /// element by element is `merge`, and `from_stats` gives back an accumulator whose report
    /// is the report of the rows. What the desk stream's aggregates store per cell.
    pub fn stats(&self) -> Result<Vec<f64>> {
        if self.independent.is_some() || self.strata().iter().any(|h| *h != 0) {
            return Err(AnalysisError::InvalidParameter(
                "statistics vectors hold a single stratum 0".into(),
            ));
        }
        let k = self.spec.items;
        let f = self.spec.factors.len();
        let mut out = self.items.stratum_stats(0);
        out.extend(self.respondents.stratum_stats(0));
        let tallies = self.tallies.get(&0);
        for i in 0..k {
            let t = tallies.map(|t| t[i].clone()).unwrap_or_default();
            out.push(t.valid as f64);
            out.push(t.missing as f64);
            out.extend(t.levels);
        }
        let answered = self.answered.get(&0);
        out.extend((0..=f).map(|j| answered.map_or(0.0, |a| a[j] as f64)));
        debug_assert_eq!(out.len(), Self::stats_len(&self.spec));
        Ok(out)
    }

    /// An accumulator holding the sum of `stats` vectors (see `stats`).
    pub fn from_stats(spec: IndexSpec, stats: &[f64]) -> Result<IndexAccumulator> {
        if stats.len() != Self::stats_len(&spec) {
            return Err(AnalysisError::ShapeMismatch);
        }
        let mut acc = IndexAccumulator::new(spec, false)?;
        let k = acc.spec.items;
        let f = acc.spec.factors.len();
        let (a, rest) = stats.split_at(LinearMoments::stats_len(2 * k));
        let (b, rest) = rest.split_at(LinearMoments::stats_len(2 * (f + 1)));
        let (t, answered) = rest.split_at(7 * k);
        acc.items.add_stratum_stats(0, a)?;
        acc.respondents.add_stratum_stats(0, b)?;
        if a[0] > 0.0 {
            let count = |x: f64| x.max(0.0).round() as u64;
            acc.tallies.insert(
                0,
                t.chunks_exact(7)
                    .map(|c| ItemTally {
                        valid: count(c[0]),
                        missing: count(c[1]),
                        levels: [c[2], c[3], c[4], c[5], c[6]],
                    })
                    .collect(),
            );
            acc.answered
                .insert(0, answered.iter().map(|x| count(*x)).collect());
        }
        Ok(acc)
    }

    /// Adds one cell of a simple stream (a `stats` vector) to a clustered accumulator as part
    /// of PSU `psu` in `stratum`: the desk stream's aggregates with desks as clusters. The
    /// report equals that of adding the cell's rows with that PSU and stratum.
    pub fn add_cell(&mut self, stratum: u32, psu: u64, stats: &[f64]) -> Result<()> {
        if stats.len() != Self::stats_len(&self.spec) || !self.items.is_clustered() {
            return Err(AnalysisError::ShapeMismatch);
        }
        let k = self.spec.items;
        let f = self.spec.factors.len();
        let (a, rest) = stats.split_at(LinearMoments::stats_len(2 * k));
        let (b, rest) = rest.split_at(LinearMoments::stats_len(2 * (f + 1)));
        let (t, answered) = rest.split_at(7 * k);
        let rows = a[0];
        if !(rows >= 0.0 && rows.fract() == 0.0) || stats.iter().any(|x| !x.is_finite()) {
            return Err(AnalysisError::InvalidParameter(
                "statistics must be finite with a whole row count".into(),
            ));
        }
        if rows == 0.0 {
            return Ok(());
        }
        if let Some(ind) = self.independent.as_mut() {
            ind.items.add_stratum_stats(stratum, a)?;
            ind.respondents.add_stratum_stats(stratum, b)?;
            ind.pooled_items.add_stratum_stats(0, a)?;
            ind.pooled_respondents.add_stratum_stats(0, b)?;
        }
        self.items
            .add_psu_sum(stratum, psu, rows as u64, &a[1..=2 * k])?;
        self.respondents
            .add_psu_sum(stratum, psu, b[0] as u64, &b[1..=2 * (f + 1)])?;
        let count = |x: f64| x.max(0.0).round() as u64;
        let tallies = self
            .tallies
            .entry(stratum)
            .or_insert_with(|| vec![ItemTally::default(); k]);
        for (tally, c) in tallies.iter_mut().zip(t.chunks_exact(7)) {
            tally.valid += count(c[0]);
            tally.missing += count(c[1]);
            for l in 0..5 {
                tally.levels[l] += c[2 + l];
            }
        }
        let mine = self
            .answered
            .entry(stratum)
            .or_insert_with(|| vec![0; f + 1]);
        for (m, x) in mine.iter_mut().zip(answered) {
            *m += count(*x);
        }
        Ok(())
    }

    pub fn merge(&mut self, other: IndexAccumulator) -> Result<()> {
        if self.spec != other.spec || self.independent.is_some() != other.independent.is_some() {
            return Err(AnalysisError::ShapeMismatch);
        }
        self.items.merge(other.items)?;
        self.respondents.merge(other.respondents)?;
        if let (Some(mine), Some(theirs)) = (self.independent.as_mut(), other.independent) {
            mine.items.merge(theirs.items)?;
            mine.respondents.merge(theirs.respondents)?;
            mine.pooled_items.merge(theirs.pooled_items)?;
            mine.pooled_respondents.merge(theirs.pooled_respondents)?;
        }
        for (h, t) in other.tallies {
            let mine = self
                .tallies
                .entry(h)
                .or_insert_with(|| vec![ItemTally::default(); t.len()]);
            for (a, b) in mine.iter_mut().zip(t) {
                a.valid += b.valid;
                a.missing += b.missing;
                for l in 0..5 {
                    a.levels[l] += b.levels[l];
                }
            }
        }
        for (h, n) in other.answered {
            let mine = self.answered.entry(h).or_insert_with(|| vec![0; n.len()]);
            for (a, b) in mine.iter_mut().zip(n) {
                *a += b;
            }
        }
        Ok(())
    }

    /// Strata seen (agencies, when agencies are the strata).
    pub fn strata(&self) -> Vec<u32> {
        self.items.strata()
    }

    /// The indices over all strata (`None`) or within one stratum.
    pub fn report(&self, only: Option<u32>, opts: &ReportOptions) -> Result<IndexReport> {
        check_level(opts.level)?;
        let k = self.spec.items;
        let totals = self.items.totals(only);
        let mut tally = vec![ItemTally::default(); k];
        for (h, t) in &self.tallies {
            if only.is_none_or(|o| o == *h) {
                for (a, b) in tally.iter_mut().zip(t) {
                    a.valid += b.valid;
                    a.missing += b.missing;
                    for l in 0..5 {
                        a.levels[l] += b.levels[l];
                    }
                }
            }
        }
        let f = self.spec.factors.len();
        let mut answered = vec![0u64; f + 1];
        for (h, n) in &self.answered {
            if only.is_none_or(|o| o == *h) {
                for (a, b) in answered.iter_mut().zip(n) {
                    *a += b;
                }
            }
        }

        // Influence coefficients of item i's index: ∂p/∂Y = 1/X, ∂p/∂X = −p/X.
        let p: Vec<Option<f64>> = (0..k)
            .map(|i| (totals[k + i] > 0.0).then(|| totals[i] / totals[k + i]))
            .collect();
        let item_u = |i: usize, scale: f64, u: &mut [f64]| {
            if let Some(pi) = p[i] {
                u[i] += scale / totals[k + i];
                u[k + i] -= scale * pi / totals[k + i];
            }
        };

        let mut items = Vec::with_capacity(k);
        for i in 0..k {
            let t = &tally[i];
            let weight: f64 = t.levels.iter().sum();
            let index = match p[i] {
                Some(pi) => {
                    let mut u = vec![0.0; 2 * k];
                    item_u(i, 1.0, &mut u);
                    let spread = self.spread(false, &u, only, opts)?;
                    Some(self.finish(pi, spread, t.valid, opts, true)?)
                }
                None => None,
            };
            let total_n = t.valid + t.missing;
            items.push(ItemReport {
                index,
                mean_score: (weight > 0.0).then(|| {
                    t.levels
                        .iter()
                        .enumerate()
                        .map(|(l, w)| (l + 1) as f64 * w)
                        .sum::<f64>()
                        / weight
                }),
                valid_n: t.valid,
                missing_rate: if total_n > 0 {
                    t.missing as f64 / total_n as f64
                } else {
                    0.0
                },
                distribution: if weight > 0.0 {
                    t.levels.map(|w| w / weight)
                } else {
                    [0.0; 5]
                },
            });
        }

        let mut factor_u: Vec<Option<Vec<f64>>> = Vec::with_capacity(f);
        let mut factors = Vec::with_capacity(f);
        for (j, members) in self.spec.factors.iter().enumerate() {
            let with_data: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| p[i].is_some())
                .collect();
            if with_data.is_empty() {
                factor_u.push(None);
                factors.push(None);
                continue;
            }
            let scale = 1.0 / with_data.len() as f64;
            let mut u = vec![0.0; 2 * k];
            for &i in &with_data {
                item_u(i, scale, &mut u);
            }
            let est: f64 = with_data.iter().map(|&i| p[i].unwrap_or(0.0)).sum::<f64>() * scale;
            let spread = self.spread(false, &u, only, opts)?;
            factors.push(Some(self.finish(est, spread, answered[j], opts, false)?));
            factor_u.push(Some(u));
        }

        let present: Vec<(usize, &Vec<f64>)> = factor_u
            .iter()
            .enumerate()
            .filter_map(|(j, u)| u.as_ref().map(|u| (j, u)))
            .collect();
        let overall = if present.is_empty() {
            None
        } else {
            let scale = 1.0 / present.len() as f64;
            let mut u = vec![0.0; 2 * k];
            for (_, fu) in &present {
                for (a, b) in u.iter_mut().zip(fu.iter()) {
                    *a += scale * b;
                }
            }
            let est = present
                .iter()
                .map(|(j, _)| factors[*j].map_or(0.0, |e| e.estimate))
                .sum::<f64>()
                * scale;
            let spread = self.spread(false, &u, only, opts)?;
            let mut e = self.finish(est, spread, answered[f], opts, false)?;
            // Suppression composes: an average of factors is not reported (nor ranked) when any
            // factor it averages is not — below the minimum n, or without a valid answer.
            e.suppressed |= factors.iter().any(|f| f.is_none_or(|f| f.suppressed));
            Some(e)
        };

        let rt = self.respondents.totals(only);
        let ratio = |num: usize, den: usize, n: u64| -> Result<Option<IndexEstimate>> {
            if rt[den] <= 0.0 {
                return Ok(None);
            }
            let r = rt[num] / rt[den];
            let mut u = vec![0.0; rt.len()];
            u[num] = 1.0 / rt[den];
            u[den] = -r / rt[den];
            let spread = self.spread(true, &u, only, opts)?;
            Ok(Some(self.finish(r, spread, n, opts, false)?))
        };
        let factors_respondent_level = answered[..f]
            .iter()
            .enumerate()
            .map(|(j, &n)| ratio(j, f + 1 + j, n))
            .collect::<Result<Vec<_>>>()?;
        let comprehensive = ratio(f, 2 * f + 1, answered[f])?;
        Ok(IndexReport {
            items,
            factors,
            factors_respondent_level,
            overall,
            comprehensive,
        })
    }

    /// The variance of uᵀT over the items' moments (or the respondents' with `respondents`),
    /// its df and design effect, with the clustered designs' rules (see the type's doc).
    fn spread(
        &self,
        respondents: bool,
        u: &[f64],
        only: Option<u32>,
        opts: &ReportOptions,
    ) -> Result<Spread> {
        let moments = if respondents {
            &self.respondents
        } else {
            &self.items
        };
        let df = moments.df(only);
        let Some(ind) = self.independent.as_ref() else {
            return Ok(Spread {
                var: moments.variance(u, only, opts.lonely)?,
                df,
                deff: None,
            });
        };
        let (plain, pooled) = if respondents {
            (&ind.respondents, &ind.pooled_respondents)
        } else {
            (&ind.items, &ind.pooled_items)
        };
        let independent = plain.variance(u, only, opts.lonely)?;
        let psus = moments.psus(only);
        if psus < 2 {
            return Ok(Spread {
                var: independent,
                df: plain.df(only),
                deff: None,
            });
        }
        let mut var = moments.variance(u, only, opts.lonely)?;
        let df = if df >= 1.0 {
            df
        } else {
            // Every stratum has one PSU: collapse the strata into one (R: svydesign(ids =
            // ~desk) without strata). Adjusted lonely PSUs give Σz²; the collapsed variance
            // centres at the mean of the PSUs' z, which is 0 for the whole estimate, and takes
            // k/(k − 1) of it.
            var *= psus as f64 / (psus - 1) as f64;
            (psus - 1) as f64
        };
        // The design effect against simple random sampling of the same ratings (Kish): one
        // stratum, every rating its own PSU. Only for the whole estimate.
        let srs = match only {
            None => pooled.variance(u, None, opts.lonely)?,
            Some(_) => independent,
        };
        Ok(Spread {
            var,
            df,
            deff: (srs > 0.0).then(|| var / srs),
        })
    }

    fn finish(
        &self,
        estimate: f64,
        Spread { var, df, deff }: Spread,
        n: u64,
        opts: &ReportOptions,
        single_item: bool,
    ) -> Result<IndexEstimate> {
        let se = var.max(0.0).sqrt();
        let (low, high) = match opts.interval {
            IntervalKind::Binomial(m) if single_item => {
                let x = (estimate * n as f64).round() as u64;
                let ci = binomial::interval(m, x.min(n), n, opts.level)?;
                (ci.low, ci.high)
            }
            IntervalKind::Binomial(_) | IntervalKind::Design(_) => {
                let (method, df) = match opts.interval {
                    IntervalKind::Design(m) => (m, df),
                    IntervalKind::Binomial(_) => (DesignMethod::Logit, n.saturating_sub(1) as f64),
                };
                let e = DesignEstimate {
                    estimate,
                    se,
                    n,
                    df,
                    deff: None,
                    denominator: 0.0,
                };
                let t = (method == DesignMethod::Logit).then(|| {
                    let mut memo = self.t_memo.lock().unwrap_or_else(|p| p.into_inner());
                    match memo.iter().find(|(d, l, _)| *d == df && *l == opts.level) {
                        Some(&(_, _, t)) => t,
                        None => {
                            let t = t_quantile(1.0 - (1.0 - opts.level) / 2.0, df);
                            memo.push((df, opts.level, t));
                            t
                        }
                    }
                });
                let ci = design_interval_with(&e, method, opts.level, t)?;
                (ci.low, ci.high)
            }
        };
        Ok(IndexEstimate {
            estimate,
            se,
            ci_low: low,
            ci_high: high,
            n,
            df,
            deff,
            suppressed: n < opts.min_n,
        })
    }
}
