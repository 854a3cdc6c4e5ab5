//! A wave's results pages: the administrators' page (printable) with its downloads (CSV,
//! XLSX) and publishing, and one agency's annual results for its own staff. What the pages
//! show is built by `survey::results_page`; these doors parse, check the reader and render.

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::HttpRequest;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::{export, render, StaffResult};
use crate::db;
use crate::state::AppState;
use crate::survey::{self};
use crate::views::Lang;

pub async fn page(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<Refusal>,
) -> StaffResult {
    let id = id.into_inner();
    let desk_form = state.ingest.desk_form.clone();
    let shell = admin.0.frame(&state.key, Lang::Vi);
    let refused = refusal(q.refused.as_deref());
    let page = db::run_job(&state.pool, move |c| {
        survey::results_page::wave_results_page(c, id, &desk_form, shell, refused)
    })
    .await
    .map_err(|e: survey::StepError| PageError::staff(Fault::from(e)))?
    .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    render(&state, StatusCode::OK, "admin_wave_results.html", &page).map_err(PageError::staff)
}

/// `results.csv` / `results.xlsx`, and `responses.csv` / `responses.xlsx` (no contact data).
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(i32, String, String)>,
) -> StaffResult {
    let (id, what, ext) = path.into_inner();
    let format = export::format_of(&ext)?;
    let sheet = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(Some(match what.as_str() {
            "results" => survey::wave_results(c, id)
                .map(|(form, r)| survey::results::results_sheet(id, &form, &r)),
            "responses" => survey::responses_sheet(c, id),
            _ => return Ok(None),
        }))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    match sheet {
        Some(Ok(sheet)) => export::download(&sheet, format, crate::web::lang::staff_lang(&req)),
        _ => Err(PageError::staff(Fault::NotFound)),
    }
}

/// Publishes a closed wave's results and shows the publication.
pub async fn publish(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: super::registry::Fields,
) -> StaffResult {
    let id = id.into_inner();
    if super::registry::field(&form, "confirm") != "yes" {
        return confirm_publish(&state, &admin, id).await;
    }
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::publish_wave(c, &actor, id))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let why = match outcome {
        Ok(Ok(pid)) => return Ok(super::see_other(&format!("/public/{pid}"))),
        Ok(Err(_)) => "published",
        Err(survey::StepError::Refused(_)) => "not_closed",
        Err(survey::StepError::Fault(e)) => return Err(PageError::staff(Fault::database(e))),
    };
    Ok(super::see_other(&format!(
        "/admin/waves/{id}/results?refused={why}"
    )))
}

/// The page that says what publishing the wave's results freezes and asks to confirm; a wave
/// not closed, or a year already published, is sent back with the reason at once.
async fn confirm_publish(state: &AppState, admin: &AdminUser, id: i32) -> StaffResult {
    let found = super::staff_query(state, move |c| {
        let Some(w) = db::waves::find(c, id)? else {
            return Ok(None);
        };
        let year = i32::from(w.year);
        let (from, to) = (
            chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        );
        let published = db::publications::exists(c, from, to, "annual_sample")?;
        let total = survey::fieldwork(c, id)?.pop().map(|s| s.counts);
        Ok(Some((w, published, total.unwrap_or_default())))
    })
    .await?;
    let Some((w, published, total)) = found else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let refused = if w.state != "closed" {
        Some("not_closed")
    } else if published {
        Some("published")
    } else {
        None
    };
    if let Some(why) = refused {
        return Ok(super::see_other(&format!(
            "/admin/waves/{id}/results?refused={why}"
        )));
    }
    let page = crate::views::registry::ConfirmPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        title: format!("Công bố kết quả khảo sát năm {}?", w.year),
        lead: format!(
            "Kết quả có trọng số của đợt «{}» sẽ được lưu nguyên văn cùng mã SHA-256, nối vào \
             chuỗi các lần công bố và hiện trên trang công khai và API:",
            w.name
        ),
        facts: vec![
            format!(
                "{} phiếu trả lời của {} người và tổ chức được mời;",
                total.responded, total.invited
            ),
            format!(
                "chỉ số của cơ quan có từ {} câu trả lời hợp lệ trở lên được công bố, kèm khoảng tin cậy 95%.",
                crate::results::MIN_N
            ),
        ],
        warning: "Kết quả khảo sát hằng năm của một năm chỉ công bố một lần và không được tính lại."
            .to_owned(),
        action: format!("/admin/waves/{id}/publish"),
        fields: Vec::new(),
        button: format!("Công bố kết quả năm {}", w.year),
        back: format!("/admin/waves/{id}/results"),
    };
    render(state, StatusCode::OK, "admin_confirm.html", &page).map_err(PageError::staff)
}

#[derive(serde::Deserialize)]
pub struct Refusal {
    refused: Option<String>,
}

fn refusal(q: Option<&str>) -> Option<&'static str> {
    Some(match q? {
        "published" => "Chưa công bố: kết quả khảo sát hằng năm của năm này đã được công bố; số liệu đã công bố không được tính lại.",
        "not_closed" => "Chưa công bố: chỉ công bố sau khi đợt khảo sát đã kết thúc.",
        _ => return None,
    })
}

#[derive(serde::Deserialize)]
pub struct AgencyQuery {
    agency: Option<String>,
    year: Option<String>,
}

/// The annual survey's results for one agency, for its own staff (within the reader's scope):
/// the dashboard's "annual survey" source. An agency is a stratum of the wave; Home Affairs'
/// default is the province.
pub async fn agency_page(
    state: web::Data<AppState>,
    staff: crate::web::guard::StaffUser,
    q: web::Query<AgencyQuery>,
) -> StaffResult {
    use chrono::Datelike;
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => crate::results::periods::today_in_vietnam().year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                PageError::staff(Fault::BadRequest).saying("Năm phải từ 2000 đến 2100.")
            })?,
    };
    let scope = staff.user.scope();
    let wanted = q.agency.clone().filter(|a| !a.trim().is_empty());
    let desk_form = state.ingest.desk_form.clone();
    let shell = staff.frame(&state.key, Lang::Vi);
    let page = db::run_job(&state.pool, move |c| {
        survey::results_page::annual_agency_page(
            c,
            scope,
            wanted.as_deref(),
            year,
            &desk_form,
            shell,
        )
    })
    .await
    .map_err(|e: survey::StepError| PageError::staff(Fault::from(e)))?
    .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    render(&state, StatusCode::OK, "dashboard_annual.html", &page).map_err(PageError::staff)
}
