//! PAR points (`/admin/par`, Home Affairs only): the satisfaction component of each unit's
//! PAR-index score sheet for a year, from the rule set for that year, beside the index,
//! interval and n it comes from; the same table as CSV or XLSX. The units and their indices are
//! the ranking's (`ranking::table`), so the score sheet and the ranking cannot disagree.

use crate::views::StaffFrame;
use actix_web::http::StatusCode;
use actix_web::web;
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::errors::{Fault, PageError};
use super::export::{self, Sheet, Value};
use super::filters::{invalid, nonempty, today_in_vietnam};
use super::guard::AdminUser;
use super::ranking::{self, Table};
use super::{render, see_other, staff_query, StaffResult};
use crate::db;
use crate::db::users::Scope;
use crate::domain::par::{self, Rule};
use crate::results::par as score;
use crate::state::AppState;
use crate::views::registry::Choice;
use crate::views::{percent, Lang};

#[derive(Deserialize)]
pub struct ParQuery {
    year: Option<String>,
    level: Option<String>,
    channel: Option<String>,
    /// `desk` (default) or `annual`: the year's annual survey.
    source: Option<String>,
}

#[derive(Serialize)]
struct Row {
    rank: Option<usize>,
    code: String,
    name: String,
    index: Option<String>,
    interval: Option<String>,
    n: u64,
    points: Option<String>,
}

#[derive(Serialize)]
struct ParPage {
    #[serde(flatten)]
    shell: StaffFrame,
    year: i32,
    level: String,
    levels: Vec<Choice>,
    channel: String,
    /// `desk` or `annual`.
    source: &'static str,
    /// The annual survey's wave, with source `annual`.
    wave: Option<String>,
    rule: Option<String>,
    max_points: String,
    kind: String,
    brackets: String,
    error: Option<String>,
    rows: Vec<Row>,
    query: String,
    from: String,
    to: String,
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
    let rows: Vec<Row> = score::score_sheet(&t, rule.as_ref())
        .into_iter()
        .map(|l| Row {
            rank: l.rank,
            code: l.code,
            name: l.name,
            index: l
                .index
                .map(|e| format!("{}%", percent(e.estimate, Lang::Vi))),
            interval: l.index.map(|e| {
                format!(
                    "{}–{}%",
                    percent(e.ci_low, Lang::Vi),
                    percent(e.ci_high, Lang::Vi)
                )
            }),
            n: l.n,
            points: l.points.map(|p| format!("{p:.2}").replace('.', ",")),
        })
        .collect();
    let (max_points, kind, brackets) = match (typed, &rule) {
        (Some((m, k, b)), _) => (m.to_owned(), k.to_owned(), b.to_owned()),
        (None, Some(Rule::Linear { max_points })) => {
            (fmt(*max_points), "linear".into(), String::new())
        }
        (
            None,
            Some(Rule::Brackets {
                max_points,
                brackets,
            }),
        ) => (
            fmt(*max_points),
            "brackets".into(),
            brackets
                .iter()
                .map(|b| format!("{}:{}", fmt(100.0 * b.min), fmt(b.points)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (None, None) => ("2".into(), "linear".into(), String::new()),
    };
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
        max_points,
        kind,
        brackets,
        error,
        rows,
        query,
        from: t.filter.from.format("%d/%m/%Y").to_string(),
        to: t.filter.to.format("%d/%m/%Y").to_string(),
    };
    render(state, status, "par.html", &page).map_err(PageError::staff)
}

fn fmt(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
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
    let pct = |v: f64| Value::Number(100.0 * v, 2);
    let described = rule.as_ref().map_or(
        "Chưa đặt quy tắc tính điểm cho năm này.".to_owned(),
        Rule::describe_vi,
    );
    let rows = score::score_sheet(&t, rule.as_ref())
        .into_iter()
        .map(|l| {
            let e = l.index;
            vec![
                Value::Int(i64::from(year)),
                Value::text(&l.code),
                Value::text(&l.name),
                e.map_or(Value::Empty, |e| pct(e.estimate)),
                e.map_or(Value::Empty, |e| pct(e.ci_low)),
                e.map_or(Value::Empty, |e| pct(e.ci_high)),
                Value::Int(l.n as i64),
                l.points.map_or(Value::Empty, |p| Value::Number(p, 2)),
                Value::text(l.status.code()),
                Value::text(&described),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: format!("sipas-par-{year}-{}", t.level_code),
        header: export::header(&[
            "year",
            "code",
            "name",
            "index_percent",
            "ci_low_percent",
            "ci_high_percent",
            "n",
            "points",
            "status",
            "rule",
        ]),
        rows,
    };
    export::download(&sheet, format)
}
