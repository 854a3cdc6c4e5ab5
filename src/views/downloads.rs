//! The staff pages' downloads as sheets (CSV or XLSX, written by `sheet`): the dashboard's
//! results, the ranking and the PAR score sheet. Each reads the same service result as its
//! page, so a download cannot disagree with the page it came from.

use super::ranking::tier_code;
use super::sheet::{header, Sheet, Value};
use super::Lang;
use crate::domain::par::Rule;
use crate::domain::FormSpec;
use crate::results::agency::AgencyResults;
use crate::results::par as score;
use crate::results::ranking_table::{Source, Table};
use analysis::IndexEstimate;

/// The dashboard's tables as a sheet (CSV or XLSX): the overall SIPAS, then each question, with
/// interval, n, missing rate, mean score and the five levels' shares, and the selection.
pub fn results_sheet(form: &FormSpec, r: &AgencyResults) -> Sheet {
    let report = r.report.as_ref().map(|(rep, _)| rep);
    let responses = r.report.as_ref().map_or(0, |(_, n)| *n);
    let pct = |v: f64| Value::Percent(v, 2);
    let estimate = |e: Option<IndexEstimate>, n: u64| match e {
        Some(e) if !e.suppressed => vec![
            pct(e.estimate),
            pct(e.ci_low),
            pct(e.ci_high),
            Value::Int(e.n as i64),
            Value::text("reported"),
        ],
        other => vec![
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::Int(other.map_or(n, |e| e.n) as i64),
            Value::text("suppressed"),
        ],
    };
    let context = [
        Value::text(&r.agency.code),
        Value::Date(r.filter.from),
        Value::Date(r.filter.to),
        Value::text(r.filter.channel.as_deref().unwrap_or("all")),
        Value::text(r.filter.kind.as_deref().unwrap_or("all")),
        r.desk_id.map_or(Value::Empty, |d| Value::Int(i64::from(d))),
        Value::Int(responses as i64),
    ];
    let mut rows = Vec::new();
    let mut overall = vec![
        Value::text("SIPAS"),
        Value::words("Chỉ số SIPAS chung", "Overall SIPAS index"),
    ];
    overall.extend(estimate(report.and_then(|rep| rep.overall), 0));
    overall.extend(std::iter::repeat_n(Value::Empty, 7));
    overall.extend(context.iter().cloned());
    rows.push(overall);
    for (i, q) in form.questions.iter().enumerate() {
        let item = report.map(|rep| &rep.items[i]);
        // As on the page: below the minimum n, no mean and no levels' shares (levels 4 and 5
        // add up to the index).
        let shown = item.filter(|t| t.index.is_some_and(|e| !e.suppressed));
        let mut row = vec![
            Value::text(&q.code),
            Value::words(
                super::dashboard::question_name(q, Lang::Vi),
                super::dashboard::question_name(q, Lang::En),
            ),
        ];
        row.extend(estimate(
            item.and_then(|t| t.index),
            item.map_or(0, |t| t.valid_n),
        ));
        row.push(item.map_or(Value::Empty, |t| pct(t.missing_rate)));
        row.push(
            shown
                .and_then(|t| t.mean_score)
                .map_or(Value::Empty, |m| Value::Number(m, 2)),
        );
        for level in 0..5 {
            row.push(shown.map_or(Value::Empty, |t| pct(t.distribution[level])));
        }
        row.extend(context.iter().cloned());
        rows.push(row);
    }
    Sheet {
        about: selection(r),
        name: format!("sipas-{}-{}-{}", r.agency.code, r.filter.from, r.filter.to),
        header: header(&[
            "code",
            "name",
            "index_percent",
            "ci_low_percent",
            "ci_high_percent",
            "n",
            "status",
            "missing_percent",
            "mean_score",
            "level1_percent",
            "level2_percent",
            "level3_percent",
            "level4_percent",
            "level5_percent",
            "agency",
            "from",
            "to",
            "channel",
            "kind",
            "desk",
            "responses",
        ]),
        rows,
    }
}

/// The ranking as a sheet (CSV or XLSX): ranked units first, then the units not ranked, with
/// the seed in every row.
pub fn ranking_sheet(t: &Table) -> Sheet {
    let header = header(&[
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
        "p_value",
        "p_adjusted",
        "model_based_percent",
        "model_based_rmse_percent",
    ]);
    let pct = |v: f64| Value::Percent(v, 2);
    let p = |v: f64| Value::Number(v, 6);
    let common = [
        Value::text(&t.measure),
        Value::Date(t.filter.from),
        Value::Date(t.filter.to),
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
        // The tier's p-values; a ranked unit has no model-based estimate.
        rec.extend([p(r.p_value), p(r.p_adjusted), Value::Empty, Value::Empty]);
        rows.push(rec);
    }
    let models = t.ranking.model_based.iter().chain(std::iter::repeat(&None));
    for (u, m) in t.ranking.unranked.iter().zip(models) {
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
        // Never ranked: no p-value; the Fay–Herriot estimate and its root MSE, where made.
        rec.extend([
            Value::Empty,
            Value::Empty,
            m.map_or(Value::Empty, |m| pct(m.eblup)),
            m.map_or(Value::Empty, |m| pct(m.mse.max(0.0).sqrt())),
        ]);
        rows.push(rec);
    }
    Sheet {
        about: vec![
            ("level", Value::text(&t.level_code)),
            ("measure", Value::text(&t.measure)),
            ("from", Value::Date(t.filter.from)),
            ("to", Value::Date(t.filter.to)),
            (
                "channel",
                Value::text(t.filter.channel.as_deref().unwrap_or("all")),
            ),
            (
                "kind",
                Value::text(t.filter.kind.as_deref().unwrap_or("all")),
            ),
            ("seed", Value::Int(t.ranking.seed as i64)),
        ],
        name: format!(
            "sipas-ranking-{}-{}-{}",
            t.level_code, t.filter.from, t.filter.to
        ),
        header,
        rows,
    }
}

/// The score sheet as CSV or XLSX: each unit's index, interval, n and points, and the rule.
pub fn par_sheet(year: i32, t: &Table, rule: Option<&Rule>) -> Sheet {
    let pct = |v: f64| Value::Percent(v, 2);
    let described = rule.map_or(
        "Chưa đặt quy tắc tính điểm cho năm này.".to_owned(),
        Rule::describe_vi,
    );
    let rows = score::score_sheet(t, rule)
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
    Sheet {
        about: vec![
            ("year", Value::Int(i64::from(year))),
            ("level", Value::text(&t.level_code)),
            ("rule", Value::text(&described)),
        ],
        name: format!("sipas-par-{year}-{}", t.level_code),
        header: header(&[
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
    }
}

/// Decision 766's counts as a sheet: one row per month and desk with receipts or receipt
/// ratings, then one row per month and one for the period (desk empty, the agency chosen). How satisfied the
/// ratings were is left empty below the minimum n, as on the page.
pub fn dossiers_sheet(r: &AgencyResults) -> Sheet {
    use crate::results::dossiers::Tally;
    // A desk's row names the desk's own agency; a month's and the period's, the agency chosen
    // (with the units below it).
    let desk_of = |id: i32| {
        r.desks.iter().find(|d| d.id == id).map_or(
            (Value::text(&r.agency.code), Value::Int(i64::from(id))),
            |d| (Value::text(&d.agency_code), Value::text(&d.code)),
        )
    };
    let row = |(agency, desk): (Value, Value), month: Value, t: &Tally| {
        let count = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
        let shown = |v: u64| if t.shown() { count(v) } else { Value::Empty };
        let pct = |v: Option<f64>| v.map_or(Value::Empty, |v| Value::Percent(v, 2));
        vec![
            agency,
            month,
            desk,
            count(t.issued),
            count(t.rated),
            shown(t.satisfied),
            shown(t.unsatisfied),
            count(t.not_rated()),
            pct(t.response_rate()),
            pct(t.satisfaction_rate()),
            Value::text(if t.shown() { "reported" } else { "suppressed" }),
            Value::Date(r.filter.from),
            Value::Date(r.filter.to),
        ]
    };
    let month_of = |m: chrono::NaiveDate| Value::text(m.format("%Y-%m").to_string());
    let mut rows = Vec::new();
    let chosen = || (Value::text(&r.agency.code), Value::Empty);
    for (month, desk, t) in &r.dossiers.by_month_and_desk {
        rows.push(row(desk_of(*desk), month_of(*month), t));
    }
    for (month, t) in &r.dossiers.months {
        rows.push(row(chosen(), month_of(*month), t));
    }
    rows.push(row(chosen(), Value::text("all"), &r.dossiers.total));
    Sheet {
        about: selection(r),
        name: format!(
            "ho-so-766-{}-{}-{}",
            r.agency.code, r.filter.from, r.filter.to
        ),
        header: header(&[
            "agency",
            "month",
            "desk",
            "dossiers_handled",
            "rated",
            "rated_satisfied",
            "rated_unsatisfied",
            "not_rated",
            "response_rate_percent",
            "dossier_satisfaction_rate_percent",
            "status",
            "from",
            "to",
        ]),
        rows,
    }
}

/// What a dashboard's download was selected by, for the XLSX's "about" sheet.
fn selection(r: &AgencyResults) -> Vec<(&'static str, Value)> {
    vec![
        (
            "agency",
            Value::text(format!("{} – {}", r.agency.code, r.agency.name)),
        ),
        ("from", Value::Date(r.filter.from)),
        ("to", Value::Date(r.filter.to)),
        (
            "channel",
            Value::text(r.filter.channel.as_deref().unwrap_or("all")),
        ),
        (
            "kind",
            Value::text(r.filter.kind.as_deref().unwrap_or("all")),
        ),
        (
            "desk",
            r.desk_id
                .map_or(Value::text("all"), |d| Value::Int(i64::from(d))),
        ),
    ]
}
