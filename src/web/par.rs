//! PAR points (`/admin/par`, Home Affairs only): the satisfaction component of each unit's
//! PAR-index score sheet for a year, from the rule set for that year, beside the index,
//! interval and n it comes from; the same table as CSV or XLSX. The units and their indices are
//! the ranking's (`ranking::table`), so the score sheet and the ranking cannot disagree.

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::HttpRequest;
use chrono::Datelike;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::export::{self};
use super::filters::{invalid, nonempty, today_in_vietnam};
use super::guard::AdminUser;
use super::ranking::{self, Table};
use super::{render, see_other, staff_query, StaffResult};
use crate::db;
use crate::db::users::Scope;
use crate::domain::par::{self, Rule};
use crate::results::par as score;
use crate::state::AppState;
use crate::views::downloads::par_sheet;
use crate::views::par::{rows, ParPage, RuleFields};
use crate::views::registry::Choice;
use crate::views::Lang;

#[derive(Deserialize)]
pub struct ParQuery {
    year: Option<String>,
    level: Option<String>,
    channel: Option<String>,
    /// `desk` (default) or `annual`: the year's annual survey.
    source: Option<String>,
}

fn year_of(raw: &Option<String>) -> Result<i32, Fault> {
    match nonempty(raw) {
        None => Ok(today_in_vietnam().year()),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                invalid(
                    "year",
                    "Trường year: năm phải từ 2000 đến 2100.".into(),
                    "year must be from 2000 to 2100".into(),
                )
            }),
    }
}

/// The year's units (the ranking's, over the whole year to date) and its rule.
async fn sheet_of(
    state: &AppState,
    year: i32,
    source: Option<&str>,
    level: Option<&str>,
    channel: Option<&str>,
) -> Result<(Table, Option<Rule>), Fault> {
    let source = ranking::Source::parse(source)?;
    let filter = score::year_period(year, channel, today_in_vietnam())?;
    let table = ranking::table(state, Scope::All, source, level, None, None, filter).await?;
    let rule = db::run(&state.pool, move |c| db::par_rules::for_year(c, year)).await?;
    Ok((table, rule))
}

pub async fn page(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<ParQuery>,
) -> StaffResult {
    let year = year_of(&q.year).map_err(PageError::for_staff)?;
    show(&state, &admin, year, &q, None, StatusCode::OK, None).await
}

async fn show(
    state: &AppState,
    admin: &AdminUser,
    year: i32,
    q: &ParQuery,
    typed: Option<(&str, &str, &str)>,
    status: StatusCode,
    error: Option<String>,
) -> StaffResult {
    let (t, rule) = sheet_of(
        state,
        year,
        nonempty(&q.source),
        nonempty(&q.level),
        nonempty(&q.channel),
    )
    .await
    .map_err(PageError::for_staff)?;
    let levels = staff_query(state, db::agencies::levels).await?;
    let query = serde_urlencoded::to_string([
        ("year", year.to_string()),
        ("level", t.level_code.clone()),
        ("channel", t.filter.channel.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let page = ParPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        year,
        level: t.level_code.clone(),
        levels: levels
            .iter()
            .map(|l| Choice::new(l.code.clone(), l.name_vi.clone()))
            .collect(),
        channel: t.filter.channel.clone().unwrap_or_default(),
        source: t.source.code(),
        wave: t.wave.as_ref().map(|w| w.1.clone()),
        rule: rule.as_ref().map(Rule::describe_vi),
        fields: RuleFields::of(typed, rule.as_ref()),
        error,
        rows: rows(&t, rule.as_ref()),
        query,
        from: t.filter.from.format("%d/%m/%Y").to_string(),
        to: t.filter.to.format("%d/%m/%Y").to_string(),
    };
    render(state, status, "par.html", &page).map_err(PageError::staff)
}

#[derive(Deserialize)]
pub struct RuleForm {
    year: String,
    level: Option<String>,
    channel: Option<String>,
    max_points: String,
    kind: String,
    #[serde(default)]
    brackets: String,
}

pub async fn set_rule(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<RuleForm>,
) -> StaffResult {
    let year = year_of(&Some(form.year.clone())).map_err(PageError::for_staff)?;
    let back = ParQuery {
        year: Some(year.to_string()),
        level: form.level.clone(),
        channel: form.channel.clone(),
        source: None,
    };
    let rule = match par::parse(&form.max_points, &form.kind, &form.brackets) {
        Ok(rule) => rule,
        Err(why) => {
            let typed = (
                form.max_points.as_str(),
                form.kind.as_str(),
                form.brackets.as_str(),
            );
            return show(
                &state,
                &admin,
                year,
                &back,
                Some(typed),
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(why),
            )
            .await;
        }
    };
    let actor = admin.0.actor();
    staff_query(&state, move |c| db::par_rules::set(c, &actor, year, &rule)).await?;
    let query = serde_urlencoded::to_string([
        ("year", year.to_string()),
        ("level", back.level.unwrap_or_default()),
        ("channel", back.channel.unwrap_or_default()),
    ])
    .unwrap_or_default();
    Ok(see_other(&format!("/admin/par?{query}")))
}

/// The score sheet as CSV or XLSX: each unit's index, interval, n and points, and the rule.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: AdminUser,
    format: web::Path<String>,
    q: web::Query<ParQuery>,
) -> StaffResult {
    let format = export::format_of(&format)?;
    let year = year_of(&q.year).map_err(PageError::for_staff)?;
    let (t, rule) = sheet_of(
        &state,
        year,
        nonempty(&q.source),
        nonempty(&q.level),
        nonempty(&q.channel),
    )
    .await
    .map_err(PageError::for_staff)?;
    export::download(
        &par_sheet(year, &t, rule.as_ref()),
        format,
        crate::web::lang::staff_lang(&req),
    )
}
