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
    /// but too few to report (`small_areas`); never ranked.
    pub model_based: Vec<Option<SmallArea>>,
}

/// A model-based estimate of a unit below the minimum n: the Fay–Herriot EBLUP and its MSE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmallArea {
    pub eblup: f64,
    pub mse: f64,
}

/// Fay–Herriot estimates for every unit of the level with ratings, (estimate, n, parent): each
/// unit shrunk towards its parent's mean (the district of a commune, the department of a
/// team) by how little its own ratings say. The parent is a covariate only where every parent
/// has at least two such units and there are at least two parents; else the level's mean. Each
/// unit's sampling variance is the funnel's null, D = σ²/n (its own p(1−p) is unstable at the
/// small n this is for). `None` with fewer than three units or no null.
fn small_areas(
    units: &[(f64, f64, Option<i32>)],
    funnel: Option<&Funnel>,
) -> Option<Vec<SmallArea>> {
    let f = funnel?;
    if units.len() < 3 || f.sigma <= 0.0 {
        return None;
    }
    let y: Vec<f64> = units.iter().map(|u| u.0).collect();
    let d: Vec<f64> = units
        .iter()
        .map(|u| f.sigma * f.sigma / u.1.max(1.0))
        .collect();
    let mut parents: Vec<Option<i32>> = units.iter().map(|u| u.2).collect();
    parents.sort_unstable();
    parents.dedup();
    let each_twice = parents
        .iter()
        .all(|p| units.iter().filter(|u| u.2 == *p).count() >= 2);
    let by_parent = parents.len() >= 2 && each_twice && units.len() > parents.len();
    let x: Vec<Vec<f64>> = units
        .iter()
        .map(|u| {
            let mut row = vec![1.0];
            if by_parent {
                row.extend(parents[1..].iter().map(|p| f64::from(u8::from(u.2 == *p))));
            }
            row
        })
        .collect();
    let fit = analysis::sae::fay_herriot(&y, &d, &x).ok()?;
    Some(
        fit.eblup
            .into_iter()
            .zip(fit.mse)
            .map(|(eblup, mse)| SmallArea {
                eblup: eblup.clamp(0.0, 1.0),
                mse,
            })
            .collect(),
    )
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

/// Ranks the units of `level_id` from the period's sums per desk (`sums::per_period`). Units that are disabled and have no
/// ratings in the period are left out; a disabled unit with ratings is shown.
pub fn rank(
    form: &FormSpec,
    agencies: &[AgencyRow],
    level_id: i32,
    measure: Measure,
    sums: &PerDesk,
    seed: u64,
) -> anyhow::Result<Ranking> {
    let by_id: HashMap<i32, &AgencyRow> = agencies.iter().map(|a| (a.id, a)).collect();
    let mut memo = HashMap::new();
    let mut per_unit: HashMap<i32, Vec<ClusterCell>> = HashMap::new();
    for (&(agency, desk), (n, stats)) in sums {
        if let Some(unit) = unit_of(agency, level_id, &by_id, &mut memo) {
            per_unit
                .entry(unit)
                .or_default()
                .push((agency, desk, *n, stats.as_slice()));
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
        u.index
            .filter(|e| e.n > 0)
            .map(|e| (e.estimate, e.n as f64, u.parent_id))
    };
    let fed: Vec<(f64, f64, Option<i32>)> = rankable
        .iter()
        .chain(&unranked)
        .filter_map(with_ratings)
        .collect();
    let model_based = match small_areas(&fed, funnel.as_ref()) {
        Some(all) => {
            let mut small = all
                .into_iter()
                .skip(rankable.iter().filter_map(with_ratings).count());
            unranked
                .iter()
                .map(|u| with_ratings(u).and_then(|_| small.next()))
                .collect()
        }
        None => vec![None; unranked.len()],
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

    #[test]
    fn small_areas_use_the_parent_when_every_parent_has_two_units() {
        let f = Funnel {
            centre: 0.7,
            sigma: 0.46,
            tau2: 0.0,
            binomial: false,
        };
        // Two districts: A's communes around 0.85, B's around 0.55; C has one commune.
        let units = [
            (0.86, 20.0, Some(1)),
            (0.83, 12.0, Some(1)),
            (0.90, 45.0, Some(1)),
            (0.52, 15.0, Some(2)),
            (0.58, 40.0, Some(2)),
        ];
        let got = small_areas(&units, Some(&f)).unwrap();
        let x: Vec<Vec<f64>> = units
            .iter()
            .map(|u| vec![1.0, f64::from(u8::from(u.2 == Some(2)))])
            .collect();
        let y: Vec<f64> = units.iter().map(|u| u.0).collect();
        let d: Vec<f64> = units.iter().map(|u| 0.46 * 0.46 / u.1).collect();
        let want = analysis::sae::fay_herriot(&y, &d, &x).unwrap();
        for (g, w) in got.iter().zip(&want.eblup) {
            assert!((g.eblup - w).abs() < 1e-12);
        }
        // A district with a single unit: the parent is not used, the level's mean is.
        let mut lone = units.to_vec();
        lone.push((0.70, 30.0, Some(3)));
        let got = small_areas(&lone, Some(&f)).unwrap();
        let y: Vec<f64> = lone.iter().map(|u| u.0).collect();
        let d: Vec<f64> = lone.iter().map(|u| 0.46 * 0.46 / u.1).collect();
        let ones: Vec<Vec<f64>> = lone.iter().map(|_| vec![1.0]).collect();
        let want = analysis::sae::fay_herriot(&y, &d, &ones).unwrap();
        assert!((got[0].eblup - want.eblup[0]).abs() < 1e-12);
    }
}
