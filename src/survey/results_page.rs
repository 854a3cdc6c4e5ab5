//! A wave's results as its pages show them: the design-based indices with intervals per agency
//! and for the province, next to the desk QR stream of the same agency and year (how far off is
//! the self-selected stream?), the agencies' ranks and tiers (the province ranking's, same seed),
//! the province's questions; and one agency's line for its own staff. The doors only parse,
//! check the reader and render.

use chrono::NaiveDate;

use super::results::WaveResults;
use super::{StepError, WaveState};
use crate::db::{self, users::Scope};
use crate::domain::FormSpec;
use crate::results::rollup::report_of;
use crate::views::survey::{
    grouped, AnnualAgencyPage, IndexCell, ItemLine, ResultLine, ShareTable, WaveResultsPage,
};
use crate::views::{percent, Lang, StaffFrame};

/// The desk stream's report of each stratum's agency over the wave's year.
fn desk_reports(
    c: &mut db::Conn,
    state_form: &crate::domain::FormSpec,
    results: &WaveResults,
    year: i32,
) -> Result<Vec<Option<analysis::IndexReport>>, db::QueryError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    let mut out = Vec::with_capacity(results.strata.len());
    for s in &results.strata {
        let cells = db::rollup::selected(
            c,
            &db::rollup::Selection {
                slice: db::slice::Slice {
                    instrument_id: state_form.instrument_id,
                    agency_ids: vec![s.stratum.agency_id],
                    desk_id: None,
                    channel: Some("desk_qr".into()),
                    respondent_kind: None,
                },
                from,
                to,
                cuts: Vec::new(),
            },
        )?;
        let report = report_of(
            state_form,
            cells
                .iter()
                .map(|c| (c.agency_id, c.desk_id, c.responses, c.stats.as_slice())),
        )
        .ok()
        .flatten()
        .map(|(r, _)| r);
        out.push(report);
    }
    Ok(out)
}

/// One agency's (or the province's) line: SIPAS and factors with intervals, and the desk
/// stream's SIPAS of the same agency and year beside it, with the difference. The difference
/// compares the same questions — the desk form's five factor-level questions, which the annual
/// form asks too (`comparable`) — with Student t on the Welch–Satterthwaite df of the two
/// designs (the annual side has few degrees of freedom).
#[allow(clippy::too_many_arguments)]
fn result_line(
    code: String,
    name: String,
    population: i64,
    n: u64,
    factors: usize,
    r: Option<&analysis::IndexReport>,
    comparable: Option<analysis::IndexEstimate>,
    d: Option<&analysis::IndexReport>,
) -> ResultLine {
    let sipas = r.and_then(|r| r.overall);
    let desk_sipas = d.and_then(|d| d.overall);
    let diff = match (comparable, desk_sipas) {
        (Some(a), Some(b)) if !a.suppressed && !b.suppressed => {
            analysis::compare::difference_welch(&a, &b, 0.95).ok()
        }
        _ => None,
    };
    ResultLine {
        code,
        name,
        population: grouped(population),
        respondents: grouped(i64::try_from(n).unwrap_or(i64::MAX)),
        sipas: IndexCell::of(sipas, n),
        factors: (0..factors)
            .map(|j| IndexCell::of(r.and_then(|r| r.factors.get(j).copied().flatten()), n))
            .collect(),
        desk: d.map(|d| IndexCell::of(d.overall, 0)),
        comparable: comparable.map(|c| IndexCell::of(Some(c), 0)),
        difference: diff.map(|x| {
            format!(
                "{} ({} đến {}) điểm %",
                points(x.estimate),
                points(x.ci_low),
                points(x.ci_high)
            )
        }),
        significant: diff.is_some_and(|x| x.significant),
        rank: None,
        tier_code: None,
        tier: None,
    }
}

/// Every question of a report, with its interval, mean score and missing rate.
fn item_lines(form: &crate::domain::FormSpec, r: &analysis::IndexReport) -> Vec<ItemLine> {
    form.questions
        .iter()
        .zip(&r.items)
        .map(|(q, it)| ItemLine {
            code: q.code.clone(),
            text: q.text_vi.clone(),
            index: IndexCell::of(it.index, it.valid_n),
            mean: it
                .mean_score
                .map_or("–".into(), |m| format!("{m:.2}").replace('.', ",")),
            missing: format!("{}%", percent(it.missing_rate, Lang::Vi)),
        })
        .collect()
}

/// The factors' names in the order of the results' factors.
fn factor_names(form: &crate::domain::FormSpec) -> Vec<String> {
    super::results::factor_codes(form)
        .iter()
        .map(|code| {
            form.questions
                .iter()
                .find(|q| q.factor_code.as_deref() == Some(code))
                .and_then(|q| q.factor_name_vi.clone())
                .unwrap_or_else(|| code.clone())
        })
        .collect()
}

/// The wave's ranking by SIPAS, with the province ranking's seed for this wave.
fn wave_ranking(
    results: &WaveResults,
    wave_id: i32,
    factors: usize,
) -> Option<crate::results::ranking::Ranking> {
    super::ranking::annual_ranking(
        results,
        crate::results::ranking::Measure::Overall,
        None,
        factors,
        super::ranking::default_seed(wave_id, "overall"),
    )
    .ok()
}

/// Ranks the agencies by SIPAS with 95% rank intervals and a tier against the province, as
/// the province ranking does for the same wave (`survey::ranking`, the same seed): the two
/// pages cannot disagree. Agencies below the minimum n are not ranked.
fn rank_agencies(lines: &mut [ResultLine], results: &WaveResults, id: i32, factors: usize) {
    let Some(ranking) = wave_ranking(results, id, factors) else {
        return;
    };
    for r in ranking.ranked {
        let Some(line) = results
            .strata
            .iter()
            .position(|s| s.stratum.agency_id == r.unit.agency_id)
            .and_then(|k| lines.get_mut(k))
        else {
            continue;
        };
        // Always with its interval, even a certain one: a rank is never shown bare.
        line.rank = Some(format!("{} ({}–{})", r.rank, r.rank_low, r.rank_high));
        // The ranking's codes; words that name what the tier is measured against here.
        line.tier_code = Some(crate::views::ranking::tier_code(r.tier));
        line.tier = Some(match r.tier {
            analysis::compare::Tier::Above => "cao hơn toàn tỉnh",
            analysis::compare::Tier::NotDifferent => "không khác biệt",
            analysis::compare::Tier::Below => "thấp hơn toàn tỉnh",
        });
    }
}

fn points(x: f64) -> String {
    let s = percent(x.abs(), Lang::Vi);
    if x < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// The wave's results page; `None` when there is no such wave or nothing to show yet.
pub fn wave_results_page(
    c: &mut db::Conn,
    id: i32,
    desk_form: &FormSpec,
    shell: StaffFrame,
    refused: Option<&'static str>,
) -> super::Result<Option<WaveResultsPage>> {
    let Ok(w) = super::find(c, id) else {
        return Ok(None);
    };
    let (form, results) = match super::wave_results(c, id) {
        Ok(r) => r,
        Err(StepError::Refused(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let desk = desk_reports(c, desk_form, &results, i32::from(w.row.year))?;
    let factor_names = factor_names(&form);
    let factors = super::results::factor_codes(&form).len();
    let line = |code: String,
                name: String,
                population: i64,
                n: u64,
                r: Option<&analysis::IndexReport>,
                c: Option<analysis::IndexEstimate>,
                d: Option<&analysis::IndexReport>| {
        result_line(code, name, population, n, factors, r, c, d)
    };
    let mut agencies: Vec<ResultLine> = results
        .strata
        .iter()
        .zip(&desk)
        .map(|(s, d)| {
            line(
                s.stratum.code.clone(),
                s.stratum.name.clone(),
                i64::from(s.stratum.population),
                s.respondents,
                s.report.as_ref(),
                s.comparable,
                d.as_ref(),
            )
        })
        .collect();
    rank_agencies(&mut agencies, &results, id, form.factor_count().max(5));
    let population: i64 = results
        .strata
        .iter()
        .map(|s| i64::from(s.stratum.population))
        .sum();
    let province = results.province.as_ref().map(|r| {
        line(
            "Tỉnh".into(),
            "Toàn tỉnh".into(),
            population,
            results.respondents,
            Some(r),
            results.province_comparable,
            None,
        )
    });
    let items = results
        .province
        .as_ref()
        .map(|r| item_lines(&form, r))
        .unwrap_or_default();
    Ok(Some(WaveResultsPage {
        shell,
        id,
        name: w.row.name.clone(),
        year: w.row.year,
        provisional: w.state != WaveState::Closed,
        factor_names,
        compared_questions: super::results::comparable_questions(&form).join(", "),
        province,
        agencies,
        items,
        respondents: grouped(i64::try_from(results.respondents).unwrap_or(i64::MAX)),
        refused,
        shares: share_tables(&results),
    }))
}

/// Each closed question's shares per agency and for the province.
fn share_tables(results: &WaveResults) -> Vec<ShareTable> {
    results
        .shares
        .iter()
        .map(|c| ShareTable {
            options: c.options.iter().map(|(_, l)| l.clone()).collect(),
            rows: results
                .strata
                .iter()
                .zip(&c.strata)
                .map(|(s, per)| {
                    (
                        s.stratum.code.clone(),
                        per.iter().map(|e| IndexCell::of(*e, 0)).collect(),
                    )
                })
                .chain(std::iter::once((
                    "Toàn tỉnh".to_owned(),
                    c.province.iter().map(|e| IndexCell::of(*e, 0)).collect(),
                )))
                .collect(),
        })
        .collect()
}

/// The annual survey's results for one agency of the reader's scope (`wanted` by id or code,
/// else the reader's own agency; Home Affairs' default is the province). `None`: no such
/// agency within the scope.
pub fn annual_agency_page(
    c: &mut db::Conn,
    scope: Scope,
    wanted: Option<&str>,
    year: i32,
    desk_form: &FormSpec,
    shell: StaffFrame,
) -> super::Result<Option<AnnualAgencyPage>> {
    let visible = db::agencies::visible(c, scope)?;
    let agency = match (wanted, scope) {
        (Some(w), _) => visible
            .iter()
            .find(|a| a.id.to_string() == w || a.code == w)
            .cloned(),
        (None, Scope::Agency(root)) => visible.iter().find(|a| a.id == root).cloned(),
        (None, Scope::All) => visible.iter().find(|a| a.parent_id.is_none()).cloned(),
    };
    let Some(agency) = agency else {
        return Ok(None);
    };
    let mut page = AnnualAgencyPage {
        shell,
        agency: format!("{} – {}", agency.code, agency.name),
        year,
        compared_questions: String::new(),
        wave: None,
        provisional: false,
        factor_names: Vec::new(),
        line: None,
        items: Vec::new(),
    };
    let Some((wave_id, wave_name)) = super::wave_of_year(c, year)? else {
        return Ok(Some(page));
    };
    let closed = super::find(c, wave_id)?.state == WaveState::Closed;
    let (form, results) = super::wave_results(c, wave_id)?;
    let desk = desk_reports(c, desk_form, &results, year)?;
    page.wave = Some(wave_name);
    page.compared_questions = super::results::comparable_questions(&form).join(", ");
    page.provisional = !closed;
    page.factor_names = factor_names(&form);
    let factors = page.factor_names.len();
    // Home Affairs' default (the top of the tree) reads the province's numbers; a unit of
    // someone's own scope that is not a stratum has none.
    let is_province = agency.parent_id.is_none() && matches!(scope, Scope::All);
    if let Some((i, s)) = results
        .strata
        .iter()
        .enumerate()
        .find(|(_, s)| s.stratum.agency_id == agency.id)
    {
        let mut line = result_line(
            s.stratum.code.clone(),
            s.stratum.name.clone(),
            i64::from(s.stratum.population),
            s.respondents,
            factors,
            s.report.as_ref(),
            s.comparable,
            desk[i].as_ref(),
        );
        tier_in_ranking(&mut line, &results, wave_id, agency.id);
        page.items = s
            .report
            .as_ref()
            .map(|r| item_lines(&form, r))
            .unwrap_or_default();
        page.line = Some(line);
    } else if is_province {
        let population = results
            .strata
            .iter()
            .map(|s| i64::from(s.stratum.population))
            .sum();
        page.line = results.province.as_ref().map(|r| {
            result_line(
                "Tỉnh".into(),
                "Toàn tỉnh".into(),
                population,
                results.respondents,
                factors,
                Some(r),
                results.province_comparable,
                None,
            )
        });
        page.items = results
            .province
            .as_ref()
            .map(|r| item_lines(&form, r))
            .unwrap_or_default();
    }
    Ok(Some(page))
}

/// The agency's tier against the province: the province ranking's own (the funnel's null,
/// widened for overdispersion, Benjamini–Hochberg across the strata; the same seed), without
/// naming other agencies, so this page and the ranking cannot disagree.
fn tier_in_ranking(line: &mut ResultLine, results: &WaveResults, wave_id: i32, agency_id: i32) {
    let factors = results
        .province
        .as_ref()
        .map_or(5, |r| r.factors.len().max(5));
    let Some(ranking) = wave_ranking(results, wave_id, factors) else {
        return;
    };
    let Some(r) = ranking
        .ranked
        .iter()
        .find(|r| r.unit.agency_id == agency_id)
    else {
        return;
    };
    line.tier_code = Some(crate::views::ranking::tier_code(r.tier));
    line.tier = Some(match r.tier {
        analysis::compare::Tier::Above => "cao hơn toàn tỉnh",
        analysis::compare::Tier::Below => "thấp hơn toàn tỉnh",
        analysis::compare::Tier::NotDifferent => "không khác biệt với toàn tỉnh",
    });
}
