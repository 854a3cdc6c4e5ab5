//! The dashboard's two charts: the trend of the overall SIPAS with its band and the target,
//! and the importance–performance chart of the five factors. Coordinates are computed here
//! and drawn by `dashboard.html`; see `chart` for why each is drawn at a phone's and a wide
//! screen's size.

use analysis::IndexEstimate;
use serde::Serialize;

use super::chart::{
    coord, inside, spread, text_width, thin, Frame, Mark, Tick, FONT, PHONE_W, WIDE_W,
};
use super::dashboard::{decimal, question_name};
use super::{percent, Lang};
use crate::domain::FormSpec;
use crate::results::desk::{Importance, IMPORTANCE_MIN_N};
use crate::results::periods::Month;

/// The trend chart: the overall SIPAS per month with its 95% band and the target line, drawn
/// for a phone and for a wide screen, and the same figures as a table.
#[derive(Serialize)]
pub struct TrendChart {
    pub sizes: Vec<TrendDrawing>,
    pub target_label: Option<String>,
    /// One row per month with an index: what the chart shows, for screen readers and for
    /// reading exact values.
    pub rows: Vec<TrendRow>,
}

#[derive(Serialize)]
pub struct TrendDrawing {
    pub frame: Frame,
    pub bands: Vec<String>,
    pub lines: Vec<String>,
    pub dots: Vec<Mark>,
    pub months: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub target_y: Option<String>,
    /// The legend's dashed sample, drawn above the plot at its right end.
    pub key_x0: String,
    pub key_x1: String,
}

#[derive(Serialize)]
pub struct TrendRow {
    pub month: String,
    pub value: String,
    pub interval: String,
    pub n: u64,
}

const TREND_PHONE: Frame = Frame {
    class: "phone",
    w: PHONE_W,
    h: 226.0,
    x0: 40.0,
    x1: 312.0,
    y0: 28.0,
    y1: 196.0,
    font: FONT,
};
const TREND_WIDE: Frame = Frame {
    class: "wide",
    w: WIDE_W,
    h: 286.0,
    x0: 48.0,
    x1: 628.0,
    y0: 28.0,
    y1: 256.0,
    font: FONT,
};

impl TrendChart {
    pub fn of(months: &[Month], target: Option<f64>, lang: Lang) -> TrendChart {
        let shown: Vec<Option<IndexEstimate>> = months
            .iter()
            .map(|m| m.overall.filter(|e| !e.suppressed))
            .collect();
        // The axis spans the band and the target, to the tenth around them, so that neither
        // the line nor the target sits on the frame.
        let low = shown
            .iter()
            .flatten()
            .map(|e| e.ci_low)
            .chain(target)
            .fold(0.9, f64::min);
        let y_min = ((low * 10.0 - 1e-9).floor() / 10.0).clamp(0.0, 0.9);
        let high = shown
            .iter()
            .flatten()
            .map(|e| e.ci_high)
            .chain(target)
            .fold(y_min + 0.1, f64::max);
        let y_max = ((high * 10.0 - 1e-9).ceil() / 10.0).clamp(y_min + 0.1, 1.0);
        let target_label = target.map(|t| {
            let word = match lang {
                Lang::Vi => "Mục tiêu",
                Lang::En => "Target",
            };
            format!("{word} {}%", percent(t, lang))
        });
        let sizes = [TREND_PHONE, TREND_WIDE]
            .iter()
            .map(|f| {
                drawing(
                    f,
                    months,
                    &shown,
                    (y_min, y_max),
                    target,
                    &target_label,
                    lang,
                )
            })
            .collect();
        let rows = months
            .iter()
            .zip(&shown)
            .filter_map(|(m, e)| {
                e.map(|e| TrendRow {
                    month: m.first.format("%m/%Y").to_string(),
                    value: format!("{}%", percent(e.estimate, lang)),
                    interval: format!("{}–{}%", percent(e.ci_low, lang), percent(e.ci_high, lang)),
                    n: e.n,
                })
            })
            .collect();
        TrendChart {
            sizes,
            target_label,
            rows,
        }
    }
}

fn drawing(
    f: &Frame,
    months: &[Month],
    shown: &[Option<IndexEstimate>],
    (y_min, y_max): (f64, f64),
    target: Option<f64>,
    target_label: &Option<String>,
    lang: Lang,
) -> TrendDrawing {
    let n = months.len().max(1) as f64;
    let x = |i: usize| f.x0 + (i as f64 + 0.5) / n * (f.x1 - f.x0);
    let y = |v: f64| f.y0 + (y_max - v.clamp(y_min, y_max)) / (y_max - y_min) * (f.y1 - f.y0);
    let mut bands = Vec::new();
    let mut lines = Vec::new();
    let mut run: Vec<(usize, IndexEstimate)> = Vec::new();
    let mut flush = |run: &mut Vec<(usize, IndexEstimate)>| {
        if run.is_empty() {
            return;
        }
        let point = |i: usize, v: f64| format!("{},{}", coord(x(i)), coord(y(v)));
        let upper = run.iter().map(|(i, e)| point(*i, e.ci_high));
        let lower = run.iter().rev().map(|(i, e)| point(*i, e.ci_low));
        bands.push(upper.chain(lower).collect::<Vec<_>>().join(" "));
        lines.push(
            run.iter()
                .map(|(i, e)| point(*i, e.estimate))
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
        .zip(shown)
        .enumerate()
        .filter_map(|(i, (m, e))| {
            e.map(|e| {
                let label = format!(
                    "{}: {}% ({}–{}%), n = {}",
                    m.first.format("%m/%Y"),
                    percent(e.estimate, lang),
                    percent(e.ci_low, lang),
                    percent(e.ci_high, lang),
                    e.n
                );
                Mark::at(
                    x(i),
                    y(e.estimate),
                    f,
                    format!("{}%", percent(e.estimate, lang)),
                    label,
                )
            })
        })
        .collect();
    let month_ticks = months
        .iter()
        .enumerate()
        .map(|(i, m)| (x(i), m.first.format("%m/%y").to_string()))
        .collect();
    let step = if y_max - y_min > 0.3 { 0.1 } else { 0.05 };
    let steps = ((y_max - y_min) / step).round() as usize;
    let y_ticks = (0..=steps)
        .map(|k| {
            let v = y_min + step * k as f64;
            (y(v), format!("{:.0}%", 100.0 * v))
        })
        .collect();
    let label_w = target_label.as_ref().map_or(0.0, |l| text_width(l, f.font));
    TrendDrawing {
        frame: *f,
        bands,
        lines,
        dots,
        months: inside(
            thin(month_ticks, |l| text_width(l, f.font), 6.0),
            f.w,
            f.font,
        ),
        y_ticks: thin(y_ticks, |_| f.font, 4.0),
        target_y: target.map(|t| coord(y(t))),
        key_x0: coord(f.x1 - label_w - 30.0),
        key_x1: coord(f.x1 - label_w - 6.0),
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
    /// One disc per factor with a quadrant, labelled by its row's number (the names are in the
    /// table); discs that would overlap are moved apart and joined to their true place.
    pub dots: Vec<IpaDot>,
    pub frame: Frame,
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
    /// Where the numbered disc is drawn (moved off its neighbours if need be).
    pub mark: Mark,
    pub num: usize,
    /// The factor's true place, marked and joined to its disc when the disc was moved.
    pub tx: String,
    pub ty: String,
    pub moved: bool,
}

/// One size: 320 units wide, shown in a column at least 22rem wide (the CSS), so that its 12-unit
/// text stays above 11 px.
const IPA: Frame = Frame {
    class: "one",
    w: PHONE_W,
    h: 262.0,
    x0: 40.0,
    x1: 308.0,
    y0: 30.0,
    y1: 222.0,
    font: FONT,
};
const DISC: f64 = 10.0;

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
        let f = &IPA;
        let x = |v: f64| f.x0 + (v - x0) / (x1 - x0) * (f.x1 - f.x0);
        let y = |v: f64| f.y1 - (v - y0) / (y1 - y0) * (f.y1 - f.y0);
        let truth: Vec<(f64, f64)> = both.iter().map(|t| (x(t.1), y(t.2))).collect();
        let mut drawn = truth.clone();
        spread(
            &mut drawn,
            DISC,
            (f.x0 + DISC, f.y0 + DISC),
            (f.x1 - DISC, f.y1 - DISC),
        );
        let dots = both
            .iter()
            .zip(truth.iter().zip(&drawn))
            .map(|(t, (at, d))| {
                let value = format!(
                    "{}: {}%; r = {}",
                    t.0 + 1,
                    percent(t.1, lang),
                    decimal(t.2, 2, lang)
                );
                IpaDot {
                    mark: Mark::at(d.0, d.1, f, value, format!("{}. {}", t.0 + 1, names[t.0])),
                    num: t.0 + 1,
                    tx: coord(at.0),
                    ty: coord(at.1),
                    moved: (at.0 - d.0).abs() + (at.1 - d.1).abs() > 1.0,
                }
            })
            .collect();
        Priorities {
            rows,
            first: first.iter().map(|t| names[t.0].clone()).collect(),
            dots,
            frame: *f,
            mean_x: mp.filter(|_| both.len() > 1).map(|m| coord(x(m))),
            mean_y: mi.filter(|_| both.len() > 1).map(|m| coord(y(m))),
        }
    }
}
