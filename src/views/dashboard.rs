//! The agency dashboard: the desk stream's indices for a period, with intervals and n.

use analysis::{IndexEstimate, IndexReport};
use serde::Serialize;

use super::registry::Choice;
use super::{percent, Chrome, Lang};
use crate::domain::FormSpec;

/// An index as staff read it: "87,53%" with "83,10–91,02%", or nothing below the minimum n.
#[derive(Serialize)]
pub struct Shown {
    pub value: Option<String>,
    pub interval: Option<String>,
    pub n: u64,
}

impl Shown {
    pub fn of(e: Option<IndexEstimate>, n: u64) -> Shown {
        match e {
            Some(e) if !e.suppressed => Shown {
                value: Some(format!("{}%", percent(e.estimate, Lang::Vi))),
                interval: Some(format!(
                    "{}–{}%",
                    percent(e.ci_low, Lang::Vi),
                    percent(e.ci_high, Lang::Vi)
                )),
                n: e.n,
            },
            Some(e) => Shown {
                value: None,
                interval: None,
                n: e.n,
            },
            None => Shown {
                value: None,
                interval: None,
                n,
            },
        }
    }
}

#[derive(Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub index: Shown,
    pub missing: String,
    pub mean: Option<String>,
    /// Share of valid answers at levels 1–5, as percentages for the stacked bar.
    pub distribution: Vec<String>,
}

#[derive(Serialize)]
pub struct DashboardPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub username: &'a str,
    pub csrf: &'a str,
    pub is_admin: bool,
    pub agency: String,
    pub agencies: Vec<Choice>,
    pub desks: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub channel: String,
    pub kind: String,
    pub desk: String,
    pub responses: u64,
    pub overall: Shown,
    /// The five factors (their desk questions), then the overall question.
    pub rows: Vec<Row>,
}

/// The rows of a report, in the desk form's order.
pub fn rows(form: &FormSpec, report: Option<&IndexReport>) -> Vec<Row> {
    form.questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let item = report.map(|r| &r.items[i]);
            Row {
                code: q.code.clone(),
                name: q
                    .factor_name_vi
                    .clone()
                    .unwrap_or_else(|| q.text_vi.clone()),
                index: Shown::of(item.and_then(|t| t.index), item.map_or(0, |t| t.valid_n)),
                missing: format!(
                    "{}%",
                    percent(item.map_or(0.0, |t| t.missing_rate), Lang::Vi)
                ),
                mean: item
                    .and_then(|t| t.mean_score)
                    .map(|m| format!("{m:.2}").replace('.', ",")),
                distribution: item
                    .map(|t| {
                        t.distribution
                            .iter()
                            .map(|d| format!("{:.1}", 100.0 * d))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}
