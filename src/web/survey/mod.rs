//! The annual survey's pages for Home Affairs administrators: the waves, a new wave, and one
//! wave's steps — frame upload, sample design with a preview, draw, sample download. Each step
//! calls the same `survey::` function as the command line (which checks the wave's state and
//! audits); the page only parses its fields, with a message per field in Vietnamese.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::web;
use futures_util::StreamExt;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::registry::{field, Fields};
use super::{export, render, see_other, staff_query, StaffResult};
use crate::db;
use crate::state::AppState;
use crate::survey::design::{AllocationRule, DesignParams, SizeRule};
use crate::survey::{self, draw::Method, FrameImport, StepError, WaveState};
use crate::views::survey::{
    grouped, DesignForm, DesignLine, DrawForm, FieldworkLine, NewWaveForm, SampleLine, WaveLine,
    WavePage, WavesPage,
};
use crate::views::{percent, Lang};

mod design;
mod fieldwork;
mod files;
mod upload;

pub use design::{design, draw};
pub use fieldwork::{close, purge, replace, start};
pub use files::{letters, sample};
pub use upload::{upload_frame, upload_returns};

/// Largest frame file accepted from the browser: 500,000 rows of a full frame are ~80 MB.
const MAX_FRAME_FILE: usize = 256 * 1024 * 1024;

/// Problems listed for a refused frame file.
const MAX_FRAME_ERRORS: usize = 100;

fn state_of(s: &str) -> WaveState {
    WaveState::parse(s).unwrap_or(WaveState::Draft)
}

/// A step's outcome on a page: its refusal (shown in the form), or a fault.
fn step_error(e: StepError) -> Result<String, PageError> {
    match e {
        StepError::Refused(why) => Ok(why.vi),
        StepError::Fault(e) => Err(PageError::staff(Fault::database(e))),
    }
}

// ---- the list, and a new wave ----

pub async fn waves(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    let form = NewWaveForm {
        instrument: "sipas-2017".into(),
        ..NewWaveForm::default()
    };
    waves_page(&state, &admin, StatusCode::OK, form).await
}

async fn waves_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: NewWaveForm,
) -> StaffResult {
    let (list, counts, instruments) = staff_query(state, |c| {
        Ok((
            db::waves::list(c)?,
            db::waves::frame_counts(c)?,
            db::instruments::list(c)?,
        ))
    })
    .await?;
    let page = WavesPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        waves: list
            .into_iter()
            .map(|w| WaveLine {
                frame_units: grouped(counts.get(&w.id).copied().unwrap_or(0)),
                id: w.id,
                name: w.name,
                year: w.year,
                state: state_of(&w.state).label_vi(),
            })
            .collect(),
        instruments,
        form,
    };
    render(state, status, "admin_waves.html", &page).map_err(PageError::staff)
}

pub async fn create_wave(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: Fields,
) -> StaffResult {
    let mut typed = NewWaveForm {
        name: field(&form, "name").trim().to_owned(),
        year: field(&form, "year").trim().to_owned(),
        instrument: field(&form, "instrument").trim().to_owned(),
        errors: Vec::new(),
    };
    let name_len = typed.name.chars().count();
    if name_len == 0 || name_len > 200 {
        typed.errors.push("Tên đợt: từ 1 đến 200 ký tự.".into());
    }
    let year = typed
        .year
        .parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        typed
            .errors
            .push("Năm: một năm từ 2000 đến 2100, ví dụ 2026.".into());
    }
    let Some(year) = year.filter(|_| typed.errors.is_empty()) else {
        return waves_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, typed).await;
    };
    let actor = admin.0.actor();
    let (name, instrument) = (typed.name.clone(), typed.instrument.clone());
    let created = staff_query(&state, move |c| {
        db::waves::create(c, &actor, &name, year, &instrument)
    })
    .await?;
    let why = match created {
        db::waves::Created::Wave(id) => {
            return Ok(see_other(&format!("/admin/waves/{id}?done=created")))
        }
        db::waves::Created::NoSuchInstrument => "Bộ câu hỏi: chọn một bộ có trong danh sách.",
        db::waves::Created::NameTaken => "Năm này đã có một đợt cùng tên. Vui lòng đặt tên khác.",
    };
    typed.errors.push(why.into());
    waves_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, typed).await
}

// ---- one wave ----

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "Đã tạo đợt khảo sát. Bước tiếp theo: nhập khung mẫu.",
            "frame" => "Đã nhập khung mẫu.",
            "designed" => "Đã lưu thiết kế mẫu. Bước tiếp theo: chọn mẫu.",
            "drawn" => "Đã chọn mẫu; hạt giống được lưu cùng đợt.",
            "started" => {
                "Đã bắt đầu khảo sát: mẫu chính được mời, thư điện tử mời đã vào hàng đợi gửi."
            }
            _ => return None,
        }
        .to_owned(),
    )
}

/// What a step's form adds to the page: a notice, or the form as typed with its problems.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    frame_errors: Vec<String>,
    frame_truncated: bool,
    design_form: Option<DesignForm>,
    draw_form: Option<DrawForm>,
    fieldwork_errors: Vec<String>,
    returns_errors: Vec<String>,
    returns_truncated: bool,
}

fn design_line(
    agency: String,
    population: i64,
    respondents: i64,
    invited: i64,
    margin: Option<f64>,
) -> DesignLine {
    DesignLine {
        agency,
        population: grouped(population),
        respondents: grouped(respondents),
        invited: grouped(invited),
        margin: margin.map_or("–".to_owned(), |m| format!("±{}%", percent(m, Lang::Vi))),
    }
}

/// The design form filled from the stored design (or the defaults).
fn design_form_of(stored: Option<&serde_json::Value>) -> DesignForm {
    let mut f = DesignForm::default();
    let Some(d) = stored else { return f };
    let pct = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_f64())
            .map(|x| trim_number(100.0 * x))
    };
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    if let Some(v) = text("size") {
        f.size = v;
    }
    if let Some(v) = text("allocation") {
        f.allocation = v;
    }
    if let Some(v) = pct("margin") {
        f.margin = v;
    }
    if let Some(v) = pct("level") {
        f.level = v;
    }
    if let Some(v) = pct("response_rate") {
        f.response_rate = v;
    }
    if let Some(v) = d.get("deff").and_then(|v| v.as_f64()) {
        f.deff = trim_number(v);
    }
    if let Some(v) = d.get("quota").and_then(|v| v.as_u64()) {
        f.quota = v.to_string();
    }
    if let Some(v) = d.get("min").and_then(|v| v.as_u64()) {
        f.min = v.to_string();
    }
    f
}

/// 5.0 → "5", 2.5 → "2,5" (as a Vietnamese reader types it).
fn trim_number(x: f64) -> String {
    let s = format!("{:.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('.', ",")
}

fn draw_summary(d: &serde_json::Value) -> Option<String> {
    let seed = d.get("seed")?.as_str()?;
    let method = match d.get("method")?.as_str()? {
        "systematic" => "hệ thống",
        _ => "ngẫu nhiên đơn giản",
    };
    let reserve = d.get("reserve")?.as_f64()?;
    Some(format!(
        "hạt giống {seed}, chọn {method}, dự phòng {}% số mời",
        trim_number(100.0 * reserve)
    ))
}

/// An outbox message's status, for the pages.
pub fn mail_status_vi(s: &str) -> &'static str {
    match s {
        "queued" => "Chờ gửi",
        "sending" => "Đang gửi",
        "sent" => "Đã gửi",
        "failed" => "Gửi không được",
        "uncertain" => "Chưa rõ đã gửi hay chưa",
        _ => "Khác",
    }
}

fn suggested_seed() -> String {
    use rand::Rng;
    rand::thread_rng()
        .gen_range(100_000..1_000_000u32)
        .to_string()
}

async fn wave_page(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    status: StatusCode,
    shown: Shown,
) -> StaffResult {
    let found = staff_query(state, move |c| {
        let Some(w) = db::waves::find(c, id)? else {
            return Ok(None);
        };
        Ok(Some((
            w,
            db::frame::count(c, id)?,
            db::waves::frame_by_agency(c, id)?,
            db::waves::design_strata(c, id)?,
            db::waves::step_params(c, id)?,
            db::sample::summary(c, id)?,
            survey::fieldwork(c, id)?,
            db::fieldwork::outbox_counts(c, id)?,
        )))
    })
    .await?;
    let Some((
        w,
        frame_units,
        frame,
        design,
        (design_params, draw_params),
        sample,
        fieldwork,
        mail,
    )) = found
    else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let st = state_of(&w.state);
    // Some worker takes messages from the queue (here or as `sipas worker` elsewhere) once any
    // was sending, sent, failed or uncertain.
    let mail_moving = mail.iter().any(|(status, n)| status != "queued" && *n > 0);
    let page = WavePage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        id: w.id,
        name: w.name,
        year: w.year,
        state_code: st.as_str(),
        state: st.label_vi(),
        next_step: st.next_step_vi(),
        notice: shown.notice,
        frame_units: grouped(frame_units),
        frame: frame.into_iter().map(|(a, n)| (a, grouped(n))).collect(),
        frame_errors: shown.frame_errors,
        frame_truncated: shown.frame_truncated,
        design: design
            .into_iter()
            .map(|(agency, d)| {
                design_line(
                    agency,
                    d.population.into(),
                    d.respondents.into(),
                    d.invited.into(),
                    d.margin,
                )
            })
            .collect(),
        design_form: shown
            .design_form
            .unwrap_or_else(|| design_form_of(design_params.as_ref())),
        draw_form: shown.draw_form.unwrap_or_else(|| DrawForm {
            seed: suggested_seed(),
            method: "srs".into(),
            reserve: "20".into(),
            errors: Vec::new(),
        }),
        draw: draw_params.as_ref().and_then(draw_summary),
        sample: sample
            .into_iter()
            .map(|(agency, main, reserve)| SampleLine {
                agency,
                main: grouped(main),
                reserve: grouped(reserve),
            })
            .collect(),
        fieldwork_errors: shown.fieldwork_errors,
        purged: w.contacts_purged_at.is_some(),
        returns_errors: shown.returns_errors,
        returns_truncated: shown.returns_truncated,
        fieldwork: fieldwork
            .into_iter()
            .map(|f| {
                let c = f.counts;
                FieldworkLine {
                    total: c.agency.is_empty(),
                    agency: if c.agency.is_empty() {
                        "Tổng".to_owned()
                    } else {
                        c.agency
                    },
                    invited: grouped(c.invited),
                    responded: grouped(c.responded),
                    refused: grouped(c.refused),
                    undeliverable: grouped(c.undeliverable),
                    returned: grouped(c.returned),
                    waiting: grouped(c.waiting),
                    replaced: grouped(c.replaced),
                    reserve_left: grouped(c.reserve_left),
                    rr1: f
                        .rr1
                        .map_or("–".to_owned(), |r| format!("{}%", percent(r, Lang::Vi))),
                }
            })
            .collect(),
        rr1_formula: "RR1 = I / (I + P + R + NC + O + UH + UO): số phiếu hoàn thành chia cho mọi đơn vị đã được mời (mẫu chính và đơn vị thay thế; đơn vị bị thay thế vẫn tính theo kết quả của nó; không có phỏng vấn dở dang; đơn vị chưa liên lạc được coi là thuộc đối tượng).",
        mail: mail
            .into_iter()
            .map(|(s, n)| (mail_status_vi(&s), grouped(n)))
            .collect(),
        mail_configured: state.outbox.is_some() || mail_moving,
    };
    render(state, status, "admin_wave.html", &page).map_err(PageError::staff)
}

pub async fn wave(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<Done>,
) -> StaffResult {
    let shown = Shown {
        notice: notice(q.done.as_deref()),
        ..Shown::default()
    };
    wave_page(&state, &admin, id.into_inner(), StatusCode::OK, shown).await
}
