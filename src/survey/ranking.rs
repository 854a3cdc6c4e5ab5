//! The annual survey's ranking: its agencies (strata) by their design-based index, with rank
//! intervals and tiers against the province — through `results::ranking`, the one ranking
//! rule, so the province ranking page, the read API, the PAR points and the wave's own results
//! page rank a wave the same way, with the same seed.

use std::collections::HashSet;

use super::results::WaveResults;
use crate::results::ranking::{self, Measure, Ranking, Unit};

/// The seed a wave's ranking gets unless one is asked for: it depends only on the wave and the
/// measure, so every page shows the same rank intervals.
pub fn default_seed(wave_id: i32, measure_code: &str) -> u64 {
    ranking::default_seed(&["annual", &wave_id.to_string(), measure_code])
}

/// Ranks the strata of `results` (those whose agency is in `visible`, when given) by
/// `measure`, a position in the full form's questions.
pub fn annual_ranking(
    results: &WaveResults,
    measure: Measure,
    visible: Option<&HashSet<i32>>,
    factors: usize,
    seed: u64,
) -> anyhow::Result<Ranking> {
    let units: Vec<Unit> = results
        .strata
        .iter()
        .filter(|s| visible.is_none_or(|v| v.contains(&s.stratum.agency_id)))
        .map(|s| Unit {
            agency_id: s.stratum.agency_id,
            code: s.stratum.code.clone(),
            name: s.stratum.name.clone(),
            responses: s.respondents,
            index: s.report.as_ref().and_then(|r| ranking::pick(r, measure)),
            factors: s
                .report
                .as_ref()
                .map(|r| r.factors.clone())
                .unwrap_or_else(|| vec![None; factors]),
        })
        .collect();
    let province = results
        .province
        .as_ref()
        .and_then(|r| ranking::pick(r, measure));
    let province_factors = results
        .province
        .as_ref()
        .map(|r| r.factors.clone())
        .unwrap_or_else(|| vec![None; factors]);
    ranking::from_units(units, province, province_factors, seed)
}
