//! The ranking page's charts: the funnel plot (every unit's index against its n, with the
//! province line and control limits) and the small multiples of the five factors. Computed
//! here, drawn by `ranking.html`; see `chart` for the two sizes.

use analysis::IndexEstimate;
use serde::Serialize;

use super::chart::{
    coord, fit, inside, log_ticks, text_width, thin, Frame, Mark, Tick, FONT, PHONE_W, WIDE_W,
};
use super::ranking::tier_code;
use super::{percent, Lang};
use crate::results::ranking::{Ranking, Unit};
use analysis::compare::Tier;

/// The funnel plot, drawn for a phone and for a wide screen.
#[derive(Serialize)]
pub struct FunnelChart {
    pub sizes: Vec<FunnelDrawing>,
}

#[derive(Serialize)]
pub struct FunnelDrawing {
    pub frame: Frame,
    pub centre_y: String,
    pub limits95: [String; 2],
    pub limits998: [String; 2],
    pub dots: Vec<Mark>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    /// The reader's own unit, named beside its dot.
    pub own: Option<OwnLabel>,
}

#[derive(Serialize)]
pub struct OwnLabel {
    pub x: String,
    pub y: String,
    pub anchor: &'static str,
    pub name: String,
}

const FUNNEL_PHONE: Frame = Frame {
    class: "phone",
    w: PHONE_W,
    h: 300.0,
    x0: 44.0,
    x1: 296.0,
    y0: 10.0,
    y1: 252.0,
    font: FONT,
};
const FUNNEL_WIDE: Frame = Frame {
    class: "wide",
    w: WIDE_W,
    h: 372.0,
    x0: 56.0,
    x1: 624.0,
    y0: 12.0,
    y1: 324.0,
    font: FONT,
};

/// A count as the reader writes it: "2.000" in Vietnamese (`survey::grouped`), "2,000" in
/// English.
fn count(n: f64, lang: Lang) -> String {
    let dotted = super::survey::grouped(n.round() as i64);
    match lang {
        Lang::Vi => dotted,
        Lang::En => dotted.replace('.', ","),
    }
}

impl FunnelChart {
    /// `None` without a province index or any unit with an index to place. `own`: the codes
    /// of the reader's agency and those below it.
    pub fn of(r: &Ranking, own: &[String], lang: Lang) -> Option<FunnelChart> {
        let province = r.province?;
        let funnel = r.funnel?;
        let placed: Vec<(&Unit, IndexEstimate, Option<Tier>)> = r
            .ranked
            .iter()
            .filter_map(|u| u.unit.index.map(|e| (&u.unit, e, Some(u.tier))))
            .chain(
                r.unranked
                    .iter()
                    .filter_map(|u| u.index.map(|e| (u, e, None))),
            )
            .filter(|(_, e, _)| e.n > 0)
            .collect();
        if placed.is_empty() {
            return None;
        }
        // The x axis (log scale) runs between round counts that enclose every unit's n, at
        // least a decade wide so that the funnel shows its shape even when every unit has a
        // similar n; its last label is at or past the largest n.
        let n_hi = placed.iter().map(|(_, e, _)| e.n).max().unwrap_or(1) as f64;
        let n_lo = (placed.iter().map(|(_, e, _)| e.n).min().unwrap_or(1) as f64)
            .min(n_hi / 10.0)
            .max(1.0);
        let ticks = log_ticks(n_lo, n_hi * 1.05);
        let (n_min, n_max) = (ticks[0], ticks[ticks.len() - 1]);
        let lo_at_min = funnel.limits(n_min, 3.09).0;
        let y_min = placed
            .iter()
            .map(|(_, e, _)| e.estimate)
            .fold(lo_at_min.max(province.estimate - 0.5), f64::min);
        let y_min = ((y_min * 20.0).floor() / 20.0).max(0.0);
        let sizes = [FUNNEL_PHONE, FUNNEL_WIDE]
            .iter()
            .map(|f| {
                let (lx0, lx1) = (n_min.ln(), n_max.ln());
                let x = |n: f64| f.x0 + (n.ln() - lx0) / (lx1 - lx0) * (f.x1 - f.x0);
                let y = |v: f64| f.y0 + (1.0 - v.clamp(y_min, 1.0)) / (1.0 - y_min) * (f.y1 - f.y0);
                let line = |z: f64, upper: bool| {
                    (0..=60)
                        .map(|step| {
                            let n = (lx0 + (lx1 - lx0) * step as f64 / 60.0).exp();
                            let (lo, hi) = funnel.limits(n, z);
                            format!("{},{}", coord(x(n)), coord(y(if upper { hi } else { lo })))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let dots = placed
                    .iter()
                    .map(|(u, e, tier)| Mark {
                        class: tier.map_or("unranked", tier_code),
                        ..Mark::at(
                            x(e.n as f64),
                            y(e.estimate),
                            f,
                            format!(
                                "{}: {}%",
                                fit(&u.name, 150.0, f.font),
                                percent(e.estimate, lang)
                            ),
                            format!(
                                "{} – {}: {}%, n = {}",
                                u.code,
                                u.name,
                                percent(e.estimate, lang),
                                count(e.n as f64, lang)
                            ),
                        )
                    })
                    .collect();
                let own = placed
                    .iter()
                    .find(|(u, _, _)| own.contains(&u.code))
                    .map(|(u, e, _)| {
                        let (px, py) = (x(e.n as f64), y(e.estimate));
                        let name = fit(&u.name, (f.x1 - f.x0) / 2.0, f.font);
                        let right = px + 10.0 + text_width(&name, f.font) <= f.x1;
                        OwnLabel {
                            x: coord(if right { px + 10.0 } else { px - 10.0 }),
                            y: coord(py + 4.0),
                            anchor: if right { "start" } else { "end" },
                            name,
                        }
                    });
                let x_ticks = ticks.iter().map(|&t| (x(t), count(t, lang))).collect();
                let steps = ((1.0 - y_min) / 0.05).round() as usize;
                let y_ticks = (0..=steps)
                    .map(|i| {
                        let v = y_min + 0.05 * i as f64;
                        (y(v), format!("{:.0}%", 100.0 * v))
                    })
                    .collect();
                FunnelDrawing {
                    frame: *f,
                    centre_y: coord(y(funnel.centre)),
                    limits95: [line(1.96, false), line(1.96, true)],
                    limits998: [line(3.09, false), line(3.09, true)],
                    dots,
                    x_ticks: inside(thin(x_ticks, |l| text_width(l, f.font), 6.0), f.w, f.font),
                    y_ticks: thin(y_ticks, |_| f.font, 4.0),
                    own,
                }
            })
            .collect();
        Some(FunnelChart { sizes })
    }
}

/// One factor's panel of the small multiples: every ranked unit's factor index and interval,
/// each row named.
#[derive(Serialize)]
pub struct Panel {
    pub title: String,
    /// The left end of the common scale, e.g. "50%".
    pub scale_from: String,
    pub frame: Frame,
    pub province_x: Option<String>,
    pub bars: Vec<Bar>,
    /// The common scale's labels under the rows: its start, middle and 100%.
    pub scale: Vec<Tick>,
}

#[derive(Serialize)]
pub struct Bar {
    pub y: String,
    /// The row's name, cut to the label column (the full name is in `label`).
    pub name: String,
    pub own: bool,
    pub x_low: String,
    pub x_high: String,
    pub mark: Mark,
}

/// Above this many units the small multiples would be unreadable; the page says so and points
/// to the table and the CSV.
pub const MULTIPLES_MAX_UNITS: usize = 60;
const PANEL_W: f64 = 300.0;
/// The names' column; the scale runs from here to the panel's right edge.
const NAMES_W: f64 = 118.0;
const ROW_H: f64 = 18.0;

/// The small multiples: one panel per factor, units in the ranking's order and named on every
/// row, a common scale so that panels compare at a glance, the reader's unit marked.
pub fn multiples(r: &Ranking, factor_names: &[String], own: &[String], lang: Lang) -> Vec<Panel> {
    if r.ranked.len() > MULTIPLES_MAX_UNITS {
        return Vec::new();
    }
    // One scale for every panel, from the lowest interval end (to the 10% below) to 100%.
    let lowest = r
        .ranked
        .iter()
        .flat_map(|u| u.unit.factors.iter().flatten())
        .filter(|e| !e.suppressed)
        .map(|e| e.ci_low)
        .fold(1.0, f64::min);
    let floor = ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    // Words every name starts with ("UBND", "UBND Xã") say nothing in a column this narrow.
    let names: Vec<&str> = r.ranked.iter().map(|u| u.unit.name.as_str()).collect();
    let shared = shared_words(&names);
    let frame = Frame {
        class: "one",
        w: PANEL_W,
        // The rows, then a line for the scale's labels.
        h: ROW_H * r.ranked.len() as f64 + 8.0 + 18.0,
        x0: NAMES_W + 6.0,
        x1: PANEL_W - 8.0,
        y0: 4.0,
        y1: ROW_H * r.ranked.len() as f64 + 4.0,
        font: 11.5,
    };
    let x =
        |v: f64| frame.x0 + (v.clamp(floor, 1.0) - floor) / (1.0 - floor) * (frame.x1 - frame.x0);
    let scale = inside(
        [floor, (floor + 1.0) / 2.0, 1.0]
            .iter()
            .map(|&v| Tick {
                at: coord(x(v)),
                label: format!("{:.0}%", 100.0 * v),
                anchor: "middle",
            })
            .collect(),
        frame.w,
        frame.font,
    );
    factor_names
        .iter()
        .enumerate()
        .map(|(f, title)| Panel {
            title: title.clone(),
            scale_from: format!("{:.0}%", 100.0 * floor),
            frame,
            scale: scale.clone(),
            province_x: r
                .province_factors
                .get(f)
                .copied()
                .flatten()
                .filter(|e| !e.suppressed)
                .map(|e| coord(x(e.estimate))),
            bars: r
                .ranked
                .iter()
                .enumerate()
                .filter_map(|(i, u)| {
                    let e = u.unit.factors.get(f).copied().flatten()?;
                    let row_y = frame.y0 + ROW_H * i as f64 + ROW_H / 2.0;
                    (!e.suppressed).then(|| Bar {
                        y: coord(row_y),
                        name: fit(u.unit.name[shared..].trim_start(), NAMES_W, frame.font),
                        own: own.contains(&u.unit.code),
                        x_low: coord(x(e.ci_low)),
                        x_high: coord(x(e.ci_high)),
                        mark: Mark::at(
                            x(e.estimate),
                            row_y,
                            &frame,
                            format!("{}%", percent(e.estimate, lang)),
                            format!(
                                "{}: {}% ({}–{}%), n = {}",
                                u.unit.name,
                                percent(e.estimate, lang),
                                percent(e.ci_low, lang),
                                percent(e.ci_high, lang),
                                e.n
                            ),
                        ),
                    })
                })
                .collect(),
        })
        .collect()
}

/// The length in bytes of the whole words that every name starts with, leaving each name at
/// least one word of its own.
fn shared_words(names: &[&str]) -> usize {
    let Some(first) = names.first() else {
        return 0;
    };
    let mut shared = 0;
    for (at, _) in first.match_indices(' ') {
        let prefix = &first[..=at];
        let all = names
            .iter()
            .all(|n| n.starts_with(prefix) && !n[prefix.len()..].trim().is_empty());
        if !all {
            break;
        }
        shared = at + 1;
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::shared_words;

    #[test]
    fn only_whole_words_shared_by_every_name_are_dropped() {
        let communes = ["UBND Xã Tri Tôn", "UBND Phường Vĩnh Tế", "UBND Xã Óc Eo"];
        assert_eq!(&communes[1][shared_words(&communes)..], "Phường Vĩnh Tế");
        assert_eq!(shared_words(&["Sở Y tế", "Sở Tư pháp"]), "Sở ".len());
        assert_eq!(shared_words(&["Sở Y tế", "Công an tỉnh"]), 0);
        assert_eq!(shared_words(&["UBND Xã", "UBND Xã Tri Tôn"]), "UBND ".len());
        assert_eq!(shared_words(&["Sở"]), 0);
        assert_eq!(shared_words(&[]), 0);
    }
}
