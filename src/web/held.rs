//! The reviewers' page for held ratings (`/admin/held`, administrators only, 404 for anyone
//! else): the ratings screening held in a selection, why, and the decision — one by one or for
//! the whole selection (a rule) — to release them into the indices or reject them for good.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::filters::{nonempty, today_in_vietnam};
use super::guard::AdminUser;
use super::registry::{field, Fields};
use super::{render, see_other, staff_query, StaffResult};
use crate::db::{self, screening::HeldQuery};
use crate::results::quarantine::{self, Decision};
use crate::state::AppState;
use crate::views::held::{HeldLine, HeldPage, REASONS};
use crate::views::registry::Choice;
use crate::views::{staff_texts, Lang};

/// Ratings listed at once (the rule decides on all of the selection).
const LISTED: i64 = 200;

#[derive(Deserialize)]
pub struct Selection {
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
    done: Option<String>,
}

/// The selection's days (default: the last 30) and reason, refused precisely when malformed.
fn selection(
    from: Option<&str>,
    to: Option<&str>,
    reason: Option<&str>,
) -> Result<(NaiveDate, NaiveDate, Option<String>), Fault> {
    let today = today_in_vietnam();
    let day = |raw: Option<&str>, default: NaiveDate, name: &str| match raw {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            Fault::Invalid(vec![crate::domain::FieldError::new(
                name,
                "Ngày phải theo dạng năm-tháng-ngày, ví dụ 2026-12-07.",
                "a date must read year-month-day, e.g. 2026-12-07",
            )])
        }),
    };
    let from = day(
        from,
        today.checked_sub_days(Days::new(30)).unwrap_or(today),
        "from",
    )?;
    let to = day(to, today, "to")?;
    let reason = match reason {
        None => None,
        Some(r) if REASONS.contains(&r) => Some(r.to_owned()),
        Some(_) => return Err(Fault::NotFound),
    };
    Ok((from.min(to), from.max(to), reason))
}

async fn query(
    state: &AppState,
    admin: &AdminUser,
    (from, to, reason): (NaiveDate, NaiveDate, Option<String>),
    ids: Option<Vec<uuid::Uuid>>,
) -> Result<HeldQuery, PageError> {
    let scope = admin.0.user.scope();
    let agency_ids = staff_query(state, move |c| {
        Ok(db::agencies::visible(c, scope)?
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HeldQuery {
        agency_ids,
        from,
        to,
        reason,
        desk_id: None,
        ids,
    })
}

fn address(q: &HeldQuery) -> String {
    let mut s = format!("/admin/held?from={}&to={}", q.from, q.to);
    if let Some(r) = &q.reason {
        s.push_str(&format!("&reason={r}"));
    }
    s
}

pub async fn page(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<Selection>,
) -> StaffResult {
    let chosen = selection(nonempty(&q.from), nonempty(&q.to), nonempty(&q.reason))
        .map_err(PageError::staff)?;
    let held = query(&state, &admin, chosen, None).await?;
    let listed = held.clone();
    let (rows, total) =
        staff_query(&state, move |c| db::screening::held(c, &listed, LISTED)).await?;
    let notice = nonempty(&q.done).and_then(|d| {
        let (what, n) = d.split_once('-')?;
        let n: usize = n.parse().ok()?;
        Some(match what {
            "released" => format!("Đã trả {n} lượt đánh giá về chỉ số."),
            "rejected" => format!("Đã loại {n} lượt đánh giá khỏi chỉ số (vẫn được lưu)."),
            _ => return None,
        })
    });
    let page = HeldPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        from: held.from.to_string(),
        to: held.to.to_string(),
        reason: held.reason.clone().unwrap_or_default(),
        reasons: REASONS
            .iter()
            .map(|r| {
                Choice::new(
                    (*r).to_owned(),
                    staff_texts::text(Lang::Vi, &format!("held_{r}")).to_owned(),
                )
            })
            .collect(),
        notice,
        total,
        rows: rows.iter().map(HeldLine::of).collect(),
    };
    render(&state, StatusCode::OK, "admin_held.html", &page).map_err(PageError::staff)
}

/// POST /admin/held: releases or rejects one held rating (`id`) or every one of the selection.
pub async fn decide(state: web::Data<AppState>, admin: AdminUser, form: Fields) -> StaffResult {
    let decision = Decision::parse(field(&form, "decision"))
        .ok_or_else(|| PageError::staff(Fault::BadRequest))?;
    let given = |name: &str| Some(field(&form, name)).filter(|v| !v.is_empty());
    let chosen =
        selection(given("from"), given("to"), given("reason")).map_err(PageError::staff)?;
    let ids = match given("id") {
        None => None,
        Some(id) => Some(vec![
            uuid::Uuid::parse_str(id).map_err(|_| PageError::staff(Fault::NotFound))?
        ]),
    };
    let held = query(&state, &admin, chosen, ids).await?;
    let back = address(&held);
    let actor = admin.0.actor();
    let form_spec = std::sync::Arc::clone(&state.ingest.desk_form);
    let n = db::run_job(&state.pool, move |c| {
        quarantine::decide(c, &form_spec, &actor, &held, decision)
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let done = match decision {
        Decision::Release => "released",
        Decision::Reject => "rejected",
    };
    Ok(see_other(&format!("{back}&done={done}-{n}")))
}
