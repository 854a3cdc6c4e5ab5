//! The annual sample survey (issue #8): waves, their frame, design, draw and fieldwork.
//! A wave moves draft → designed → drawn → fieldwork → closed; each step checks the state it
//! needs and says what is missing.

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::db::{self, audit::Actor, Conn};

/// A step refused for a reason the person can act on (a wrong state, a bad parameter), as
/// opposed to a fault of the system; pages show it, the command line prints it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Returns a [`Refused`] error with a formatted message.
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new(Refused(format!($($arg)*))))
    };
}

// Declared after `refuse!` so that the steps in them can use it.
pub mod design;
pub mod draw;
pub mod frame;
pub mod letters;
pub mod paper;
pub mod ranking;
pub mod results;
pub mod returns;
pub mod table;

/// Turns a plain refusal message (from the pure design and draw code) into [`Refused`].
fn refused(message: String) -> anyhow::Error {
    anyhow::Error::new(Refused(message))
}

/// Where a wave stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveState {
    Draft,
    Designed,
    Drawn,
    Fieldwork,
    Closed,
}

impl WaveState {
    pub fn parse(s: &str) -> Option<WaveState> {
        Some(match s {
            "draft" => WaveState::Draft,
            "designed" => WaveState::Designed,
            "drawn" => WaveState::Drawn,
            "fieldwork" => WaveState::Fieldwork,
            "closed" => WaveState::Closed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WaveState::Draft => "draft",
            WaveState::Designed => "designed",
            WaveState::Drawn => "drawn",
            WaveState::Fieldwork => "fieldwork",
            WaveState::Closed => "closed",
        }
    }

    /// The state, for the Vietnamese pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            WaveState::Draft => "Bản nháp",
            WaveState::Designed => "Đã thiết kế mẫu",
            WaveState::Drawn => "Đã chọn mẫu",
            WaveState::Fieldwork => "Đang khảo sát",
            WaveState::Closed => "Đã kết thúc",
        }
    }

    /// What the wave needs next, for the Vietnamese pages.
    pub fn next_step_vi(self) -> &'static str {
        match self {
            WaveState::Draft => {
                "Nhập khung mẫu (tệp CSV, hoặc sipas frame import), rồi thiết kế mẫu."
            }
            WaveState::Designed => "Chọn mẫu với một hạt giống (hoặc sipas wave draw --seed S).",
            WaveState::Drawn => {
                "Bắt đầu khảo sát (mời mẫu chính, gửi thư điện tử), rồi in thư mời giấy."
            }
            WaveState::Fieldwork => {
                "Theo dõi phản hồi và nhắc nhở; kết thúc đợt khi hết thời gian khảo sát."
            }
            WaveState::Closed => {
                "Công bố kết quả có trọng số; xóa thông tin liên hệ (sipas wave purge-contacts)."
            }
        }
    }

    /// What the wave needs next, for people.
    pub fn next_step(self) -> &'static str {
        match self {
            WaveState::Draft => {
                "import the frame (sipas frame import), then design the sample (sipas wave design)"
            }
            WaveState::Designed => "draw the sample (sipas wave draw --seed S)",
            WaveState::Drawn => {
                "start the fieldwork (sipas wave start), then print the letters (sipas wave letters)"
            }
            WaveState::Fieldwork => {
                "track responses and reminders; close the wave when fieldwork ends"
            }
            WaveState::Closed => {
                "publish the weighted results; purge the contacts (sipas wave purge-contacts)"
            }
        }
    }
}

/// A wave as steps see it.
pub struct Wave {
    pub row: db::waves::WaveRow,
    pub state: WaveState,
}

fn wave(row: db::waves::WaveRow) -> Result<Wave> {
    let state = WaveState::parse(&row.state)
        .with_context(|| format!("wave {} has an unknown state '{}'", row.id, row.state))?;
    Ok(Wave { row, state })
}

/// Creates a wave; its id.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    name: &str,
    year: i32,
    instrument: &str,
) -> Result<i32> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        refuse!("--name: 1 to 200 characters");
    }
    let Ok(year16) = i16::try_from(year) else {
        refuse!("--year: between 2000 and 2100");
    };
    if !(2000..=2100).contains(&year16) {
        refuse!("--year: between 2000 and 2100");
    }
    match db::waves::create(conn, actor, name, year16, instrument)? {
        db::waves::Created::Wave(id) => Ok(id),
        db::waves::Created::NoSuchInstrument => {
            refuse!("--instrument: no instrument has the code '{instrument}'")
        }
        db::waves::Created::NameTaken => refuse!("a wave named '{name}' already exists for {year}"),
    }
}

/// A wave locked for a step (in the caller's transaction), or a message saying there is none.
fn lock(conn: &mut Conn, id: i32) -> Result<Wave> {
    match db::waves::lock(conn, id)? {
        Some(row) => wave(row),
        None => refuse!("no wave has the id {id} (sipas wave list shows them)"),
    }
}

/// A wave by id, or a message saying there is none.
pub fn find(conn: &mut Conn, id: i32) -> Result<Wave> {
    match db::waves::find(conn, id)? {
        Some(row) => wave(row),
        None => refuse!("no wave has the id {id} (sipas wave list shows them)"),
    }
}

/// What `sipas wave status` prints.
pub struct Status {
    pub wave: Wave,
    pub frame_units: i64,
    pub frame_by_agency: Vec<(String, i64)>,
    /// The stored design per stratum (empty before one is stored).
    pub design: Vec<(String, db::waves::StratumRow)>,
}

pub fn status(conn: &mut Conn, id: i32) -> Result<Status> {
    let wave = find(conn, id)?;
    Ok(Status {
        frame_units: db::frame::count(conn, id)?,
        frame_by_agency: db::waves::frame_by_agency(conn, id)?,
        design: db::waves::design_strata(conn, id)?,
        wave,
    })
}

/// How a frame import ended.
pub enum FrameImport {
    Imported(usize),
    Refused {
        errors: Vec<frame::FrameError>,
        truncated: bool,
    },
}

/// Imports a frame file into a draft wave: all its rows in one transaction, or none of them
/// when any row has a problem. `progress(stage, done, total)` reports reading (bytes) and
/// storing (rows).
#[tracing::instrument(name = "wave step", skip_all, fields(step = "import_frame"))]
pub fn import_frame(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
    file_name: &str,
    bytes: &[u8],
    max_errors: usize,
    progress: &mut dyn FnMut(&'static str, u64, u64),
) -> Result<FrameImport> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Draft {
            refuse!(
                "wave {wave_id} is {}: a frame can only be imported while the wave is a draft (before its sample is designed)",
                w.state.as_str()
            );
        }
        let agencies: HashMap<String, i32> = db::agencies::list_all(conn)?
            .into_iter()
            .map(|a| (a.code, a.id))
            .collect();
        let existing = db::frame::dossier_codes(conn, wave_id)?;
        let rules = frame::FrameRules {
            agencies: &agencies,
            year: i32::from(w.row.year),
            existing: &existing,
            max_errors,
        };
        let total = bytes.len() as u64;
        let rows = match frame::parse(bytes, &rules, &mut |b| progress("reading", b, total)) {
            frame::Parsed::Valid(rows) => rows,
            frame::Parsed::Invalid { errors, truncated } => {
                return Ok(FrameImport::Refused { errors, truncated })
            }
        };
        let n = rows.len() as u64;
        db::frame::insert(conn, actor, wave_id, file_name, &rows, &mut |done| {
            progress("storing", done as u64, n)
        })?;
        Ok(FrameImport::Imported(rows.len()))
    })
}

/// Designs a wave's sample from its frame: `preview` only computes the plan; otherwise it is
/// stored and the wave becomes `designed`. A draft or designed wave can be (re)designed; once
/// drawn, the design is fixed. Neyman's S_h comes from the share satisfied with the overall
/// question in each agency's desk ratings of the wave's year (0.5 below 30 of them).
#[tracing::instrument(name = "wave step", skip_all, fields(step = "design_wave"))]
pub fn design_wave(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
    params: &design::DesignParams,
    preview: bool,
) -> Result<design::Plan> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if !matches!(w.state, WaveState::Draft | WaveState::Designed) {
            refuse!(
                "wave {wave_id} is {}: its sample was drawn with the design it has",
                w.state.as_str()
            );
        }
        let shares = if params.allocation == design::AllocationRule::Neyman {
            db::waves::desk_overall_share(conn, i32::from(w.row.year))?
        } else {
            HashMap::new()
        };
        let strata: Vec<design::Stratum> = db::waves::strata_sizes(conn, wave_id)?
            .into_iter()
            .map(|(agency_id, agency_code, n)| design::Stratum {
                agency_id,
                agency_code,
                population: u64::try_from(n).unwrap_or(0),
                expected_p: match shares.get(&agency_id) {
                    Some(&(yes, all)) if all >= 30 => yes as f64 / all as f64,
                    _ => 0.5,
                },
            })
            .collect();
        if strata.is_empty() {
            refuse!("wave {wave_id} has no frame yet: import it first (sipas frame import)");
        }
        let plan = design::plan(&strata, params).map_err(refused)?;
        if !preview {
            let rows: Vec<db::waves::StratumRow> = plan
                .strata
                .iter()
                .map(|s| db::waves::StratumRow {
                    agency_id: s.agency_id,
                    population: i32::try_from(s.population).unwrap_or(i32::MAX),
                    respondents: i32::try_from(s.respondents).unwrap_or(i32::MAX),
                    invited: i32::try_from(s.invited).unwrap_or(i32::MAX),
                    margin: s.margin,
                })
                .collect();
            db::waves::save_design(
                conn,
                actor,
                wave_id,
                params.to_json(),
                &rows,
                w.state.as_str(),
            )?;
        }
        Ok(plan)
    })
}

/// What a draw stored, per stratum: (agency code, main, reserve).
pub struct DrawSummary {
    pub strata: Vec<(String, usize, usize)>,
}

/// Draws a designed wave's sample with `seed` and stores it; the wave becomes `drawn`.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "draw_wave"))]
pub fn draw_wave(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
    seed: u64,
    method: draw::Method,
    reserve: f64,
) -> Result<DrawSummary> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        match w.state {
            WaveState::Designed => {}
            WaveState::Draft => {
                refuse!("wave {wave_id} is a draft: design its sample first (sipas wave design)")
            }
            other => refuse!(
                "wave {wave_id} is {}: its sample was drawn already (the seed is kept with it)",
                other.as_str()
            ),
        }
        let strata: Vec<draw::StratumFrame> = db::sample::strata_frames(conn, wave_id)?
            .into_iter()
            .map(
                |(agency_id, agency_code, invited, units)| draw::StratumFrame {
                    agency_id,
                    agency_code,
                    units,
                    invited: u64::try_from(invited).unwrap_or(0),
                },
            )
            .collect();
        let drawn = draw::draw(&strata, seed, method, reserve).map_err(refused)?;
        let units: Vec<db::sample::NewSampleUnit> = drawn
            .iter()
            .map(|d| db::sample::NewSampleUnit {
                frame_unit_id: d.frame_unit_id,
                agency_id: d.agency_id,
                reserve_rank: d.reserve_rank,
                inclusion_probability: d.inclusion_probability,
                base_weight: d.base_weight,
            })
            .collect();
        // The seed is stored as text: JSON numbers lose precision above 2^53.
        let params = serde_json::json!({
            "seed": seed.to_string(),
            "method": method.as_str(),
            "reserve": reserve,
        });
        db::sample::save_draw(conn, actor, wave_id, params, &units)?;
        let summary = strata
            .iter()
            .map(|s| {
                let of = drawn.iter().filter(|d| d.agency_id == s.agency_id);
                let main = of.clone().filter(|d| d.reserve_rank.is_none()).count();
                let reserve = of.filter(|d| d.reserve_rank.is_some()).count();
                (s.agency_code.clone(), main, reserve)
            })
            .collect();
        Ok(DrawSummary { strata: summary })
    })
}

/// Starts a drawn wave's fieldwork: invites the main sample and queues the invitation e-mails
/// (in one transaction with the state change); the wave becomes `fieldwork`.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "start_fieldwork"))]
pub fn start_fieldwork(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
    remind_days: &[i16],
) -> Result<db::fieldwork::Started> {
    let mut days = remind_days.to_vec();
    days.sort_unstable();
    days.dedup();
    if days.iter().any(|&d| !(1..=365).contains(&d)) {
        refuse!("--remind-days: whole numbers of days from 1 to 365, e.g. 14,28");
    }
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        match w.state {
            WaveState::Drawn => {}
            WaveState::Draft | WaveState::Designed => refuse!(
                "wave {wave_id} is {}: draw its sample first (sipas wave draw)",
                w.state.as_str()
            ),
            other => refuse!(
                "wave {wave_id} is {}: its fieldwork has started already",
                other.as_str()
            ),
        }
        Ok(db::fieldwork::start(conn, actor, wave_id, &days)?)
    })
}

/// How a returns import ended.
pub enum ReturnsImport {
    /// Recorded: (undeliverable, refused, returned).
    Recorded(usize, usize, usize),
    Refused {
        errors: Vec<table::LineError>,
        truncated: bool,
    },
}

/// Records the post office's returns for a wave in fieldwork: every row or none.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "wave step", skip_all, fields(step = "import_returns"))]
pub fn import_returns(
    conn: &mut Conn,
    actor: &Actor,
    key: &[u8],
    wave_id: i32,
    file_name: &str,
    bytes: &[u8],
    max_errors: usize,
    today: chrono::NaiveDate,
) -> Result<ReturnsImport> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Fieldwork {
            refuse!(
                "wave {wave_id} is {}: returns are recorded during its fieldwork",
                w.state.as_str()
            );
        }
        let units = db::fieldwork::unit_statuses(conn, wave_id)?;
        let rules = returns::ReturnRules {
            key,
            units: &units,
            today,
            max_errors,
        };
        let rows = match returns::parse(bytes, &rules) {
            table::Parsed::Valid(rows) => rows,
            table::Parsed::Invalid { errors, truncated } => {
                return Ok(ReturnsImport::Refused { errors, truncated })
            }
        };
        let list: Vec<(i64, &str, chrono::NaiveDate)> =
            rows.iter().map(|r| (r.unit_id, r.outcome, r.on)).collect();
        db::fieldwork::record_returns(conn, actor, wave_id, file_name, &list)?;
        let count = |o: &str| rows.iter().filter(|r| r.outcome == o).count();
        Ok(ReturnsImport::Recorded(
            count("undeliverable"),
            count("refused"),
            count("returned"),
        ))
    })
}

/// Replaces the refused and undeliverable units of a wave in fieldwork from the reserve of
/// their stratum: (replaced, without a replacement).
#[tracing::instrument(name = "wave step", skip_all, fields(step = "replace_lost"))]
pub fn replace_lost(conn: &mut Conn, actor: &Actor, wave_id: i32) -> Result<(i64, i64)> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Fieldwork {
            refuse!(
                "wave {wave_id} is {}: units are replaced during its fieldwork",
                w.state.as_str()
            );
        }
        Ok(db::fieldwork::replace_lost(conn, actor, wave_id)?)
    })
}

/// One stratum's fieldwork with its response rate.
pub struct StratumFieldwork {
    pub counts: db::fieldwork::Dispositions,
    /// AAPOR RR1, `None` before anyone is invited.
    pub rr1: Option<f64>,
}

/// The formula behind the response rates, as printed next to them.
pub const RR1_FORMULA: &str = "RR1 = I / (I + P + R + NC + O + UH + UO): completed questionnaires over every unit invited (main sample and replacements; a replaced unit keeps its disposition; no partial interviews; units not heard from count as eligible).";

/// The fieldwork per stratum and in total (the last line, agency "").
pub fn fieldwork(
    conn: &mut Conn,
    wave_id: i32,
) -> std::result::Result<Vec<StratumFieldwork>, db::QueryError> {
    let per = db::fieldwork::dispositions(conn, wave_id)?;
    let mut total = db::fieldwork::Dispositions::default();
    for d in &per {
        total.invited += d.invited;
        total.responded += d.responded;
        total.refused += d.refused;
        total.undeliverable += d.undeliverable;
        total.returned += d.returned;
        total.waiting += d.waiting;
        total.replaced += d.replaced;
        total.reserve_left += d.reserve_left;
    }
    let rate = |d: &db::fieldwork::Dispositions| {
        (d.invited > 0).then(|| d.responded as f64 / d.invited as f64)
    };
    let mut out: Vec<StratumFieldwork> = per
        .into_iter()
        .map(|counts| StratumFieldwork {
            rr1: rate(&counts),
            counts,
        })
        .collect();
    if !out.is_empty() {
        out.push(StratumFieldwork {
            rr1: rate(&total),
            counts: total,
        });
    }
    Ok(out)
}

/// Ends a wave's fieldwork: no more answers through its invitations; results are final.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "close_wave"))]
pub fn close_wave(conn: &mut Conn, actor: &Actor, wave_id: i32) -> Result<()> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Fieldwork {
            refuse!(
                "wave {wave_id} is {}: only a wave in fieldwork can be closed",
                w.state.as_str()
            );
        }
        Ok(db::fieldwork::close(conn, actor, wave_id)?)
    })
}

/// Deletes a closed wave's contact data (and its frame rows); the frame rows deleted.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "purge_contacts"))]
pub fn purge_contacts(conn: &mut Conn, actor: &Actor, wave_id: i32) -> Result<i64> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Closed {
            refuse!(
                "wave {wave_id} is {}: contacts are purged once the wave is closed (sipas wave close)",
                w.state.as_str()
            );
        }
        Ok(db::fieldwork::purge_contacts(conn, actor, wave_id)?)
    })
}

/// Publishes a closed wave's results as the year's `annual_sample` publication (the public
/// pages, the read API's publications, the hash chain); the publication's id, or why not.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "publish_wave"))]
pub fn publish_wave(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
) -> Result<std::result::Result<i32, crate::results::publication::NotPublished>> {
    let w = find(conn, wave_id)?;
    if w.state != WaveState::Closed {
        refuse!(
            "wave {wave_id} is {}: results are published once the wave is closed (sipas wave close)",
            w.state.as_str()
        );
    }
    let (form, results) = wave_results(conn, wave_id)?;
    let strata: Vec<(String, String, u64, Option<&analysis::IndexReport>)> = results
        .strata
        .iter()
        .map(|s| {
            (
                s.stratum.code.clone(),
                s.stratum.name.clone(),
                s.respondents,
                s.report.as_ref(),
            )
        })
        .collect();
    crate::results::publication::publish_wave(conn, actor, &form, i32::from(w.row.year), &strata)
}

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
            w.state.as_str()
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
            w.state.as_str()
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
