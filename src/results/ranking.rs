//! The province ranking (issue #7 point 4): every unit of one agency level, with its index for
//! a period, a 95% rank interval from seeded simulation (`analysis::compare::rank`), a tier
//! against the province index, and the funnel plot's control limits. Units below the minimum
//! n are listed apart and never ranked. A unit's ratings are those of the unit and every
//! agency below it; the province index is that of every rating selected.
//!
//! One function computes the table for the page, its CSV export and the API alike, so they
//! cannot disagree.

use std::collections::HashMap;

use analysis::compare::{self, Tier};
pub use analysis::funnel::{self, Funnel, Overdispersion};
use analysis::IndexEstimate;

use super::rollup::{report_of, ClusterCell};
pub use super::small_area::{self, Covariates, SmallArea};
use super::sums::PerDesk;
use crate::db::agencies::AgencyRow;
use crate::domain::FormSpec;

/// Rank simulations per table: enough for stable 2.5% and 97.5% rank quantiles, few enough
/// that 3,321 communes rank in well under a second.
pub const SIMULATIONS: usize = 2_000;

/// Which index orders the units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The overall SIPAS (mean of the five factor indices).
    Overall,
    /// One question of the desk form, by position (a factor or the overall question).
    Question(usize),
}

#[derive(Clone, Debug)]
pub struct Unit {
    pub agency_id: i32,
    /// The agency above it, a covariate of the small-area model (`None`: at the top, or not
    /// known, as for the annual survey's strata).
    pub parent_id: Option<i32>,
    pub code: String,
    pub name: String,
    pub responses: u64,
    /// The ranked index; `None` without ratings.
    pub index: Option<IndexEstimate>,
    /// The five factor indices, for the small multiples.
    pub factors: Vec<Option<IndexEstimate>>,
    /// What the small-area model may use besides the parent.
    pub covariates: Covariates,
}

#[derive(Clone, Debug)]
pub struct RankedUnit {
    pub unit: Unit,
    pub rank: usize,
    pub rank_low: usize,
    pub rank_high: usize,
    /// Against the funnel's null (widened for overdispersion), claimed only when the
    /// Benjamini–Hochberg p-value across the table's units is at most 5%.
    pub tier: Tier,
    /// Two-sided p-value of "no different from the province" under the funnel's null.
    pub p_value: f64,
    /// `p_value` adjusted by Benjamini–Hochberg across the ranked units.
    pub p_adjusted: f64,
}

#[derive(Clone, Debug)]
pub struct Ranking {
    /// The index of every rating selected: the line the tiers and the funnel are drawn around.
    pub province: Option<IndexEstimate>,
    /// Every rating selected, valid or not (the province's missing rate is read against it).
    pub province_responses: u64,
    /// The province's five factor indices (the reference line of the small multiples).
    pub province_factors: Vec<Option<IndexEstimate>>,
    /// Best first.
    pub ranked: Vec<RankedUnit>,
    /// Below the minimum n (or without ratings): shown apart, never ranked.
    pub unranked: Vec<Unit>,
    pub seed: u64,
    pub simulations: usize,
    /// The null the funnel draws and the tiers are judged against; `None` without a
    /// province index.
    pub funnel: Option<Funnel>,
    /// What the overdispersion test found among the ranked units.
    pub overdispersion: Option<Overdispersion>,
    /// For each unit of `unranked` (same order): a model-based estimate when it has ratings
    /// but too few to report (`small_area::fit`); never ranked.
    pub model_based: Vec<Option<SmallArea>>,
    /// The model behind `model_based`, when one was fitted.
    pub small_area_model: Option<small_area::Model>,
}

/// The false discovery rate the tiers control across a table's units.
pub const TIER_FDR: f64 = 0.05;

/// A seed that depends only on what the table shows, so the same request gives the same rank
/// intervals on any machine, and printing it lets anyone rerun the simulation.
pub fn default_seed(parts: &[&str]) -> u64 {
    // FNV-1a: stable across Rust versions, unlike the standard library's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    // Small enough to print and type back.
    h % 1_000_000_007
}

/// The agency of `level_id` that `agency` belongs to (itself, or its nearest ancestor of that
/// level), if any.
fn unit_of(
    agency: i32,
    level_id: i32,
    by_id: &HashMap<i32, &AgencyRow>,
    memo: &mut HashMap<i32, Option<i32>>,
) -> Option<i32> {
    if let Some(found) = memo.get(&agency) {
        return *found;
    }
    let mut path = Vec::new();
    let mut at = Some(agency);
    let found = loop {
        let Some(id) = at else { break None };
        if let Some(found) = memo.get(&id) {
            break *found;
        }
        let Some(row) = by_id.get(&id) else {
            break None;
        };
        path.push(id);
        if row.level_id == level_id {
            break Some(id);
        }
        // A tree: a malformed cycle ends the walk rather than looping.
        if path.len() > by_id.len() {
            break None;
        }
        at = row.parent_id;
    };
    for id in path {
        memo.insert(id, found);
    }
    found
}

/// The cells of `sums` grouped by the unit of `level_id` their agency belongs to.
fn cells_per_unit<'s>(
    sums: &'s PerDesk,
    level_id: i32,
    by_id: &HashMap<i32, &AgencyRow>,
    memo: &mut HashMap<i32, Option<i32>>,
) -> HashMap<i32, Vec<ClusterCell<'s>>> {
    let mut per_unit: HashMap<i32, Vec<ClusterCell>> = HashMap::new();
    for (&(agency, desk), (n, stats)) in sums {
        if let Some(unit) = unit_of(agency, level_id, by_id, memo) {
            per_unit
                .entry(unit)
                .or_default()
                .push((agency, desk, *n, stats.as_slice()));
        }
    }
    per_unit
}

/// What the small-area model of a ranking may know of its units beyond the period's ratings.
#[derive(Debug, Default)]
pub struct Prior {
    /// Frame size N_h per agency: the strata of the latest designed annual-survey wave.
    pub frame_sizes: HashMap<i32, i64>,
    /// The same selection a year earlier, per desk.
    pub last_year: PerDesk,
}

/// Ranks the units of `level_id` from the period's sums per desk (`sums::per_period`). Units
/// that are disabled and have no ratings in the period are left out; a disabled unit with
/// ratings is shown. `prior` gives the small-area model its covariates.
pub fn rank(
    form: &FormSpec,
    agencies: &[AgencyRow],
    (level_id, measure): (i32, Measure),
    sums: &PerDesk,
    prior: &Prior,
    seed: u64,
) -> anyhow::Result<Ranking> {
    let by_id: HashMap<i32, &AgencyRow> = agencies.iter().map(|a| (a.id, a)).collect();
    let mut memo = HashMap::new();
    let mut per_unit = cells_per_unit(sums, level_id, &by_id, &mut memo);
    let mut last_year = cells_per_unit(&prior.last_year, level_id, &by_id, &mut memo);
    let mut frame_sizes: HashMap<i32, i64> = HashMap::new();
    for (&agency, &size) in &prior.frame_sizes {
        if let Some(unit) = unit_of(agency, level_id, &by_id, &mut memo) {
            *frame_sizes.entry(unit).or_default() += size;
        }
    }
    let whole = report_of(
        form,
        sums.iter()
            .map(|(&(a, d), (n, s))| (a, d, *n, s.as_slice())),
    )?;
    let province = whole.as_ref().and_then(|(r, _)| pick(r, measure));
    let province_responses = whole.as_ref().map_or(0, |(_, n)| *n);
    let province_factors = whole
        .map(|(r, _)| r.factors)
        .unwrap_or_else(|| vec![None; form.factor_count()]);

    let mut units = Vec::new();
    for a in agencies.iter().filter(|a| a.level_id == level_id) {
        let report = match per_unit.remove(&a.id) {
            Some(cells) => report_of(form, cells)?,
            None if !a.active => continue,
            None => None,
        };
        units.push(Unit {
            agency_id: a.id,
            parent_id: a.parent_id,
            code: a.code.clone(),
            name: a.name.clone(),
            responses: report.as_ref().map_or(0, |(_, n)| *n),
            index: report.as_ref().and_then(|(r, _)| pick(r, measure)),
            factors: report
                .as_ref()
                .map(|(r, _)| r.factors.clone())
                .unwrap_or_else(|| vec![None; form.factor_count()]),
            covariates: Covariates {
                frame_size: frame_sizes.get(&a.id).map(|&s| s as f64),
                last_year: match last_year.remove(&a.id) {
                    Some(cells) => report_of(form, cells)?
                        .and_then(|(r, _)| pick(&r, measure))
                        .filter(|e| e.n > 0)
                        .map(|e| e.estimate),
                    None => None,
                },
            },
        });
    }
    // A single question of the desk stream has the exact binomial null; the composite the
    // normal one on its linearised σ.
    let binomial = matches!(measure, Measure::Question(_));
    from_units(
        units,
        (province, province_responses),
        province_factors,
        (seed, binomial),
    )
}

/// Ranks units whose indices are computed already (the desk stream's, above, or an annual
/// survey's strata): units below the minimum n apart, the rest with rank intervals and tiers
/// against `province`.
pub fn from_units(
    units: Vec<Unit>,
    (province, province_responses): (Option<IndexEstimate>, u64),
    province_factors: Vec<Option<IndexEstimate>>,
    (seed, binomial): (u64, bool),
) -> anyhow::Result<Ranking> {
    let (rankable, unranked): (Vec<Unit>, Vec<Unit>) = units
        .into_iter()
        .partition(|u| u.index.is_some_and(|e| !e.suppressed));
    let estimates: Vec<IndexEstimate> = rankable.iter().filter_map(|u| u.index).collect();
    let reference = province.map_or(0.0, |p| p.estimate);
    let rows = if estimates.is_empty() {
        Vec::new()
    } else {
        compare::rank(&estimates, reference, SIMULATIONS, seed)?
    };
    // The funnel's null: the province, σ from its own interval, widened when the units
    // differ by more than chance (Spiegelhalter 2005 §6); the tiers use the same null.
    let placed: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| {
            let e = &rankable[r.unit].index;
            e.map_or((reference, 1.0), |e| (e.estimate, e.n as f64))
        })
        .collect();
    let (funnel, overdispersion) = match province {
        Some(p) => {
            let mut funnel = null_of(&p, binomial);
            let od = funnel::overdispersion(&placed, &funnel)?;
            funnel.tau2 = od.tau2;
            (Some(funnel), Some(od))
        }
        None => (None, None),
    };
    let judged = funnel.map(|f| funnel::judge(&placed, &f, TIER_FDR));
    let ranked = rows
        .into_iter()
        .enumerate()
        .map(|(k, r)| {
            let j = judged.as_ref().and_then(|j| j.get(k));
            RankedUnit {
                unit: rankable[r.unit].clone(),
                rank: r.rank,
                rank_low: r.rank_low,
                rank_high: r.rank_high,
                tier: j.map_or(Tier::NotDifferent, |j| j.tier),
                p_value: j.map_or(1.0, |j| j.p_value),
                p_adjusted: j.map_or(1.0, |j| j.p_adjusted),
            }
        })
        .collect();
    let mut unranked = unranked;
    unranked.sort_by(|a, b| a.code.cmp(&b.code));
    // Every unit with ratings feeds the small-area model; only the unranked get its estimate.
    let with_ratings = |u: &Unit| {
        u.index.filter(|e| e.n > 0).map(|e| small_area::Fed {
            estimate: e.estimate,
            n: e.n as f64,
            parent: u.parent_id,
            covariates: u.covariates,
        })
    };
    let fed: Vec<small_area::Fed> = rankable
        .iter()
        .chain(&unranked)
        .filter_map(with_ratings)
        .collect();
    let (model_based, small_area_model) = match small_area::fit(&fed, funnel.as_ref()) {
        Some((all, model)) => {
            let mut small = all
                .into_iter()
                .skip(rankable.iter().filter_map(with_ratings).count());
            let estimates = unranked
                .iter()
                .map(|u| with_ratings(u).and_then(|_| small.next()))
                .collect();
            (estimates, Some(model))
        }
        None => (vec![None; unranked.len()], None),
    };
    Ok(Ranking {
        province,
        province_responses,
        province_factors,
        ranked,
        unranked,
        seed,
        simulations: SIMULATIONS,
        funnel,
        overdispersion,
        model_based,
        small_area_model,
    })
}

/// The share of the selected ratings without a valid answer to what `index` measures.
pub fn missing_rate(index: Option<IndexEstimate>, responses: u64) -> f64 {
    if responses == 0 {
        return 0.0;
    }
    1.0 - index.map_or(0, |e| e.n) as f64 / responses as f64
}

pub fn pick(r: &analysis::IndexReport, measure: Measure) -> Option<IndexEstimate> {
    match measure {
        Measure::Overall => r.overall,
        Measure::Question(i) => r.items.get(i).and_then(|t| t.index),
    }
}

/// The funnel's null around the province index p₀ (Spiegelhalter 2005): a unit with n valid
/// answers lies inside p₀ ± z·σ/√n with the stated probability if it does not differ from the
/// province. σ, the spread of one answer, is read off the province's own interval as if its
/// ratings were independent (σ = se·√(n/deff)): √(p₀(1−p₀)) for a single item, and for the
/// composite SIPAS it carries the correlation between factors. The desks' clustering is left
/// out on purpose: differences between desks are differences between units, which the
/// overdispersion test measures and τ² allows for. τ² starts at 0.
pub fn null_of(province: &IndexEstimate, binomial: bool) -> Funnel {
    let deff = province
        .deff
        .filter(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(1.0);
    Funnel {
        centre: province.estimate,
        sigma: province.se * (province.n as f64 / deff).sqrt(),
        tau2: 0.0,
        binomial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_depends_only_on_what_is_shown() {
        let a = default_seed(&["commune", "2026-01-01", "2026-12-31", "desk_qr"]);
        assert_eq!(
            a,
            default_seed(&["commune", "2026-01-01", "2026-12-31", "desk_qr"])
        );
        assert_ne!(
            a,
            default_seed(&["commune", "2026-01-01", "2026-12-31", "kiosk"])
        );
        // Field boundaries count: ("ab","c") is not ("a","bc").
        assert_ne!(default_seed(&["ab", "c"]), default_seed(&["a", "bc"]));
    }

    #[test]
    fn funnel_limits_of_a_single_item_are_the_binomial_ones() {
        // p₀ = 0.8, n₀ = 400: se = √(0.8·0.2/400) = 0.02, so σ = 0.4 = √(0.8·0.2).
        let p = IndexEstimate {
            estimate: 0.8,
            se: 0.02,
            ci_low: 0.76,
            ci_high: 0.84,
            n: 400,
            df: 399.0,
            deff: None,
            suppressed: false,
        };
        let f = null_of(&p, false);
        assert!((f.sigma - 0.4).abs() < 1e-12);
        // At n = 100: 0.8 ± 1.96·0.4/10 = 0.8 ± 0.0784.
        let (lo, hi) = f.limits(100.0, 1.96);
        assert!((lo - 0.7216).abs() < 1e-12 && (hi - 0.8784).abs() < 1e-12);
        // Limits never leave [0, 1].
        assert_eq!(f.limits(1.0, 3.09).1, 1.0);
    }
}
