//! The agency dashboard: the desk stream's indices for a period, with intervals and n.

use crate::views::StaffFrame;
use analysis::compare::Difference;
use analysis::{IndexEstimate, IndexReport};
use serde::Serialize;

use super::registry::Choice;
use super::{percent, Lang, Shown};
use crate::db::comments::Comment;
use crate::domain::FormSpec;
use crate::domain::{privacy, search, text};
use crate::results::agency::AgencyResults;
use crate::results::periods::{self, verdict, TargetVerdict};

/// An index of a report as staff read it: nothing below the minimum n.
pub fn shown(e: Option<IndexEstimate>, n: u64, lang: Lang) -> Shown {
    match e {
        Some(e) if !e.suppressed => {
            Shown::new(Some((e.estimate, e.ci_low, e.ci_high)), e.n, lang).with_deff(e.deff, lang)
        }
        Some(e) => Shown::new(None, e.n, lang),
        None => Shown::new(None, n, lang),
    }
}

/// A question's name in the reader's language (its factor's name for a factor question).
pub fn question_name(q: &crate::domain::Question, lang: Lang) -> String {
    match lang {
        Lang::Vi => q
            .factor_name_vi
            .clone()
            .unwrap_or_else(|| q.text_vi.clone()),
        Lang::En => q
            .factor_name_en
            .clone()
            .unwrap_or_else(|| q.text_en.clone()),
    }
}

/// A decimal number as the reader writes it (comma in Vietnamese).
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    let s = format!("{x:.places$}");
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
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
pub struct DashboardPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    /// The language switch's link.
    pub switch_href: String,
    pub agency: String,
    pub agencies: Vec<Choice>,
    pub desks: Vec<Choice>,
    /// The named period chosen ("month", …; "" for chosen dates), selected again.
    pub period: &'static str,
    pub from: String,
    pub to: String,
    pub channel: String,
    pub kind: String,
    pub desk: String,
    pub responses: u64,
    pub overall: Shown,
    /// The five factors (their desk questions), then the overall question.
    pub rows: Vec<Row>,
    /// The overall SIPAS, then each factor, against the previous period and a year earlier.
    pub changes: Vec<ChangeRow>,
    pub previous_label: String,
    pub year_ago_label: String,
    pub target: Option<TargetView>,
    pub trend: super::dashboard_charts::TrendChart,
    pub priorities: super::dashboard_charts::Priorities,
    pub comments: Vec<CommentView>,
    /// Managers and administrators may hide a comment.
    pub may_moderate: bool,
    /// The comment search as typed.
    pub words: String,
    /// The search was not run: too many searches; seconds to wait.
    pub search_limited: Option<u64>,
    /// This page's address, to come back to after hiding a comment.
    pub here: String,
    /// The same tables as downloads, and the microdata of the selection.
    pub download_csv: String,
    pub download_xlsx: String,
    pub microdata: Option<String>,
    /// Decision 766's rate from receipts, and each channel's index.
    pub dossiers: super::dossiers::DossierSection,
    pub dossiers_csv: String,
    pub dossiers_xlsx: String,
    /// Ratings held for review in the selection: in all, and why.
    pub held: Option<super::held::HeldView>,
    /// Where the agency stands among its level's units (`None` with a desk chosen, or alone
    /// on its level).
    pub standing: Option<super::standing::StandingView>,
}

/// A comment as staff read it: phone numbers, e-mail addresses and identity numbers masked
/// (`domain::privacy`). A hidden one keeps its text only for those who may show it again; the
/// original as typed is there for administrators only.
#[derive(Serialize)]
pub struct CommentView {
    pub id: String,
    pub when: String,
    pub agency: String,
    pub desk: String,
    /// The masked text in pieces, those that match the search marked; `None` when hidden
    /// from this reader.
    pub text: Option<Vec<Piece>>,
    /// The text as typed, when masking changed it and the reader is an administrator.
    pub original: Option<String>,
    pub hidden: bool,
}

/// A piece of a shown comment, and whether it is what the search found.
#[derive(Serialize, Debug, PartialEq)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

impl CommentView {
    /// `words`: the search made plain (`domain::search::words`), marked where found.
    pub fn of(
        c: &Comment,
        agency: String,
        may_moderate: bool,
        is_admin: bool,
        words: Option<&str>,
    ) -> CommentView {
        let readable = !c.hidden || may_moderate;
        let masked = privacy::mask_personal(&c.text);
        let changed = masked != c.text;
        let shown = text::without_bidi_controls(&masked);
        let pieces = match words {
            Some(w) => search::highlight(&shown, w)
                .into_iter()
                .map(|(text, hit)| Piece {
                    text: text.to_owned(),
                    hit,
                })
                .collect(),
            None => vec![Piece {
                text: shown.clone().into_owned(),
                hit: false,
            }],
        };
        CommentView {
            id: c.response_id.to_string(),
            when: (c.submitted_at + chrono::Duration::hours(7))
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            agency,
            desk: c.desk_name.clone().unwrap_or_default(),
            text: readable.then_some(pieces),
            original: (readable && is_admin && changed)
                .then(|| text::without_bidi_controls(&c.text).into_owned()),
            hidden: c.hidden,
        }
    }
}

/// The rows of a report, in the desk form's order.
pub fn rows(form: &FormSpec, report: Option<&IndexReport>, lang: Lang) -> Vec<Row> {
    form.questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            // Below the minimum n nothing that gives the index away is shown: the mean and
            // the levels' shares (levels 4 and 5 add up to it) go with it.
            let item = report.map(|r| &r.items[i]);
            let reported = item.is_some_and(|t| t.index.is_some_and(|e| !e.suppressed));
            Row {
                code: q.code.clone(),
                name: question_name(q, lang),
                index: shown(
                    item.and_then(|t| t.index),
                    item.map_or(0, |t| t.valid_n),
                    lang,
                ),
                missing: format!("{}%", percent(item.map_or(0.0, |t| t.missing_rate), lang)),
                mean: item
                    .filter(|_| reported)
                    .and_then(|t| t.mean_score)
                    .map(|m| decimal(m, 2, lang)),
                distribution: item
                    .filter(|_| reported)
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

/// A change against an earlier period, in percentage points.
#[derive(Serialize)]
pub struct ChangeView {
    pub diff: String,
    pub interval: String,
    pub significant: bool,
}

impl ChangeView {
    pub fn of(d: &Difference, lang: Lang) -> ChangeView {
        let pp = |x: f64| {
            let s = format!("{:+.2}", 100.0 * x);
            let s = if lang == Lang::Vi {
                s.replace('.', ",")
            } else {
                s
            };
            s.replace('-', "−")
        };
        let (unit, to) = match lang {
            Lang::Vi => ("điểm %", "đến"),
            Lang::En => ("percentage points", "to"),
        };
        ChangeView {
            diff: format!("{} {unit}", pp(d.estimate)),
            interval: format!("{} {to} {}", pp(d.ci_low), pp(d.ci_high)),
            significant: d.significant,
        }
    }
}

#[derive(Serialize)]
pub struct ChangeRow {
    pub name: String,
    pub previous: Option<ChangeView>,
    pub year_ago: Option<ChangeView>,
}

#[derive(Serialize)]
pub struct TargetView {
    pub value: String,
    pub code: &'static str,
    pub label: &'static str,
}

impl TargetView {
    pub fn of(target: f64, overall: Option<IndexEstimate>, lang: Lang) -> TargetView {
        let v = verdict(overall, target);
        let code = match v {
            TargetVerdict::Met => "met",
            TargetVerdict::NotMet => "not_met",
            TargetVerdict::CannotTell => "cannot_tell",
        };
        let label = match (v, lang) {
            (TargetVerdict::Met, Lang::Vi) => "Đạt mục tiêu",
            (TargetVerdict::NotMet, Lang::Vi) => "Chưa đạt mục tiêu",
            (TargetVerdict::CannotTell, Lang::Vi) => "Chưa thể kết luận",
            (TargetVerdict::Met, Lang::En) => "Target met",
            (TargetVerdict::NotMet, Lang::En) => "Target not met",
            (TargetVerdict::CannotTell, Lang::En) => "Cannot tell yet",
        };
        TargetView {
            value: format!("{}%", percent(target, lang)),
            code,
            label,
        }
    }
}

/// The overall SIPAS and each factor against the previous period and the same period a year
/// earlier.
pub fn changes(form: &FormSpec, r: &AgencyResults, lang: Lang) -> analysis::Result<Vec<ChangeRow>> {
    let now = r.report.as_ref().map(|(rep, _)| rep);
    let prev = r.previous.as_ref().map(|(rep, _)| rep);
    let year = r.year_ago.as_ref().map(|(rep, _)| rep);
    let mut names = vec![match lang {
        Lang::Vi => "Chỉ số SIPAS chung".to_owned(),
        Lang::En => "Overall SIPAS".to_owned(),
    }];
    names.extend(
        form.questions
            .iter()
            .filter(|q| q.kind == "factor")
            .map(|q| question_name(q, lang)),
    );
    // Every comparison of the page at once, so that the badges control the false discovery
    // rate across them: row i's change from the previous period at 2i, from a year ago at 2i+1.
    let diffs = periods::agency_changes(now, prev, year, names.len() - 1)?;
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, name)| ChangeRow {
            name,
            previous: diffs[2 * i].map(|c| ChangeView::of(&c.difference, lang)),
            year_ago: diffs[2 * i + 1].map(|c| ChangeView::of(&c.difference, lang)),
        })
        .collect())
}
