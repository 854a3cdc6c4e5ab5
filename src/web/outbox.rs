//! The outbox page for administrators: how many messages wait, went, failed or are uncertain,
//! and the decision on a failed or uncertain one (send again, or mark sent). Addresses are shown
//! masked; the page is for administrators only (404 for anyone else).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::registry::{field, Fields};
use super::survey::mail_status_vi;
use super::{render, see_other, staff_query, StaffResult};
use crate::db::{self, outbox::Decision};
use crate::state::AppState;
use crate::views::outbox::{masked, OutboxFilter, OutboxLine, OutboxPage};
use crate::views::survey::grouped;
use crate::views::Lang;

/// Messages on one page: those needing a decision first, then the newest.
const PER_PAGE: i64 = 50;

/// The statuses a message can have, in the order the filter lists them.
const STATUSES: [&str; 5] = ["uncertain", "failed", "queued", "sending", "sent"];

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<Done>,
) -> StaffResult {
    // An unknown status or page is not an error worth a refusal: it shows everything, page 1.
    let status = q
        .status
        .as_deref()
        .and_then(|s| STATUSES.iter().find(|k| **k == s).copied());
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    let notice = match q.done.as_deref() {
        Some("retry") => Some("Đã đưa thư vào hàng đợi gửi lại."),
        Some("sent") => Some("Đã đánh dấu thư là đã gửi."),
        Some("unchanged") => {
            Some("Thư này không còn ở trạng thái cần quyết định; không có gì thay đổi.")
        }
        _ => None,
    };
    let (counts, list) = staff_query(&state, move |c| {
        Ok((
            db::outbox::counts(c)?,
            db::outbox::list(c, status, PER_PAGE, (page_no - 1) * PER_PAGE)?,
        ))
    })
    .await?;
    let selected: i64 = counts
        .iter()
        .filter(|(s, _)| status.is_none_or(|k| k == s))
        .map(|(_, n)| n)
        .sum();
    let pages = ((selected + PER_PAGE - 1) / PER_PAGE).max(1);
    let link = |p: i64| {
        let mut url = format!("/admin/outbox?page={p}");
        if let Some(s) = status {
            url.push_str(&format!("&status={s}"));
        }
        url
    };
    let page = OutboxPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        configured: state.settings.smtp.is_some(),
        notice,
        filters: STATUSES
            .iter()
            .map(|s| OutboxFilter {
                code: s,
                label: mail_status_vi(s),
                count: grouped(counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n)),
                current: status == Some(*s),
            })
            .collect(),
        all: grouped(counts.iter().map(|(_, n)| n).sum()),
        status: status.unwrap_or(""),
        page: page_no,
        pages,
        previous: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        messages: list
            .into_iter()
            .map(|m| OutboxLine {
                id: m.id,
                kind: match m.kind.as_str() {
                    "reminder" => "Nhắc",
                    "digest" => "Bản tin",
                    "alert" => "Cảnh báo",
                    _ => "Mời",
                },
                wave: m.wave_name.unwrap_or_else(|| "–".to_owned()),
                agency: m.agency_code.unwrap_or_else(|| "Sở Nội vụ".to_owned()),
                to: masked(m.email.as_deref()),
                status: mail_status_vi(&m.status),
                status_code: m.status,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                when: m
                    .updated
                    .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
                    .format("%d/%m/%Y %H:%M")
                    .to_string(),
            })
            .collect(),
    };
    render(&state, StatusCode::OK, "admin_outbox.html", &page).map_err(PageError::staff)
}

pub async fn decide(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i64>,
    form: Fields,
) -> StaffResult {
    let decision = match field(&form, "action") {
        "retry" => Decision::Retry,
        "sent" => Decision::MarkSent,
        _ => return Err(PageError::staff(Fault::BadRequest)),
    };
    let id = id.into_inner();
    let actor = admin.0.actor();
    let changed = staff_query(&state, move |c| db::outbox::decide(c, &actor, id, decision)).await?;
    let done = match (changed, decision) {
        (false, _) => "unchanged",
        (true, Decision::Retry) => "retry",
        (true, Decision::MarkSent) => "sent",
    };
    Ok(see_other(&format!("/admin/outbox?done={done}")))
}
