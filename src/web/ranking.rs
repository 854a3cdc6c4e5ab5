//! The province ranking (`/admin/ranking`, and `/admin/ranking.csv` from the same table): the
//! units of one level within the reader's scope, for a period and channel. Home Affairs sees
//! the whole province; an agency's staff see the units of their own subtree.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::export::{self};
use super::filters::{nonempty, today_in_vietnam, PeriodFilter, PeriodQuery};
use super::guard::StaffUser;
use super::lang::{staff_lang, switch_href};
use super::{render, staff_query, StaffResult};
use crate::db::{self, users::Scope};
pub use crate::results::ranking_table::{self, Source, Table};
use crate::results::ResultsError;
use crate::state::AppState;
use crate::views::dashboard::question_name;
use crate::views::downloads::ranking_sheet;
use crate::views::ranking::{
    dispersion_note, model_note, province_shown, rule, RankingPage, RowView, UnrankedView,
};
use crate::views::ranking_charts::{multiples, FunnelChart, MULTIPLES_MAX_UNITS};
use crate::views::registry::Choice;
use crate::views::Lang;
use std::sync::Arc;

#[derive(Deserialize, Clone)]
pub struct RankingQuery {
    /// `desk` (default): the desk QR stream; `annual`: the annual survey of the period's year.
    source: Option<String>,
    level: Option<String>,
    /// `overall` or a desk question's code.
    measure: Option<String>,
    sort: Option<String>,
    seed: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

/// The table a query asks for, within the reader's scope: from the desk stream
/// (`results::ranking_table`) or the annual survey (`survey::ranking`).
#[allow(clippy::too_many_arguments)]
pub async fn table(
    state: &AppState,
    scope: Scope,
    source: Source,
    level: Option<&str>,
    measure: Option<&str>,
    seed: Option<&str>,
    filter: PeriodFilter,
) -> Result<Table, Fault> {
    let cache = Arc::clone(&state.past_sums);
    let form = Arc::clone(&state.ingest.desk_form);
    let (level, measure, seed) = (
        level.map(str::to_owned),
        measure.map(str::to_owned),
        seed.map(str::to_owned),
    );
    let today = today_in_vietnam();
    db::run_job_within(&state.pool, db::PAGE_DEADLINE, move |c| {
        // Opened without a level, the ranking shows the reader's own level: an agency's staff
        // see their agency among its peers.
        let level = match (level, scope) {
            (Some(l), _) => Some(l),
            (None, Scope::Agency(id)) => own_level(c, id)?,
            (None, Scope::All) => None,
        };
        ranked(
            c, &cache, &form, source, level, measure, seed, filter, today,
        )
    })
    .await
    .map_err(Fault::from)
}

/// The level code of an agency.
fn own_level(c: &mut db::Conn, agency: i32) -> Result<Option<String>, ResultsError> {
    let Some(row) = db::agencies::find_row(c, agency)? else {
        return Ok(None);
    };
    Ok(db::agencies::levels(c)?
        .into_iter()
        .find(|l| l.id == row.level_id)
        .map(|l| l.code))
}

/// A ranking is made of publish-level aggregates (an index per unit, its interval and n, what
/// Home Affairs publishes), which are not secret inside a province: every reader's table holds
/// every unit of the level, so an agency sees where it stands among its peers and every reader
/// sees the same ranks. Everything below a unit's index — its dashboard, desks, comments and
/// ratings — stays within the reader's scope.
#[allow(clippy::too_many_arguments)]
fn ranked(
    c: &mut db::Conn,
    cache: &crate::results::sums::PastSums,
    form: &crate::domain::FormSpec,
    source: Source,
    level: Option<String>,
    measure: Option<String>,
    seed: Option<String>,
    filter: PeriodFilter,
    today: chrono::NaiveDate,
) -> Result<Table, ResultsError> {
    let province = Scope::All;
    match source {
        Source::Desk => ranking_table::desk_table(
            c,
            cache,
            form,
            province,
            level.as_deref(),
            measure.as_deref(),
            seed.as_deref(),
            filter,
            today,
        ),
        Source::Annual => crate::survey::ranking::annual_table(
            c,
            form,
            province,
            measure.as_deref(),
            level.as_deref(),
            seed.as_deref(),
            filter,
        ),
    }
}

async fn table_of(
    state: &AppState,
    staff: &StaffUser,
    q: &RankingQuery,
) -> Result<Table, PageError> {
    let filter = q
        .period
        .parse(today_in_vietnam())
        .map_err(|e| PageError::for_staff(e.into()))?;
    let source = Source::parse(nonempty(&q.source)).map_err(|e| PageError::for_staff(e.into()))?;
    table(
        state,
        staff.user.scope(),
        source,
        nonempty(&q.level),
        nonempty(&q.measure),
        nonempty(&q.seed),
        filter,
    )
    .await
    .map_err(PageError::for_staff)
}

fn query_string(t: &Table) -> String {
    let f = &t.filter;
    serde_urlencoded::to_string([
        ("source", t.source.code()),
        ("level", t.level_code.as_str()),
        ("measure", t.measure.as_str()),
        ("from", &f.from.to_string()),
        ("to", &f.to.to_string()),
        ("channel", f.channel.as_deref().unwrap_or("")),
        ("kind", f.kind.as_deref().unwrap_or("")),
        ("seed", &t.ranking.seed.to_string()),
    ])
    .unwrap_or_default()
}

pub async fn page(
    state: web::Data<AppState>,
    staff: StaffUser,
    req: HttpRequest,
    q: web::Query<RankingQuery>,
) -> StaffResult {
    let lang = staff_lang(&req);
    let here = match req.query_string() {
        "" => "/admin/ranking".to_owned(),
        query => format!("/admin/ranking?{query}"),
    };
    let t = table_of(&state, &staff, &q)
        .await
        .map_err(|e| e.keeping_filters(&here))?;
    let scope = staff.user.scope();
    let (levels, own) = staff_query(&state, move |c| {
        let own: Vec<String> = match scope {
            Scope::All => Vec::new(),
            Scope::Agency(_) => db::agencies::visible(c, scope)?
                .into_iter()
                .map(|a| a.code)
                .collect(),
        };
        Ok((db::agencies::levels(c)?, own))
    })
    .await?;
    let form = &state.ingest.desk_form;
    let mut rows: Vec<RowView> = t
        .ranking
        .ranked
        .iter()
        .map(|r| RowView {
            own: own.contains(&r.unit.code),
            ..RowView::of(r, lang)
        })
        .collect();
    let sort = match nonempty(&q.sort) {
        Some("n") => {
            rows.sort_by_key(|r| std::cmp::Reverse(r.index.n));
            "n"
        }
        Some("code") => {
            rows.sort_by(|a, b| a.code.cmp(&b.code));
            "code"
        }
        Some("name") => {
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            "name"
        }
        _ => "rank",
    };
    let factor_names: Vec<String> = form
        .questions
        .iter()
        .filter(|q| q.kind == "factor")
        .map(|q| question_name(q, lang))
        .collect();
    let overall_name = match lang {
        Lang::Vi => "Chỉ số SIPAS chung",
        Lang::En => "Overall SIPAS",
    };
    let mut measures = vec![Choice::new("overall".into(), overall_name.into())];
    measures.extend(
        form.questions
            .iter()
            .map(|q| Choice::new(q.code.clone(), question_name(q, lang))),
    );
    let page = RankingPage {
        shell: staff.frame(&state.key, lang),
        switch_href: switch_href(lang, &here),
        source: t.source.code(),
        wave: t.wave.as_ref().map(|w| w.1.clone()),
        levels: levels
            .iter()
            .map(|l| {
                let name = match lang {
                    Lang::Vi => &l.name_vi,
                    Lang::En => &l.name_en,
                };
                Choice::new(l.code.clone(), name.clone())
            })
            .collect(),
        level: t.level_code.clone(),
        measures,
        measure: t.measure.clone(),
        period: q.period.named(),
        from: t.filter.from.to_string(),
        to: t.filter.to.to_string(),
        channel: t.filter.channel.clone().unwrap_or_default(),
        kind: t.filter.kind.clone().unwrap_or_default(),
        sort: sort.into(),
        query: query_string(&t),
        province: province_shown(&t.ranking, lang),
        rows,
        unranked: UnrankedView::list(&t.ranking, lang),
        seed: t.ranking.seed,
        simulations: t.ranking.simulations,
        rule: rule(lang),
        dispersion: dispersion_note(&t.ranking, lang),
        model_note: model_note(&t.ranking, lang),
        funnel: FunnelChart::of(&t.ranking, &own, lang),
        panels: multiples(&t.ranking, &factor_names, &own, lang),
        too_many_for_multiples: t.ranking.ranked.len() > MULTIPLES_MAX_UNITS,
    };
    render(&state, StatusCode::OK, "ranking.html", &page).map_err(PageError::staff)
}

/// The same table as CSV or XLSX: ranked units first, then the units not ranked, with the
/// seed in every row.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    format: web::Path<String>,
    q: web::Query<RankingQuery>,
) -> StaffResult {
    let format = export::format_of(&format)?;
    let t = table_of(&state, &staff, &q).await?;
    export::download(&ranking_sheet(&t), format, staff_lang(&req))
}
