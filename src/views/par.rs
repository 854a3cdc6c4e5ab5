//! PAR points' page and sheet: each unit's index, interval, n and points under the year's rule.

use serde::Serialize;

use super::registry::Choice;
use super::{percent, Lang, StaffFrame};
use crate::domain::par::Rule;
use crate::results::par as score;
use crate::results::ranking_table::Table;

#[derive(Serialize)]
pub struct Row {
    pub rank: Option<usize>,
    pub code: String,
    pub name: String,
    pub index: Option<String>,
    pub interval: Option<String>,
    pub n: u64,
    pub points: Option<String>,
}

/// The rule's form: as typed when it was refused, else the year's rule (or the default).
#[derive(Serialize)]
pub struct RuleFields {
    pub max_points: String,
    pub kind: String,
    pub brackets: String,
}

#[derive(Serialize)]
pub struct ParPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub year: i32,
    pub level: String,
    pub levels: Vec<Choice>,
    pub channel: String,
    /// `desk` or `annual`.
    pub source: &'static str,
    /// The annual survey's wave, with source `annual`.
    pub wave: Option<String>,
    pub rule: Option<String>,
    #[serde(flatten)]
    pub fields: RuleFields,
    pub error: Option<String>,
    pub rows: Vec<Row>,
    pub query: String,
    pub from: String,
    pub to: String,
}

/// The score sheet's lines as the page shows them.
pub fn rows(t: &Table, rule: Option<&Rule>) -> Vec<Row> {
    score::score_sheet(t, rule)
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
        .collect()
}

impl RuleFields {
    pub fn of(typed: Option<(&str, &str, &str)>, rule: Option<&Rule>) -> RuleFields {
        let (max_points, kind, brackets) = match (typed, rule) {
            (Some((m, k, b)), _) => (m.to_owned(), k.to_owned(), b.to_owned()),
            (None, Some(Rule::Linear { max_points })) => {
                (number(*max_points), "linear".into(), String::new())
            }
            (
                None,
                Some(Rule::Brackets {
                    max_points,
                    brackets,
                }),
            ) => (
                number(*max_points),
                "brackets".into(),
                brackets
                    .iter()
                    .map(|b| format!("{}:{}", number(100.0 * b.min), number(b.points)))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            (None, None) => ("2".into(), "linear".into(), String::new()),
        };
        RuleFields {
            max_points,
            kind,
            brackets,
        }
    }
}

/// A number as the rule's form takes it back: Vietnamese decimal comma, no trailing zeros.
fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
}
