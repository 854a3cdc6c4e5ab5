//! The annual survey's ranking: its agencies (strata) by their design-based index, with rank
//! intervals and tiers against the province — through `results::ranking`, the one ranking
//! rule, so the province ranking page, the read API, the PAR points and the wave's own results
//! page rank a wave the same way, with the same seed.

use std::collections::HashSet;

use super::results::WaveResults;
use crate::db::{self, users::Scope, Conn};
use crate::domain::FormSpec;
use crate::results::periods::PeriodFilter;
use crate::results::ranking::{self, Measure, Ranking, Unit};
use crate::results::ranking_table::{invalid, measure_of, seed_of, Source, Table};
use crate::results::ResultsError;

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
            parent_id: None,
            code: s.stratum.code.clone(),
            name: s.stratum.name.clone(),
            responses: s.respondents,
            index: s.report.as_ref().and_then(|r| ranking::pick(r, measure)),
            factors: s
                .report
                .as_ref()
                .map(|r| r.factors.clone())
                .unwrap_or_else(|| vec![None; factors]),
            // Its stratum's frame size; last year's wave is another design, left out.
            covariates: ranking::Covariates {
                frame_size: Some(f64::from(s.stratum.population)),
                last_year: None,
            },
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
    let province = (province, results.respondents);
    // The annual survey's design-based estimates: the normal null on the linearised σ.
    ranking::from_units(units, province, province_factors, (seed, false))
}

/// The ranking of the annual survey of the period's year: its agencies (strata) within the
/// reader's scope, by their design-based index, with rank intervals and tiers against the
/// province's estimate. The wave closed last in that year, else the one in fieldwork.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "ranking", skip_all, fields(source = "annual"))]
pub fn annual_table(
    c: &mut Conn,
    desk: &FormSpec,
    scope: Scope,
    measure: Option<&str>,
    level: Option<&str>,
    seed: Option<&str>,
    filter: PeriodFilter,
) -> Result<Table, ResultsError> {
    use chrono::Datelike;
    let (measure, measure_code) = measure_of(desk, measure)?;
    let year = filter.to.year();
    let visible: HashSet<i32> = db::agencies::visible(c, scope)?
        .iter()
        .map(|a| a.id)
        .collect();
    let found = match super::wave_of_year(c, year).map_err(|e| ResultsError::Other(e.into()))? {
        None => None,
        Some(wave) => {
            let (form, results) =
                super::wave_results(c, wave.0).map_err(|e| ResultsError::Other(e.into()))?;
            Some((wave, form, results))
        }
    };
    let Some((wave, full, results)) = found else {
        return Err(invalid(
            "source",
            format!("Năm {year} chưa có đợt khảo sát hằng năm nào đang khảo sát hoặc đã kết thúc."),
            format!("no annual survey wave of {year} is in fieldwork or closed"),
        ));
    };
    // The desk form's questions (the measures offered) are items of the full form too.
    let measure = match measure {
        Measure::Overall => Measure::Overall,
        Measure::Question(i) => {
            let code = &desk.questions[i].code;
            Measure::Question(
                full.questions
                    .iter()
                    .position(|q| &q.code == code)
                    .ok_or(ResultsError::NotFound)?,
            )
        }
    };
    let factors = full.factor_count().max(5);
    let seed = seed_of(seed, || default_seed(wave.0, &measure_code))?;
    let ranking = annual_ranking(&results, measure, Some(&visible), factors, seed)
        .map_err(ResultsError::Other)?;
    Ok(Table {
        source: Source::Annual,
        wave: Some(wave),
        level_code: level.unwrap_or_default().to_owned(),
        measure: measure_code,
        filter,
        ranking,
    })
}
