//! What a wave gives: its results, its form, the responses and the sample as sheets, the wave of a year.

use super::*;

/// The wave of `year` whose results stand for the year: the one closed last, else the one in
/// fieldwork; (id, name).
pub fn wave_of_year(conn: &mut Conn, year: i32) -> Result<Option<(i32, String)>> {
    let mut waves: Vec<db::waves::WaveRow> = db::waves::list(conn)?
        .into_iter()
        .filter(|w| i32::from(w.year) == year && matches!(w.state.as_str(), "fieldwork" | "closed"))
        .collect();
    waves.sort_by_key(|w| (w.state == "closed", w.id));
    Ok(waves.pop().map(|w| (w.id, w.name)))
}

/// A wave's full form and its design-based results (during fieldwork: provisional).
#[tracing::instrument(name = "wave step", skip_all, fields(step = "wave_results"))]
pub fn wave_results(
    conn: &mut Conn,
    wave_id: i32,
) -> Result<(crate::domain::FormSpec, results::WaveResults)> {
    let (form, strata, respondents) = results_inputs(conn, wave_id)?;
    let computed = results::compute(&form, strata, &respondents)?;
    Ok((form, computed))
}

/// The wave's responses as a table for analysis elsewhere (no contact data).
pub fn responses_sheet(conn: &mut Conn, wave_id: i32) -> Result<crate::views::sheet::Sheet> {
    let (form, strata, respondents) = results_inputs(conn, wave_id)?;
    Ok(results::responses_sheet(
        wave_id,
        &form,
        &strata,
        &respondents,
    ))
}

type ResultsInputs = (
    crate::domain::FormSpec,
    Vec<db::wave_results::WaveStratum>,
    Vec<db::wave_results::WaveRespondent>,
);

/// The full form of a wave's instrument (what respondents answer and keyers key).
pub fn full_form(conn: &mut Conn, wave_id: i32) -> Result<crate::domain::FormSpec> {
    let w = find(conn, wave_id)?;
    let code = db::instruments::code_of(conn, w.row.instrument_id)?;
    Ok(db::instruments::load_form(
        conn,
        &code,
        db::instruments::Form::Full,
    )?)
}

fn results_inputs(conn: &mut Conn, wave_id: i32) -> Result<ResultsInputs> {
    let w = find(conn, wave_id)?;
    if !matches!(w.state, WaveState::Fieldwork | WaveState::Closed) {
        refuse!(
            "wave {wave_id} is {}: results exist once its fieldwork has started",
            w.state.as_str();
            "Đợt {wave_id} đang ở trạng thái “{}”: chỉ có kết quả khi đã bắt đầu khảo sát",
            w.state.label_vi()
        );
    }
    let code = db::instruments::code_of(conn, w.row.instrument_id)?;
    let form = db::instruments::load_form(conn, &code, db::instruments::Form::Full)?;
    let strata = db::wave_results::strata(conn, wave_id)?;
    let respondents = db::wave_results::respondents(conn, wave_id)?;
    Ok((form, strata, respondents))
}

/// The sampled units as a table for download: stratum, inclusion probability and weight;
/// no contact data and no dossier code.
pub fn sample_sheet(conn: &mut Conn, wave_id: i32) -> Result<crate::views::sheet::Sheet> {
    use crate::views::sheet::{header, Sheet, Value};
    let w = find(conn, wave_id)?;
    if matches!(w.state, WaveState::Draft | WaveState::Designed) {
        refuse!(
            "wave {wave_id} is {}: there is no sample yet (sipas wave draw)",
            w.state.as_str();
            "Đợt {wave_id} đang ở trạng thái “{}”: chưa rút mẫu",
            w.state.label_vi()
        );
    }
    let rows = db::sample::export(conn, wave_id)?
        .into_iter()
        .map(|u| {
            vec![
                Value::Int(u.unit_id),
                Value::text(&u.stratum),
                Value::Int(i64::from(u.population)),
                Value::text(if u.reserve_rank.is_some() {
                    "reserve"
                } else {
                    "main"
                }),
                u.reserve_rank
                    .map_or(Value::Empty, |r| Value::Int(i64::from(r))),
                Value::Number(u.inclusion_probability, 10),
                Value::Number(u.base_weight, 10),
                Value::text(&u.status),
            ]
        })
        .collect();
    Ok(Sheet {
        about: Vec::new(),
        name: format!("sipas-wave-{wave_id}-sample"),
        header: header(&[
            "unit_id",
            "stratum",
            "stratum_population",
            "role",
            "reserve_rank",
            "inclusion_probability",
            "base_weight",
            "status",
        ]),
        rows,
    })
}
