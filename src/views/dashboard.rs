//! The agency dashboard: the desk stream's indices for a period, with intervals and n.

use analysis::{IndexEstimate, IndexReport};
use serde::Serialize;

use super::registry::Choice;
use super::{percent, Chrome, Lang, Shown};
use crate::domain::FormSpec;

/// An index of a report as staff read it (in Vietnamese): nothing below the minimum n.
pub fn shown(e: Option<IndexEstimate>, n: u64) -> Shown {
    match e {
        Some(e) if !e.suppressed => {
            Shown::new(Some((e.estimate, e.ci_low, e.ci_high)), e.n, Lang::Vi)
        }
        Some(e) => Shown::new(None, e.n, Lang::Vi),
        None => Shown::new(None, n, Lang::Vi),
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
                index: shown(item.and_then(|t| t.index), item.map_or(0, |t| t.valid_n)),
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
