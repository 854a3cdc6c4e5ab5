//! Home Affairs publishes a closed period (`/admin/publications`): the results are computed
//! once from the raw ratings, frozen and chained (`results::publication`), then shown on the
//! public page.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDate;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::{render, see_other, staff_query, StaffResult};
use crate::db;
use crate::results::publication::{self, NotPublished};
use crate::state::AppState;
use crate::views::registry::PublicationsPage;
use crate::views::Lang;

type Fields = web::Form<Vec<(String, String)>>;

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    errors: Vec<String>,
    from: &str,
    to: &str,
) -> StaffResult {
    let list = staff_query(state, db::publications::list).await?;
    let page = PublicationsPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        published: list
            .iter()
            .rev()
            .map(|p| {
                (
                    p.id,
                    format!("{} – {}", p.period_from, p.period_to),
                    p.sha256.clone(),
                )
            })
            .collect(),
        errors,
        from: from.to_owned(),
        to: to.to_owned(),
    };
    render(state, status, "registry_publications.html", &page).map_err(PageError::staff)
}

pub async fn publications(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    page(&state, &admin, StatusCode::OK, Vec::new(), "", "").await
}

pub async fn publish(state: web::Data<AppState>, admin: AdminUser, form: Fields) -> StaffResult {
    let (from_raw, to_raw) = (field(&form, "from"), field(&form, "to"));
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (date(from_raw), date(to_raw)) else {
        let why = "Vui lòng nhập ngày bắt đầu và ngày kết thúc dạng YYYY-MM-DD.".to_owned();
        return page(
            &state,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![why],
            from_raw,
            to_raw,
        )
        .await;
    };
    let actor = admin.0.actor();
    let form_spec = state.ingest.desk_form.clone();
    let today = crate::results::periods::today_in_vietnam();
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        publication::publish(c, &actor, &form_spec, from, to, "desk_qr", today)
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    let why = match outcome {
        Ok(id) => return Ok(see_other(&format!("/public/{id}"))),
        Err(NotPublished::NotClosed) => {
            "Chỉ công bố được kỳ đã kết thúc: ngày kết thúc phải trước hôm nay."
        }
        Err(NotPublished::Backwards) => "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
        Err(NotPublished::AlreadyPublished) => {
            "Kỳ này đã được công bố; số liệu đã công bố không được tính lại."
        }
    };
    page(
        &state,
        &admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        vec![why.to_owned()],
        from_raw,
        to_raw,
    )
    .await
}
