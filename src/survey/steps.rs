//! A wave's steps, each checking the state it needs and audited: import the frame, design, draw, start fieldwork, import returns, replace lost invitations, close, purge contacts, publish.

use super::*;

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
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: chỉ nhập danh sách khi đợt còn là bản nháp (trước khi thiết kế mẫu)",
                w.state.label_vi()
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
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: mẫu đã được rút theo thiết kế hiện có",
                w.state.label_vi()
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
            refuse!(
                "wave {wave_id} has no frame yet: import it first (sipas frame import)";
                "Đợt {wave_id} chưa có danh sách chọn mẫu: hãy nhập danh sách trước"
            );
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
                refuse!(
                    "wave {wave_id} is a draft: design its sample first (sipas wave design)";
                    "Đợt {wave_id} còn là bản nháp: hãy thiết kế mẫu trước"
                )
            }
            other => refuse!(
                "wave {wave_id} is {}: its sample was drawn already (the seed is kept with it)",
                other.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: mẫu đã được rút (hạt giống được lưu cùng mẫu)",
                other.label_vi()
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
        refuse!(
            "--remind-days: whole numbers of days from 1 to 365, e.g. 14,28";
            "Ngày nhắc lại: số ngày nguyên từ 1 đến 365, ví dụ 14,28"
        );
    }
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        match w.state {
            WaveState::Drawn => {}
            WaveState::Draft | WaveState::Designed => refuse!(
                "wave {wave_id} is {}: draw its sample first (sipas wave draw)",
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: hãy rút mẫu trước",
                w.state.label_vi()
            ),
            other => refuse!(
                "wave {wave_id} is {}: its fieldwork has started already",
                other.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: đã bắt đầu khảo sát",
                other.label_vi()
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
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: chỉ ghi thư bị trả lại trong thời gian khảo sát",
                w.state.label_vi()
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
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: chỉ thay đơn vị mẫu trong thời gian khảo sát",
                w.state.label_vi()
            );
        }
        Ok(db::fieldwork::replace_lost(conn, actor, wave_id)?)
    })
}

/// Why a wave in `state` cannot be closed, if it cannot (asked again by the page that asks to
/// confirm it).
pub fn why_not_close(wave_id: i32, state: WaveState) -> Option<Refusal> {
    (state != WaveState::Fieldwork).then(|| Refusal {
        en: format!(
            "wave {wave_id} is {}: only a wave in fieldwork can be closed",
            state.as_str()
        ),
        vi: format!(
            "Đợt {wave_id} đang ở trạng thái “{}”: chỉ kết thúc được đợt đang khảo sát",
            state.label_vi()
        ),
    })
}

/// Why a wave in `state` cannot have its contacts purged, if it cannot.
pub fn why_not_purge(wave_id: i32, state: WaveState) -> Option<Refusal> {
    (state != WaveState::Closed).then(|| Refusal {
        en: format!(
            "wave {wave_id} is {}: contacts are purged once the wave is closed (sipas wave close)",
            state.as_str()
        ),
        vi: format!(
            "Đợt {wave_id} đang ở trạng thái “{}”: chỉ xoá thông tin liên hệ khi đợt đã kết thúc",
            state.label_vi()
        ),
    })
}

/// Ends a wave's fieldwork: no more answers through its invitations; results are final.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "close_wave"))]
pub fn close_wave(conn: &mut Conn, actor: &Actor, wave_id: i32) -> Result<()> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if let Some(why) = why_not_close(wave_id, w.state) {
            return Err(StepError::Refused(why));
        }
        Ok(db::fieldwork::close(conn, actor, wave_id)?)
    })
}

/// Deletes a closed wave's contact data (and its frame rows); the frame rows deleted.
#[tracing::instrument(name = "wave step", skip_all, fields(step = "purge_contacts"))]
pub fn purge_contacts(conn: &mut Conn, actor: &Actor, wave_id: i32) -> Result<i64> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if let Some(why) = why_not_purge(wave_id, w.state) {
            return Err(StepError::Refused(why));
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
            w.state.as_str();
            "Đợt {wave_id} đang ở trạng thái “{}”: chỉ công bố kết quả khi đợt đã kết thúc",
            w.state.label_vi()
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
    Ok(crate::results::publication::publish_wave(
        conn,
        actor,
        &form,
        i32::from(w.row.year),
        &strata,
    )?)
}
