//! The province ranking (`/admin/ranking`, and `/admin/ranking.csv` from the same table): the
//! units of one level within the reader's scope, for a period and channel. Home Affairs sees
//! the whole province; an agency's staff see the units of their own subtree.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::export::{self, Sheet, Value};
use super::filters::{invalid, nonempty, today_in_vietnam, PeriodFilter, PeriodQuery};
use super::guard::StaffUser;
use super::lang::{staff_lang, switch_href};
use super::{render, staff_query, StaffResult};
use crate::db::{self, users::Scope};
use crate::domain::{FormSpec, Role};
use crate::results::ranking::{self, Measure, Ranking};
use crate::results::sums::{self, Slice};
use crate::state::AppState;
use crate::views::dashboard::question_name;
use crate::views::ranking::{
    multiples, province_shown, rule, tier_code, FunnelChart, RankingPage, RowView, UnrankedView,
    MULTIPLES_MAX_UNITS,
};
use crate::views::registry::Choice;
use crate::views::{Chrome, Lang};
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

/// Where a ranking's numbers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The desk QR stream's daily aggregates for the period and channel.
    Desk,
    /// The design-based results of the annual survey of the period's year (its agencies are
    /// its strata; the level, channel and kind do not apply).
    Annual,
}

impl Source {
    pub fn parse(raw: Option<&str>) -> Result<Source, Fault> {
        match raw {
            None | Some("desk") => Ok(Source::Desk),
            Some("annual") => Ok(Source::Annual),
            Some(_) => Err(invalid(
                "source",
                "Trường source: “desk” (luồng QR) hoặc “annual” (khảo sát hằng năm).".into(),
                "source must be desk or annual".into(),
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Source::Desk => "desk",
            Source::Annual => "annual",
        }
    }
}

/// A ranking with what it was asked for, as the page and the CSV show it.
pub struct Table {
    pub source: Source,
    /// The annual survey's wave ranked, with `Source::Annual`.
    pub wave: Option<(i32, String)>,
    pub level_code: String,
    pub measure: String,
    pub filter: PeriodFilter,
    pub ranking: Ranking,
}

fn measure_of(form: &FormSpec, raw: Option<&str>) -> Result<(Measure, String), Fault> {
    match raw {
        None | Some("overall") => Ok((Measure::Overall, "overall".into())),
        Some(code) => form
            .questions
            .iter()
            .position(|q| q.code == code)
            .map(|i| (Measure::Question(i), code.to_owned()))
            .ok_or_else(|| {
                invalid(
                    "measure",
                    format!("Trường measure: không có chỉ số “{code}”."),
                    format!("measure: no index is named '{code}' (overall or a question code)"),
                )
            }),
    }
}

/// Computes the table a query asks for, within the reader's scope. Shared by the page, the CSV
/// and the API, so that they cannot disagree.
/// The seed of the rank simulation: as given, or derived from what the table shows.
fn seed_of(raw: Option<&str>, derived: impl FnOnce() -> u64) -> Result<u64, Fault> {
    match raw {
        None => Ok(derived()),
        Some(s) => s.parse::<u64>().map_err(|_| {
            invalid(
                "seed",
                "Trường seed: phải là một số nguyên không âm.".into(),
                "seed must be a non-negative integer".into(),
            )
        }),
    }
}

#[tracing::instrument(name = "ranking", skip_all, fields(source = ?source, level = ?level))]
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
    let form = state.ingest.desk_form.clone();
    let (measure, measure_code) = measure_of(&form, measure)?;
    if source == Source::Annual {
        return annual_table(state, scope, measure, measure_code, level, seed, filter).await;
    }
    let levels = db::run(&state.pool, db::agencies::levels).await?;
    let level = match level {
        // Default: the first level below the province (departments in the demo).
        None => levels.get(1).or(levels.first()),
        Some(code) => Some(levels.iter().find(|l| l.code == code).ok_or_else(|| {
            invalid(
                "level",
                format!("Trường level: không có cấp “{code}”."),
                format!("level: no agency level has the code '{code}'"),
            )
        })?),
    }
    .ok_or(Fault::NotFound)?
    .clone();
    let seed = seed_of(seed, || {
        ranking::default_seed(&[
            &level.code,
            &measure_code,
            &filter.from.to_string(),
            &filter.to.to_string(),
            filter.channel.as_deref().unwrap_or(""),
            filter.kind.as_deref().unwrap_or(""),
        ])
    })?;
    let f = filter.clone();
    let instrument_id = form.instrument_id;
    let cache = Arc::clone(&state.past_sums);
    let today = today_in_vietnam();
    let (agencies, per_agency) = db::run(&state.pool, move |c| {
        let visible = db::agencies::visible(c, scope)?;
        let mut agency_ids: Vec<i32> = visible.iter().map(|a| a.id).collect();
        agency_ids.sort_unstable();
        let slice = Slice {
            instrument_id,
            agency_ids,
            desk_id: None,
            channel: f.channel,
            respondent_kind: f.kind,
        };
        let mut sums = sums::per_period(c, &cache, &slice, &[(f.from, f.to)], today)?;
        Ok((visible, sums.pop().unwrap_or_default()))
    })
    .await?;
    let ranking = ranking::rank(&form, &agencies, level.id, measure, &per_agency, seed)
        .map_err(Fault::Internal)?;
    Ok(Table {
        source,
        wave: None,
        level_code: level.code,
        measure: measure_code,
        filter,
        ranking,
    })
}

/// The ranking of the annual survey of the period's year: its agencies (strata) within the
/// reader's scope, by their design-based index, with rank intervals and tiers against the
/// province's estimate. The wave closed last in that year, else the one in fieldwork.
async fn annual_table(
    state: &AppState,
    scope: Scope,
    measure: Measure,
    measure_code: String,
    level: Option<&str>,
    seed: Option<&str>,
    filter: PeriodFilter,
) -> Result<Table, Fault> {
    use chrono::Datelike;
    let year = filter.to.year();
    let desk = state.ingest.desk_form.clone();
    let found = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        let visible: std::collections::HashSet<i32> = db::agencies::visible(c, scope)?
            .iter()
            .map(|a| a.id)
            .collect();
        let Some(wave) = crate::survey::wave_of_year(c, year)? else {
            return Ok(None);
        };
        let (form, results) = crate::survey::wave_results(c, wave.0)?;
        Ok(Some((wave, form, results, visible)))
    })
    .await
    .map_err(Fault::database)?;
    let Some((wave, full, results, visible)) = found else {
        return Err(invalid(
            "source",
            format!("Năm {year} chưa có đợt khảo sát hằng năm nào đang khảo sát hoặc đã kết thúc."),
            format!("no annual survey wave of {year} is in fieldwork or closed"),
        ));
    };
    // The desk form's questions (the measures offered) are items of the full form too.
    let measure = match measure {
        Measure::Overall => Measure::Overall,
        Measure::Question(i) => {
            let code = &desk.questions[i].code;
            Measure::Question(
                full.questions
                    .iter()
                    .position(|q| &q.code == code)
                    .ok_or(Fault::NotFound)?,
            )
        }
    };
    let factors = full.factor_count().max(5);
    let seed = seed_of(seed, || {
        crate::survey::ranking::default_seed(wave.0, &measure_code)
    })?;
    let ranking =
        crate::survey::ranking::annual_ranking(&results, measure, Some(&visible), factors, seed)
            .map_err(Fault::Internal)?;
    Ok(Table {
        source: Source::Annual,
        wave: Some(wave),
        level_code: level.unwrap_or_default().to_owned(),
        measure: measure_code,
        filter,
        ranking,
    })
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
    let source = Source::parse(nonempty(&q.source)).map_err(PageError::for_staff)?;
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
    let t = table_of(&state, &staff, &q).await?;
    let levels = staff_query(&state, db::agencies::levels).await?;
    let form = &state.ingest.desk_form;
    let mut rows: Vec<RowView> = t
        .ranking
        .ranked
        .iter()
        .map(|r| RowView::of(r, lang))
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
        chrome: Chrome::new(lang),
        switch_href: switch_href(lang, &here),
        username: &staff.user.username,
        csrf: &staff.csrf_token(&state.key),
        is_admin: staff.user.role == Role::Admin,
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
        from: t.filter.from.to_string(),
        to: t.filter.to.to_string(),
        channel: t.filter.channel.clone().unwrap_or_default(),
        kind: t.filter.kind.clone().unwrap_or_default(),
        sort: sort.into(),
        query: query_string(&t),
        province: province_shown(&t.ranking, lang),
        rows,
        unranked: t.ranking.unranked.iter().map(UnrankedView::of).collect(),
        seed: t.ranking.seed,
        simulations: t.ranking.simulations,
        rule: rule(lang),
        funnel: FunnelChart::of(&t.ranking, lang),
        panels: multiples(&t.ranking, &factor_names, lang),
        too_many_for_multiples: t.ranking.ranked.len() > MULTIPLES_MAX_UNITS,
    };
    render(&state, StatusCode::OK, "ranking.html", &page).map_err(PageError::staff)
}

/// The same table as CSV or XLSX: ranked units first, then the units not ranked, with the
/// seed in every row.
pub async fn download(
    state: web::Data<AppState>,
    staff: StaffUser,
    format: web::Path<String>,
    q: web::Query<RankingQuery>,
) -> StaffResult {
    let format = export::format_of(&format)?;
    let t = table_of(&state, &staff, &q).await?;
    export::response(&sheet(&t), format).map_err(|e| PageError::staff(Fault::Internal(e)))
}

pub fn sheet(t: &Table) -> Sheet {
    let header = export::header(&[
        "rank",
        "rank_low",
        "rank_high",
        "code",
        "name",
        "index_percent",
        "ci_low_percent",
        "ci_high_percent",
        "n",
        "responses",
        "tier",
        "measure",
        "from",
        "to",
        "channel",
        "seed",
    ]);
    let pct = |v: f64| Value::Number(100.0 * v, 2);
    let common = [
        Value::text(&t.measure),
        Value::text(t.filter.from.to_string()),
        Value::text(t.filter.to.to_string()),
        Value::text(match t.source {
            Source::Annual => "annual_sample",
            Source::Desk => t.filter.channel.as_deref().unwrap_or("all"),
        }),
        Value::Int(t.ranking.seed as i64),
    ];
    let mut rows = Vec::new();
    for r in &t.ranking.ranked {
        let e = r.unit.index.as_ref();
        let mut rec = vec![
            Value::Int(r.rank as i64),
            Value::Int(r.rank_low as i64),
            Value::Int(r.rank_high as i64),
            Value::text(&r.unit.code),
            Value::text(&r.unit.name),
            e.map_or(Value::Empty, |e| pct(e.estimate)),
            e.map_or(Value::Empty, |e| pct(e.ci_low)),
            e.map_or(Value::Empty, |e| pct(e.ci_high)),
            Value::Int(e.map_or(0, |e| e.n) as i64),
            Value::Int(r.unit.responses as i64),
            Value::text(tier_code(r.tier)),
        ];
        rec.extend(common.iter().cloned());
        rows.push(rec);
    }
    for u in &t.ranking.unranked {
        let mut rec = vec![
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::text(&u.code),
            Value::text(&u.name),
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::Int(u.index.map_or(0, |e| e.n) as i64),
            Value::Int(u.responses as i64),
            Value::text("not_ranked"),
        ];
        rec.extend(common.iter().cloned());
        rows.push(rec);
    }
    Sheet {
        name: format!(
            "sipas-ranking-{}-{}-{}",
            t.level_code, t.filter.from, t.filter.to
        ),
        header,
        rows,
    }
}
