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
use crate::survey::{self, draw::Method, FrameImport, Refused, WaveState};
use crate::views::survey::{
    grouped, DesignForm, DesignLine, DrawForm, FieldworkLine, NewWaveForm, SampleLine, WaveLine,
    WavePage, WavesPage,
};
use crate::views::{percent, Chrome, Lang};

/// Largest frame file accepted from the browser: 500,000 rows of a full frame are ~80 MB.
const MAX_FRAME_FILE: usize = 256 * 1024 * 1024;
/// Problems listed for a refused frame file.
const MAX_FRAME_ERRORS: usize = 100;

fn state_of(s: &str) -> WaveState {
    WaveState::parse(s).unwrap_or(WaveState::Draft)
}

/// A step's outcome on a page: its refusal (shown in the form), or a fault.
fn step_error(e: anyhow::Error) -> Result<String, PageError> {
    match e.downcast::<Refused>() {
        Ok(r) => Ok(r.0),
        Err(e) => Err(PageError::staff(Fault::database(e))),
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
        chrome: Chrome::new(Lang::Vi),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
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
    let page = WavePage {
        chrome: Chrome::new(Lang::Vi),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
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

// ---- frame upload ----

/// The uploaded file (the form's `file` field): its name and bytes, refused past the cap.
async fn uploaded_file(mut parts: Multipart) -> Result<Option<(String, Vec<u8>)>, Fault> {
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| Fault::BadRequest)?;
        let is_file = part
            .content_disposition()
            .and_then(|d| d.get_name())
            .is_some_and(|n| n == "file");
        let name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| Fault::BadRequest)?;
            if bytes.len() + chunk.len() > MAX_FRAME_FILE {
                return Err(Fault::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            return Ok(Some((name, bytes)));
        }
    }
    Ok(None)
}

pub async fn upload_frame(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    let file = uploaded_file(parts).await.map_err(PageError::staff)?;
    let refuse = |errors: Vec<String>, truncated: bool| Shown {
        frame_errors: errors,
        frame_truncated: truncated,
        ..Shown::default()
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let why = "Vui lòng chọn một tệp CSV (UTF-8) có dòng tiêu đề của khung mẫu.".to_owned();
        return wave_page(
            &state,
            &admin,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse(vec![why], false),
        )
        .await;
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        Ok(survey::import_frame(
            c,
            &actor,
            id,
            &name,
            &bytes,
            MAX_FRAME_ERRORS,
            &mut |_, _, _| {},
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    let shown = match outcome {
        Ok(FrameImport::Imported(_)) => {
            return Ok(see_other(&format!("/admin/waves/{id}?done=frame")))
        }
        Ok(FrameImport::Refused { errors, truncated }) => {
            refuse(errors.iter().map(line_error_vi).collect(), truncated)
        }
        Err(e) => refuse(vec![step_error(e)?], false),
    };
    wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

// ---- design ----

/// A decimal as a Vietnamese reader types it ("2,5" or "2.5").
fn decimal(raw: &str) -> Option<f64> {
    raw.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// The design parameters of the form, or a message per bad field.
fn design_params(f: &DesignForm) -> Result<DesignParams, Vec<String>> {
    let mut errors = Vec::new();
    let mut check = |ok: Option<f64>, why: &str| {
        if ok.is_none() {
            errors.push(why.to_owned());
        }
        ok.unwrap_or(0.0)
    };
    let margin = check(
        decimal(&f.margin).filter(|m| *m > 0.0 && *m < 50.0),
        "Sai số cho phép: một số phần trăm lớn hơn 0 và nhỏ hơn 50, ví dụ 5.",
    );
    let level = check(
        decimal(&f.level).filter(|l| *l >= 50.0 && *l < 100.0),
        "Độ tin cậy: một số phần trăm từ 50 đến dưới 100, ví dụ 95.",
    );
    let deff = check(
        decimal(&f.deff).filter(|d| (1.0..=10.0).contains(d)),
        "Hệ số thiết kế: từ 1 đến 10 (1 nếu chọn ngẫu nhiên đơn giản trong từng tầng).",
    );
    let response_rate = check(
        decimal(&f.response_rate).filter(|r| *r > 0.0 && *r <= 100.0),
        "Tỷ lệ phản hồi dự kiến: một số phần trăm lớn hơn 0 và không quá 100, ví dụ 60.",
    );
    let min = f.min.trim().parse::<u64>().ok();
    if min.is_none() {
        errors.push("Tối thiểu mỗi tầng: một số nguyên không âm, ví dụ 30.".into());
    }
    let size = match f.size.as_str() {
        "yamane" => Some(SizeRule::Yamane),
        "cochran" => Some(SizeRule::Cochran),
        _ => None,
    };
    if size.is_none() {
        errors.push("Cách tính cỡ mẫu: chọn Yamane hoặc Cochran.".into());
    }
    let quota = f.quota.trim();
    let allocation = match f.allocation.as_str() {
        "proportional" => Some(AllocationRule::Proportional),
        "neyman" => Some(AllocationRule::Neyman),
        "equal" => Some(AllocationRule::Equal),
        "quota" => match quota.parse::<u64>() {
            Ok(q) if q > 0 => Some(AllocationRule::Quota(q)),
            _ => {
                errors.push(
                    "Số phản hồi mỗi tầng (định mức): một số nguyên lớn hơn 0 khi phân bổ theo định mức."
                        .into(),
                );
                None
            }
        },
        _ => {
            errors.push("Cách phân bổ: chọn một cách có trong danh sách.".into());
            None
        }
    };
    match (size, allocation, min) {
        (Some(size), Some(allocation), Some(min)) if errors.is_empty() => Ok(DesignParams {
            size,
            margin: margin / 100.0,
            level: level / 100.0,
            deff,
            response_rate: response_rate / 100.0,
            allocation,
            min,
        }),
        _ => Err(errors),
    }
}

pub async fn design(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = id.into_inner();
    let mut typed = DesignForm {
        size: field(&form, "size").to_owned(),
        margin: field(&form, "margin").to_owned(),
        level: field(&form, "level").to_owned(),
        deff: field(&form, "deff").to_owned(),
        response_rate: field(&form, "response_rate").to_owned(),
        allocation: field(&form, "allocation").to_owned(),
        quota: field(&form, "quota").to_owned(),
        min: field(&form, "min").to_owned(),
        ..DesignForm::default()
    };
    let preview = field(&form, "action") != "save";
    let params = match design_params(&typed) {
        Ok(p) => p,
        Err(errors) => {
            typed.errors = errors;
            let shown = Shown {
                design_form: Some(typed),
                ..Shown::default()
            };
            return wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        Ok(survey::design_wave(c, &actor, id, &params, preview))
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    let status = match outcome {
        Ok(_) if !preview => return Ok(see_other(&format!("/admin/waves/{id}?done=designed"))),
        Ok(plan) => {
            typed.preview = plan
                .strata
                .iter()
                .map(|s| {
                    design_line(
                        s.agency_code.clone(),
                        i64::try_from(s.population).unwrap_or(i64::MAX),
                        i64::try_from(s.respondents).unwrap_or(i64::MAX),
                        i64::try_from(s.invited).unwrap_or(i64::MAX),
                        s.margin,
                    )
                })
                .collect();
            typed.preview_total = Some((
                grouped(i64::try_from(plan.total_respondents).unwrap_or(i64::MAX)),
                grouped(i64::try_from(plan.total_invited).unwrap_or(i64::MAX)),
            ));
            StatusCode::OK
        }
        Err(e) => {
            typed.errors.push(step_error(e)?);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let shown = Shown {
        design_form: Some(typed),
        ..Shown::default()
    };
    wave_page(&state, &admin, id, status, shown).await
}

// ---- draw ----

pub async fn draw(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = id.into_inner();
    let mut typed = DrawForm {
        seed: field(&form, "seed").trim().to_owned(),
        method: field(&form, "method").to_owned(),
        reserve: field(&form, "reserve").trim().to_owned(),
        errors: Vec::new(),
    };
    let seed = typed
        .seed
        .parse::<u64>()
        .ok()
        .filter(|_| typed.seed.bytes().all(|b| b.is_ascii_digit()));
    if seed.is_none() {
        typed.errors.push(
            "Hạt giống: một số nguyên không âm (tối đa 20 chữ số), ví dụ 20261129. Ghi lại để chọn lại đúng mẫu này."
                .into(),
        );
    }
    let method = match typed.method.as_str() {
        "srs" => Some(Method::Srs),
        "systematic" => Some(Method::Systematic),
        _ => {
            typed
                .errors
                .push("Phương pháp chọn: chọn một phương pháp có trong danh sách.".into());
            None
        }
    };
    let reserve = decimal(&typed.reserve).filter(|r| (0.0..=100.0).contains(r));
    if reserve.is_none() {
        typed
            .errors
            .push("Mẫu dự phòng: một số phần trăm từ 0 đến 100, ví dụ 20.".into());
    }
    let (Some(seed), Some(method), Some(reserve)) = (seed, method, reserve) else {
        let shown = Shown {
            draw_form: Some(typed),
            ..Shown::default()
        };
        return wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        Ok(survey::draw_wave(
            c,
            &actor,
            id,
            seed,
            method,
            reserve / 100.0,
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/admin/waves/{id}?done=drawn"))),
        Err(e) => {
            typed.errors.push(step_error(e)?);
            let shown = Shown {
                draw_form: Some(typed),
                ..Shown::default()
            };
            wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

// ---- fieldwork ----

pub async fn start(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn start(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> anyhow::Result<()> {
        survey::start_fieldwork(c, a, id, &[14, 28]).map(drop)
    }
    simple_step(&state, &admin, id.into_inner(), start, "started#fieldwork").await
}

// ---- returns and replacements ----

pub async fn upload_returns(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    parts: Multipart,
) -> StaffResult {
    let id = id.into_inner();
    let file = uploaded_file(parts).await.map_err(PageError::staff)?;
    let refuse = |errors: Vec<String>, truncated: bool| Shown {
        returns_errors: errors,
        returns_truncated: truncated,
        ..Shown::default()
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let why =
            "Vui lòng chọn tệp CSV thư báo của bưu điện (invitation_code,outcome,date).".to_owned();
        return wave_page(
            &state,
            &admin,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse(vec![why], false),
        )
        .await;
    };
    let actor = admin.0.actor();
    let key = state.key.clone();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        Ok(survey::import_returns(
            c,
            &actor,
            &key,
            id,
            &name,
            &bytes,
            MAX_FRAME_ERRORS,
            crate::results::periods::vietnam_today(),
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    let shown = match outcome {
        Ok(survey::ReturnsImport::Recorded(..)) => {
            return Ok(see_other(&format!(
                "/admin/waves/{id}?done=returns#fieldwork"
            )))
        }
        Ok(survey::ReturnsImport::Refused { errors, truncated }) => {
            refuse(errors.iter().map(line_error_vi).collect(), truncated)
        }
        Err(e) => refuse(vec![step_error(e)?], false),
    };
    wave_page(&state, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

pub async fn replace(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn replace(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> anyhow::Result<()> {
        survey::replace_lost(c, a, id).map(drop)
    }
    simple_step(
        &state,
        &admin,
        id.into_inner(),
        replace,
        "replaced#fieldwork",
    )
    .await
}

/// A step without fields (start, replace, close, purge): done, back to the wave with a notice
/// (`done` is the notice's code and the part of the page to show); refused, the page again
/// with the reason.
async fn simple_step(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    step: fn(&mut db::Conn, &db::audit::Actor, i32) -> anyhow::Result<()>,
    done: &str,
) -> StaffResult {
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| Ok(step(c, &actor, id)))
        .await
        .map_err(|e| PageError::staff(Fault::database(e)))?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/admin/waves/{id}?done={done}"))),
        Err(e) => {
            let shown = Shown {
                fieldwork_errors: vec![step_error(e)?],
                ..Shown::default()
            };
            wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

pub async fn close(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    simple_step(
        &state,
        &admin,
        id.into_inner(),
        survey::close_wave,
        "closed#results",
    )
    .await
}

pub async fn purge(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn purge(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> anyhow::Result<()> {
        survey::purge_contacts(c, a, id).map(drop)
    }
    simple_step(&state, &admin, id.into_inner(), purge, "purged#results").await
}

/// A file's problem as the pages say it: "Dòng 3, cột email: …".
fn line_error_vi(e: &survey::table::LineError) -> String {
    match e.column {
        Some(c) => format!("Dòng {}, cột {c}: {}", e.line, e.message),
        None => format!("Dòng {}: {}", e.line, e.message),
    }
}

// ---- letters ----

#[derive(Deserialize)]
pub struct LettersQuery {
    sender: Option<String>,
    without_email: Option<String>,
}

/// The invitation letters, one A4 page each, to print from the browser.
pub async fn letters(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<LettersQuery>,
) -> StaffResult {
    let id = id.into_inner();
    let sender: String = q
        .sender
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Sở Nội vụ")
        .chars()
        .take(200)
        .collect();
    let without_email = q.without_email.is_some();
    let actor = admin.0.actor();
    let views = state.views;
    let key = state.key.clone();
    let base = state.settings.public_base();
    let made = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        let request = survey::letters::LetterRequest {
            wave_id: id,
            sender: &sender,
            without_email,
            base_url: &base,
            today: crate::results::periods::vietnam_today(),
        };
        Ok(survey::letters::letters_html(
            c, views, &key, &actor, &request,
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    match made {
        Ok((html, _)) => Ok(actix_web::HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(html)),
        Err(e) => {
            step_error(e)?;
            Err(PageError::staff(Fault::NotFound))
        }
    }
}

// ---- the sample, for download ----

pub async fn sample(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(i32, String)>,
) -> StaffResult {
    let (id, ext) = path.into_inner();
    let format = export::format_of(&ext)?;
    let sheet =
        db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| Ok(survey::sample_sheet(c, id)))
            .await
            .map_err(|e| PageError::staff(Fault::database(e)))?;
    // A wave without a sample (or no wave) has nothing to download.
    let sheet = match sheet {
        Ok(s) => s,
        Err(e) => {
            step_error(e)?;
            return Err(PageError::staff(Fault::NotFound));
        }
    };
    export::response(&sheet, format).map_err(|e| PageError::staff(Fault::Internal(e)))
}
