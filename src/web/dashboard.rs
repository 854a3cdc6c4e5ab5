//! The agency dashboard (`/admin/dashboard`): the desk stream's indices for a period, an
//! agency and the units below it, read from the daily aggregates (never the raw answers).
//! Which agencies and desks a reader may choose is decided by queries with their scope; an
//! agency or desk outside it is 404, as if it did not exist.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::filters::{nonempty, today_in_vietnam, PeriodFilter, PeriodQuery};
use super::guard::StaffUser;
use super::{render, staff_query, StaffResult};
use crate::db::{self, rollup::Selection, users::Scope};
use crate::domain::Role;
use crate::results::rollup;
use crate::state::AppState;
use crate::views::dashboard::{rows, shown, DashboardPage};
use crate::views::registry::Choice;
use crate::views::{Chrome, Lang};

#[derive(Deserialize)]
pub struct Filters {
    agency: Option<String>,
    desk: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

pub async fn dashboard(
    state: web::Data<AppState>,
    staff: StaffUser,
    q: web::Query<Filters>,
) -> StaffResult {
    let scope = staff.user.scope();
    // The agencies this reader may choose, by the same query rule as every page.
    let agencies = staff_query(&state, move |c| {
        let all = db::agencies::list_all(c)?;
        let visible = match scope {
            Scope::All => all,
            Scope::Agency(root) => {
                let ids = db::agencies::subtree_ids_of(c, root)?;
                all.into_iter().filter(|a| ids.contains(&a.id)).collect()
            }
        };
        Ok(visible)
    })
    .await?;
    let default_agency = match scope {
        Scope::Agency(root) => Some(root),
        Scope::All => agencies
            .iter()
            .find(|a| a.parent_id.is_none())
            .map(|a| a.id),
    };
    let agency_id = match nonempty(&q.agency) {
        Some(s) => s
            .parse::<i32>()
            .map_err(|_| PageError::staff(Fault::NotFound))?,
        None => default_agency.ok_or_else(|| PageError::staff(Fault::NotFound))?,
    };
    if !agencies.iter().any(|a| a.id == agency_id) {
        return Err(PageError::staff(Fault::NotFound));
    }
    let PeriodFilter {
        from,
        to,
        channel,
        kind,
    } = q
        .period
        .parse(today_in_vietnam())
        .map_err(|e| PageError::staff(Fault::BadRequest).saying_owned(e.vi()))?;
    let subtree = staff_query(&state, move |c| db::agencies::subtree_ids_of(c, agency_id)).await?;
    let ids = subtree.clone();
    let desks = staff_query(&state, move |c| db::desks::list_visible(c, scope))
        .await?
        .into_iter()
        .filter(|d| ids.contains(&d.agency_id))
        .collect::<Vec<_>>();
    let desk_id = match nonempty(&q.desk) {
        None => None,
        Some(s) => {
            let id = s
                .parse::<i32>()
                .map_err(|_| PageError::staff(Fault::NotFound))?;
            if !desks.iter().any(|d| d.id == id) {
                return Err(PageError::staff(Fault::NotFound));
            }
            Some(id)
        }
    };
    let form = state.ingest.desk_form.clone();
    let selection = Selection {
        agency_ids: subtree,
        from,
        to,
        instrument_id: form.instrument_id,
        channel: channel.clone(),
        desk_id,
        respondent_kind: kind.clone(),
    };
    let cells = staff_query(&state, move |c| db::rollup::selected(c, &selection)).await?;
    let report = rollup::report_of(&form, cells.iter().map(|(_, n, s)| (*n, s.as_slice())))
        .map_err(|e| PageError::staff(Fault::Internal(e.into())))?;
    let responses = report.as_ref().map_or(0, |(_, n)| *n);
    let page = DashboardPage {
        chrome: Chrome::new(Lang::Vi),
        username: &staff.user.username,
        csrf: &staff.csrf_token(&state.key),
        is_admin: staff.user.role == Role::Admin,
        agency: agency_id.to_string(),
        agencies: agencies
            .iter()
            .map(|a| Choice::new(a.id.to_string(), format!("{} – {}", a.code, a.name)))
            .collect(),
        desks: desks
            .iter()
            .map(|d| Choice::new(d.id.to_string(), format!("{} · {}", d.agency_code, d.name)))
            .collect(),
        from: from.to_string(),
        to: to.to_string(),
        channel: channel.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        desk: desk_id.map(|d| d.to_string()).unwrap_or_default(),
        responses,
        overall: shown(report.as_ref().and_then(|(r, _)| r.overall), responses),
        rows: rows(&form, report.as_ref().map(|(r, _)| r)),
    };
    render(&state, StatusCode::OK, "dashboard.html", &page).map_err(PageError::staff)
}
