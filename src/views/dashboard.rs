//! The agency dashboard: the desk stream's indices for a period, with intervals and n.

use crate::views::StaffFrame;
use analysis::compare::Difference;
use analysis::{IndexEstimate, IndexReport};
use serde::Serialize;

use super::chart::{coord, Tick};
use super::registry::Choice;
use super::{percent, Lang, Shown};
use crate::db::comments::Comment;
use crate::domain::FormSpec;
use crate::domain::{privacy, search, text};
use crate::results::agency::AgencyResults;
use crate::results::desk::{Importance, IMPORTANCE_MIN_N};
use crate::results::periods::{self, verdict, Month, TargetVerdict};

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
fn decimal(x: f64, places: usize, lang: Lang) -> String {
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
    pub trend: TrendChart,
    pub priorities: Priorities,
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
            let item = report.map(|r| &r.items[i]);
            Row {
                code: q.code.clone(),
                name: question_name(q, lang),
                index: shown(
                    item.and_then(|t| t.index),
                    item.map_or(0, |t| t.valid_n),
                    lang,
                ),
                missing: format!("{}%", percent(item.map_or(0.0, |t| t.missing_rate), lang)),
                mean: item.and_then(|t| t.mean_score).map(|m| decimal(m, 2, lang)),
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

/// The trend chart: the overall SIPAS per month with its 95% band and the target line.
#[derive(Serialize)]
pub struct TrendChart {
    pub bands: Vec<String>,
    pub lines: Vec<String>,
    pub dots: Vec<TrendDot>,
    pub months: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub target_y: Option<String>,
    pub target_label: Option<String>,
}

#[derive(Serialize)]
pub struct TrendDot {
    pub x: String,
    pub y: String,
    pub label: String,
}

const TW: f64 = 640.0;
const TH: f64 = 260.0;
const TL: f64 = 48.0;
const TR: f64 = 12.0;
const TT: f64 = 12.0;
const TB: f64 = 36.0;

impl TrendChart {
    pub fn of(months: &[Month], target: Option<f64>, lang: Lang) -> TrendChart {
        let shown: Vec<Option<IndexEstimate>> = months
            .iter()
            .map(|m| m.overall.filter(|e| !e.suppressed))
            .collect();
        let low = shown
            .iter()
            .flatten()
            .map(|e| e.ci_low)
            .chain(target)
            .fold(0.9, f64::min);
        let y_min = ((low * 10.0).floor() / 10.0).clamp(0.0, 0.9);
        let n = months.len().max(1) as f64;
        let x = |i: usize| TL + (i as f64 + 0.5) / n * (TW - TL - TR);
        let y = |v: f64| TT + (1.0 - v.clamp(y_min, 1.0)) / (1.0 - y_min) * (TH - TT - TB);
        let mut bands = Vec::new();
        let mut lines = Vec::new();
        let mut run: Vec<(usize, IndexEstimate)> = Vec::new();
        let mut flush = |run: &mut Vec<(usize, IndexEstimate)>| {
            if run.is_empty() {
                return;
            }
            let upper = run
                .iter()
                .map(|(i, e)| format!("{},{}", coord(x(*i)), coord(y(e.ci_high))));
            let lower = run
                .iter()
                .rev()
                .map(|(i, e)| format!("{},{}", coord(x(*i)), coord(y(e.ci_low))));
            bands.push(upper.chain(lower).collect::<Vec<_>>().join(" "));
            lines.push(
                run.iter()
                    .map(|(i, e)| format!("{},{}", coord(x(*i)), coord(y(e.estimate))))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            run.clear();
        };
        for (i, e) in shown.iter().enumerate() {
            match e {
                Some(e) => run.push((i, *e)),
                None => flush(&mut run),
            }
        }
        flush(&mut run);
        let dots = months
            .iter()
            .zip(&shown)
            .enumerate()
            .filter_map(|(i, (m, e))| {
                e.map(|e| TrendDot {
                    x: coord(x(i)),
                    y: coord(y(e.estimate)),
                    label: format!(
                        "{}: {}% ({}–{}%), n = {}",
                        m.first.format("%m/%Y"),
                        percent(e.estimate, lang),
                        percent(e.ci_low, lang),
                        percent(e.ci_high, lang),
                        e.n
                    ),
                })
            })
            .collect();
        let steps = ((1.0 - y_min) / 0.1).round() as usize;
        TrendChart {
            bands,
            lines,
            dots,
            months: months
                .iter()
                .enumerate()
                .map(|(i, m)| Tick {
                    at: coord(x(i)),
                    label: m.first.format("%m/%y").to_string(),
                })
                .collect(),
            y_ticks: (0..=steps)
                .map(|k| {
                    let v = y_min + 0.1 * k as f64;
                    Tick {
                        at: coord(y(v)),
                        label: format!("{:.0}%", 100.0 * v),
                    }
                })
                .collect(),
            target_y: target.map(|t| coord(y(t))),
            target_label: target.map(|t| {
                let word = if lang == Lang::Vi {
                    "Mục tiêu"
                } else {
                    "Target"
                };
                format!("{word} {}%", percent(t, lang))
            }),
        }
    }
}

/// What to improve first: each factor's performance (its index) against its importance (its
/// correlation with the overall question). A factor that matters more than the average factor
/// and scores below the average factor is a priority.
#[derive(Serialize)]
pub struct Priorities {
    pub rows: Vec<PriorityRow>,
    /// The names of the priority factors, most important first.
    pub first: Vec<String>,
    /// One dot per factor with a quadrant, labelled by its row's number so that labels never
    /// print on top of each other (the names are in the table).
    pub dots: Vec<IpaDot>,
    /// The means as chart coordinates (the quadrant lines).
    pub mean_x: Option<String>,
    pub mean_y: Option<String>,
}

#[derive(Serialize)]
pub struct PriorityRow {
    /// The factor's number, as on the chart.
    pub num: usize,
    pub name: String,
    pub performance: Option<String>,
    /// r with its 95% interval and n: "0,45 (0,30–0,58; n = 120)".
    pub importance: Option<String>,
    pub quadrant: &'static str,
}

#[derive(Serialize)]
pub struct IpaDot {
    pub x: String,
    pub y: String,
    pub num: usize,
    pub label: String,
}

const PW: f64 = 360.0;
const PH: f64 = 240.0;
const PM: f64 = 36.0;

impl Priorities {
    pub fn of(
        form: &FormSpec,
        factors: &[Option<IndexEstimate>],
        importance: &[Option<Importance>],
        lang: Lang,
    ) -> Priorities {
        let names: Vec<String> = form
            .questions
            .iter()
            .filter(|q| q.kind == "factor")
            .map(|q| question_name(q, lang))
            .collect();
        let both: Vec<(usize, f64, f64)> = (0..names.len())
            .filter_map(|f| {
                let p = factors
                    .get(f)
                    .copied()
                    .flatten()
                    .filter(|e| !e.suppressed)?;
                // Too few pairs: r is too uncertain to place the factor in a quadrant.
                let i = importance
                    .get(f)
                    .copied()
                    .flatten()
                    .filter(|i| i.n >= IMPORTANCE_MIN_N)?;
                Some((f, p.estimate, i.r))
            })
            .collect();
        let mean = |k: fn(&(usize, f64, f64)) -> f64| {
            (!both.is_empty()).then(|| both.iter().map(k).sum::<f64>() / both.len() as f64)
        };
        let (mp, mi) = (mean(|t| t.1), mean(|t| t.2));
        // The quadrant: 0 improve first, 1 keep it up, 2 improve later, 3 no more resources.
        let quadrant_of = |p: f64, i: f64| match (mp, mi) {
            (Some(mp), Some(mi)) => Some(match (i >= mi, p < mp) {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => 2,
                (false, false) => 3,
            }),
            _ => None,
        };
        let labels = match lang {
            Lang::Vi => [
                "Ưu tiên cải thiện",
                "Tiếp tục duy trì",
                "Cải thiện sau",
                "Duy trì, không cần thêm nguồn lực",
            ],
            Lang::En => [
                "Improve first",
                "Keep it up",
                "Improve later",
                "Keep, no extra resources",
            ],
        };
        let quadrant = |p: f64, i: f64| quadrant_of(p, i).map_or("—", |q| labels[q]);
        let rows = names
            .iter()
            .enumerate()
            .map(|(f, name)| {
                let t = both.iter().find(|t| t.0 == f);
                let performance = factors.get(f).copied().flatten().filter(|e| !e.suppressed);
                let imp = importance.get(f).copied().flatten();
                PriorityRow {
                    num: f + 1,
                    name: name.clone(),
                    performance: performance.map(|e| format!("{}%", percent(e.estimate, lang))),
                    importance: imp.map(|i| {
                        format!(
                            "{} ({}–{}; n = {})",
                            decimal(i.r, 2, lang),
                            decimal(i.ci_low, 2, lang),
                            decimal(i.ci_high, 2, lang),
                            i.n
                        )
                    }),
                    quadrant: match (t, lang) {
                        (Some(t), _) => quadrant(t.1, t.2),
                        (None, Lang::Vi) if imp.is_some() && performance.is_some() => {
                            "Chưa xếp nhóm: cần ít nhất 100 lượt trả lời cả hai câu"
                        }
                        (None, Lang::En) if imp.is_some() && performance.is_some() => {
                            "Not grouped: needs at least 100 ratings answering both"
                        }
                        (None, Lang::Vi) => "Chưa đủ số phản hồi",
                        (None, Lang::En) => "Not enough responses",
                    },
                }
            })
            .collect();
        let mut first: Vec<&(usize, f64, f64)> = both
            .iter()
            .filter(|t| quadrant_of(t.1, t.2) == Some(0))
            .collect();
        first.sort_by(|a, b| b.2.total_cmp(&a.2));
        // The chart spans the factors' own range, so that differences are visible.
        let span = |vals: Vec<f64>| {
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = ((hi - lo) * 0.15).max(0.02);
            (lo - pad, hi + pad)
        };
        let (x0, x1) = span(both.iter().map(|t| t.1).collect());
        let (y0, y1) = span(both.iter().map(|t| t.2).collect());
        let x = |v: f64| PM + (v - x0) / (x1 - x0) * (PW - 2.0 * PM);
        let y = |v: f64| PH - PM - (v - y0) / (y1 - y0) * (PH - 2.0 * PM);
        Priorities {
            rows,
            first: first.iter().map(|t| names[t.0].clone()).collect(),
            dots: both
                .iter()
                .map(|t| IpaDot {
                    x: coord(x(t.1)),
                    y: coord(y(t.2)),
                    num: t.0 + 1,
                    label: names[t.0].clone(),
                })
                .collect(),
            mean_x: mp.filter(|_| both.len() > 1).map(|m| coord(x(m))),
            mean_y: mi.filter(|_| both.len() > 1).map(|m| coord(y(m))),
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
