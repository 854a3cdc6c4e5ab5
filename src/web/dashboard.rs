//! The agency dashboard (`/admin/dashboard`): the desk stream's indices for a period, an
//! agency and the units below it, read from the daily aggregates (never the raw answers).
//! Which agencies and desks a reader may choose is decided by queries with their scope; an
//! agency or desk outside it is 404, as if it did not exist.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;
use serde_json::json;

use super::errors::{Fault, PageError};
use super::export::{self};
use super::filters::{nonempty, today_in_vietnam, PeriodFilter, PeriodQuery};
use super::guard::StaffUser;
use super::lang::{staff_lang, switch_href};
use super::{render, see_other, staff_query, StaffResult};

use crate::db::comments::{CommentQuery, Search};
use crate::db::{self, users::Scope};
use crate::domain::{privacy, search, Role};
use crate::ingest::ratelimit::{Limited, Subject};
use crate::results::agency::{self, AgencyResults, Which};
use crate::results::periods;
use crate::state::AppState;
use crate::views::dashboard::{changes, rows, shown, CommentView, DashboardPage, TargetView};
use crate::views::dashboard_charts::{Priorities, TrendChart};
use crate::views::dossiers::DossierSection;
use crate::views::downloads::{dossiers_sheet, results_sheet};
use crate::views::held::HeldView;
use crate::views::registry::Choice;
use crate::views::standing::StandingView;
use crate::views::Lang;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct Filters {
    agency: Option<String>,
    desk: Option<String>,
    /// Words to look for in comments.
    q: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

/// An agency's results for a staff page or the API (see `results::agency`).
pub async fn agency_results(
    state: &AppState,
    scope: Scope,
    which: Which,
    desk: Option<&str>,
    filter: PeriodFilter,
) -> Result<AgencyResults, Fault> {
    let cache = Arc::clone(&state.past_sums);
    let form = Arc::clone(&state.ingest.desk_form);
    let desk = desk.map(str::to_owned);
    let today = today_in_vietnam();
    db::run_job_within(&state.pool, db::PAGE_DEADLINE, move |c| {
        agency::agency_results(
            c,
            &cache,
            &form,
            scope,
            &which,
            desk.as_deref(),
            filter,
            today,
        )
    })
    .await
    .map_err(Fault::from)
}

/// The results a staff page's query asks for (`agency` as an id, `desk`, the period filters),
/// parsed and resolved within the reader's scope: the dashboard, its downloads and the
/// microdata read the same agency, desk and days.
pub(super) async fn results_for(
    state: &AppState,
    staff: &StaffUser,
    agency: &Option<String>,
    desk: &Option<String>,
    period: &PeriodQuery,
) -> Result<AgencyResults, PageError> {
    let filter = period
        .parse(today_in_vietnam())
        .map_err(|e| PageError::for_staff(e.into()))?;
    let which = match nonempty(agency) {
        None => Which::Default,
        Some(s) => Which::Id(s.parse().map_err(|_| PageError::staff(Fault::NotFound))?),
    };
    agency_results(state, staff.user.scope(), which, nonempty(desk), filter)
        .await
        .map_err(PageError::for_staff)
}

/// The dashboard's tables as CSV or XLSX, from the same `agency_results`: the overall SIPAS,
/// then each question, with interval, n, missing rate, mean score and the five levels' shares.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    format: web::Path<String>,
    q: web::Query<Filters>,
) -> StaffResult {
    let format = export::format_of(&format)?;
    let r = results_for(&state, &staff, &q.agency, &q.desk, &q.period).await?;
    export::download(
        &results_sheet(&state.ingest.desk_form, &r),
        format,
        staff_lang(&req),
    )
}

/// Decision 766's counts from receipts (the dashboard's section) as CSV or XLSX.
pub async fn download_dossiers(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    format: web::Path<String>,
    q: web::Query<Filters>,
) -> StaffResult {
    let format = export::format_of(&format)?;
    let r = results_for(&state, &staff, &q.agency, &q.desk, &q.period).await?;
    export::download(&dossiers_sheet(&r), format, staff_lang(&req))
}

/// How many comments the dashboard lists (newest first; the search narrows them).
const COMMENTS_SHOWN: i64 = 30;

pub async fn dashboard(
    state: web::Data<AppState>,
    staff: StaffUser,
    req: HttpRequest,
    q: web::Query<Filters>,
) -> StaffResult {
    let here = match req.query_string() {
        "" => "/admin/dashboard".to_owned(),
        query => format!("/admin/dashboard?{query}"),
    };
    let here = here.as_str();
    let lang = staff_lang(&req);
    let r = results_for(&state, &staff, &q.agency, &q.desk, &q.period)
        .await
        .map_err(|e| e.keeping_filters(here))?;
    let (comments, search_wait) = comments_for(&state, &staff, &r, &q.q).await?;
    let standing = standing_of(&state, &r, lang).await?;
    let form = &state.ingest.desk_form;
    let report = r.report.as_ref();
    let responses = report.map_or(0, |(_, n)| *n);
    let page = DashboardPage {
        shell: staff.frame(&state.key, lang),
        switch_href: switch_href(lang, here),
        agency: r.agency.id.to_string(),
        agencies: r
            .visible
            .iter()
            .map(|a| Choice::new(a.id.to_string(), format!("{} – {}", a.code, a.name)))
            .collect(),
        desks: r
            .desks
            .iter()
            .map(|d| Choice::new(d.id.to_string(), format!("{} · {}", d.agency_code, d.name)))
            .collect(),
        period: q.period.named(),
        from: r.filter.from.to_string(),
        to: r.filter.to.to_string(),
        channel: r.filter.channel.clone().unwrap_or_default(),
        kind: r.filter.kind.clone().unwrap_or_default(),
        desk: r.desk_id.map(|d| d.to_string()).unwrap_or_default(),
        responses,
        overall: shown(report.and_then(|(r, _)| r.overall), responses, lang),
        rows: rows(form, report.map(|(r, _)| r), lang),
        changes: changes(form, &r, lang)
            .map_err(|e| PageError::staff(Fault::Internal(e.into())))?,
        previous_label: {
            let (a, b) = periods::previous_period(r.filter.from, r.filter.to);
            format!("{} – {}", a.format("%d/%m/%Y"), b.format("%d/%m/%Y"))
        },
        year_ago_label: {
            let (a, b) = periods::year_earlier(r.filter.from, r.filter.to);
            format!("{} – {}", a.format("%d/%m/%Y"), b.format("%d/%m/%Y"))
        },
        target: r
            .target
            .map(|t| TargetView::of(t, report.and_then(|(r, _)| r.overall), lang)),
        trend: TrendChart::of(&r.trend, r.target, lang),
        priorities: Priorities::of(
            form,
            report.map(|(r, _)| r.factors.as_slice()).unwrap_or(&[]),
            &r.importance,
            lang,
        ),
        comments,
        may_moderate: staff.user.role.may_act(),
        words: nonempty(&q.q).unwrap_or_default().to_owned(),
        search_limited: search_wait.map(|w| w.as_secs().max(1)),
        here: here.to_owned(),
        download_csv: here.replacen("/admin/dashboard", "/admin/dashboard.csv", 1),
        download_xlsx: here.replacen("/admin/dashboard", "/admin/dashboard.xlsx", 1),
        microdata: Some(here.replacen("/admin/dashboard", "/admin/microdata.csv", 1)),
        dossiers: DossierSection::of(&r.dossiers, &r.visible, &r.desks, &r.streams, lang),
        dossiers_csv: here.replacen("/admin/dashboard", "/admin/dashboard/dossiers.csv", 1),
        dossiers_xlsx: here.replacen("/admin/dashboard", "/admin/dashboard/dossiers.xlsx", 1),
        held: HeldView::of(&r.held, lang),
        standing,
    };
    let status = match search_wait {
        Some(_) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::OK,
    };
    let mut resp = render(&state, status, "dashboard.html", &page).map_err(PageError::staff)?;
    if let Some(wait) = search_wait {
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            wait.as_secs().max(1).into(),
        );
    }
    Ok(resp)
}

/// The agency among the units of its level, from the ranking page's own table (same filters,
/// same default seed), so the dashboard and the ranking always agree. Not with a desk chosen:
/// a desk has no rank.
async fn standing_of(
    state: &AppState,
    r: &AgencyResults,
    lang: Lang,
) -> Result<Option<StandingView>, PageError> {
    if r.desk_id.is_some() {
        return Ok(None);
    }
    let t = super::ranking::table(
        state,
        Scope::Agency(r.agency.id),
        super::ranking::Source::Desk,
        None,
        None,
        None,
        r.filter.clone(),
    )
    .await
    .map_err(PageError::for_staff)?;
    let f = &t.filter;
    let href = format!(
        "/admin/ranking?{}",
        serde_urlencoded::to_string([
            ("level", t.level_code.as_str()),
            ("from", &f.from.to_string()),
            ("to", &f.to.to_string()),
            ("channel", f.channel.as_deref().unwrap_or("")),
            ("kind", f.kind.as_deref().unwrap_or("")),
        ])
        .unwrap_or_default()
    );
    Ok(StandingView::of(&t.ranking, r.agency.id, href, lang))
}

/// A search's words as the audit log keeps them: masked, every digit of any script a `#`
/// (part of a number an administrator looked up) and every word with an at-sign `[@]` (part
/// of an address).
fn audit_words(typed: &str) -> String {
    privacy::mask_personal(typed)
        .split(' ')
        .map(|w| {
            if w.contains(['@', '＠', '﹫']) {
                "[@]".to_owned()
            } else {
                w.chars()
                    .map(|c| if c.is_numeric() { '#' } else { c })
                    .collect()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The newest comments of the selection, searched if the reader typed words: in what the
/// reader may see (the masked text; the original too for administrators; hidden comments
/// only for those who may show them again), at most `rate_search` searches per account, each
/// one in the audit log (its words masked). Returns the comments as the page shows them, and
/// how long to wait when the search was refused for the rate.
async fn comments_for(
    state: &AppState,
    staff: &StaffUser,
    r: &AgencyResults,
    typed: &Option<String>,
) -> Result<(Vec<CommentView>, Option<std::time::Duration>), PageError> {
    let typed: Option<String> =
        nonempty(typed).map(|w| w.chars().take(search::WORDS_MAX).collect());
    let plain = typed.as_deref().and_then(search::words);
    let is_admin = staff.user.role == Role::Admin;
    let may_moderate = staff.user.role.may_act();
    let mut wait = None;
    if plain.is_some() {
        match state.limits.take(Subject::Search(staff.user.id)).await {
            Ok(()) => {}
            Err(Limited::Wait(w)) => wait = Some(w),
            Err(Limited::Unavailable(e)) => return Err(PageError::staff(Fault::database(e))),
        }
    }
    let searched = plain.filter(|_| wait.is_none()).map(|plain| Search {
        plain,
        in_original: typed.clone().filter(|_| is_admin),
        hidden_too: may_moderate,
    });
    let highlight = searched.as_ref().map(|s| s.plain.clone());
    let audit = searched.as_ref().map(|_| {
        json!({
            "words": audit_words(typed.as_deref().unwrap_or_default()),
            "agency": r.agency.code,
            "from": r.filter.from,
            "to": r.filter.to,
        })
    });
    let comment_query = CommentQuery {
        slice: r.slice.clone(),
        from: r.filter.from,
        to: r.filter.to,
        search: searched,
        limit: COMMENTS_SHOWN,
    };
    let actor = staff.actor();
    // A reading (a search's audit row aside): bounded like the page's other readings.
    let comments = super::staff_read(state, move |c| {
        let found = db::comments::newest(c, &comment_query)?;
        if let Some(mut details) = audit {
            details["found"] = json!(found.len());
            db::audit::record(c, &actor, "comment.search", "comments", None, Some(details))?;
        }
        Ok(found)
    })
    .await?;
    let agency_code = |id: i32| {
        r.visible
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.code.clone())
            .unwrap_or_default()
    };
    let views = comments
        .iter()
        .map(|c| {
            CommentView::of(
                c,
                agency_code(c.agency_id),
                may_moderate,
                is_admin,
                highlight.as_deref(),
            )
        })
        .collect();
    Ok((views, wait))
}

#[derive(Deserialize)]
pub struct Moderation {
    hidden: String,
    back: Option<String>,
}

/// Where to go back after moderating: only a dashboard address of this site, parsed as a
/// path, never copied into a header as typed.
fn back_to(raw: Option<&str>) -> String {
    match raw {
        Some(b)
            if (b == "/admin/dashboard" || b.starts_with("/admin/dashboard?"))
                && !b.chars().any(|c| c.is_control()) =>
        {
            b.to_owned()
        }
        _ => "/admin/dashboard".to_owned(),
    }
}

/// POST /admin/comments/{id}/hidden: a manager or administrator hides an abusive comment, or
/// shows it again. Only comments within the moderator's scope; audited; never deleted.
pub async fn moderate(
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: web::Form<Moderation>,
) -> StaffResult {
    if !staff.user.role.may_act() {
        return Err(PageError::staff(Fault::NotAllowed));
    }
    let response_id = uuid::Uuid::parse_str(&id).map_err(|_| PageError::staff(Fault::NotFound))?;
    let hidden = match form.hidden.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::staff(Fault::BadRequest)),
    };
    let scope = staff.user.scope();
    let actor = staff.actor();
    let done = staff_query(&state, move |c| {
        let ids: Vec<i32> = db::agencies::visible(c, scope)?
            .into_iter()
            .map(|a| a.id)
            .collect();
        db::comments::set_hidden(c, &actor, &ids, response_id, hidden)
    })
    .await?;
    if !done {
        return Err(PageError::staff(Fault::NotFound));
    }
    // Back to the comment itself, not the top of a long page.
    Ok(see_other(&format!(
        "{}#comment-{response_id}",
        back_to(form.back.as_deref())
    )))
}
