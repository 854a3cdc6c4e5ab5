//! What the server-drawn SVG charts share: coordinates as short strings, axis ticks thinned so
//! that their labels never touch, the size of each drawing, focusable marks that show their value
//! on focus or tap, and the nudging that keeps labels apart. The templates draw the charts, so
//! every label passes through tera's escaping and no JavaScript is needed.
//!
//! A chart is drawn at a size where its text is at least 11 CSS pixels: a wide chart scaled down
//! to a phone would print 5-pixel labels, so the wide charts are drawn twice (`PHONE`, `WIDE`)
//! and the page's CSS shows the one that fits.

use serde::Serialize;

/// An axis tick: its position in SVG user units and its label.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Tick {
    pub at: String,
    pub label: String,
    /// "middle", or "start"/"end" where a centred label would run past the drawing.
    pub anchor: &'static str,
}

/// A coordinate in SVG user units, to a tenth.
pub fn coord(v: f64) -> String {
    format!("{v:.1}")
}

/// Where a chart is drawn: the drawing's size, its plot area and its text size, in SVG user
/// units. `class` names the screens it is shown on (the CSS hides the other).
#[derive(Serialize, Clone, Copy, Debug)]
pub struct Frame {
    pub class: &'static str,
    pub w: f64,
    pub h: f64,
    /// The plot area: left, right, top, bottom.
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub font: f64,
}

impl Frame {
    /// The plot's middle, for axis titles.
    pub fn mid_x(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
}

/// A phone shows a drawing 320 units wide at about 310 px (360 px screen): 12-unit text
/// stays above 11 px. Shown up to 700 px wide screens.
pub const PHONE_W: f64 = 320.0;
/// Wider screens show a drawing 640 units wide at 650 px or more.
pub const WIDE_W: f64 = 640.0;
pub const FONT: f64 = 12.0;

/// The width of `text` at `font` units, from Arial's advance widths (a safe overestimate for
/// the system sans-serifs): labels are spaced by it, so an estimate on the wide side only
/// leaves more room.
pub fn text_width(text: &str, font: f64) -> f64 {
    let em: f64 =
        text.chars()
            .map(|c| match c {
                '\u{300}'..='\u{36f}' => 0.0,
                '0'..='9' => 0.556,
                '%' => 0.889,
                '.' | ',' | ':' | ';' | '/' | ' ' | 'i' | 'l' | 'j' | 't' | 'f' | 'I' | '('
                | ')' => 0.3,
                'm' | 'w' | 'M' | 'W' => 0.86,
                '–' | '—' => 0.6,
                c if c.is_uppercase() => 0.7,
                _ => 0.57,
            })
            .sum();
    em * font * 1.08
}

/// `text` cut with "…" to fit `width` units at `font`.
pub fn fit(text: &str, width: f64, font: f64) -> String {
    if text_width(text, font) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = format!("{out}{c}…");
        if text_width(&next, font) > width {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Every k-th tick, with the smallest k for which neighbouring labels keep `gap` units apart
/// along the axis (`along`: the label's extent along the axis). The last tick is always kept:
/// it is the newest month or the end of the axis.
pub fn thin(ticks: Vec<(f64, String)>, along: impl Fn(&str) -> f64, gap: f64) -> Vec<Tick> {
    let fits = |k: usize| {
        let kept: Vec<&(f64, String)> = ticks.iter().rev().step_by(k).collect();
        kept.windows(2).all(|w| {
            let room = (w[0].0 - w[1].0).abs();
            room >= (along(&w[0].1) + along(&w[1].1)) / 2.0 + gap
        })
    };
    let k = (1..=ticks.len().max(1))
        .find(|&k| fits(k))
        .unwrap_or(ticks.len().max(1));
    let mut kept: Vec<Tick> = ticks
        .iter()
        .rev()
        .step_by(k)
        .map(|(at, label)| Tick {
            at: coord(*at),
            label: label.clone(),
            anchor: "middle",
        })
        .collect();
    kept.reverse();
    kept
}

/// Labels of a horizontal axis that stay inside a drawing `w` units wide: a label that would
/// run past an edge is aligned to its tick from the inside instead of centred on it.
pub fn inside(mut ticks: Vec<Tick>, w: f64, font: f64) -> Vec<Tick> {
    for t in &mut ticks {
        let at: f64 = t.at.parse().unwrap_or(0.0);
        let half = text_width(&t.label, font) / 2.0;
        if at + half > w - 1.0 {
            t.anchor = "end";
        } else if at - half < 1.0 {
            t.anchor = "start";
        }
    }
    ticks
}

/// A data mark that a reader can focus (Tab, or a tap on a phone) to see its value printed
/// next to it; `label` is the full sentence for screen readers and the hover title.
#[derive(Serialize, Debug)]
pub struct Mark {
    pub x: String,
    pub y: String,
    pub class: &'static str,
    pub label: String,
    /// The short value printed on focus, e.g. "78,50%".
    pub value: String,
    pub vx: String,
    pub vy: String,
    pub anchor: &'static str,
}

impl Mark {
    /// A mark at (x, y) whose value prints above it, or below it near the top, and never past
    /// the frame's sides.
    pub fn at(x: f64, y: f64, f: &Frame, value: String, label: String) -> Mark {
        let half = text_width(&value, f.font) / 2.0;
        let (vx, anchor) = if x - half < 2.0 {
            (x.max(2.0), "start")
        } else if x + half > f.w - 2.0 {
            (x.min(f.w - 2.0), "end")
        } else {
            (x, "middle")
        };
        let vy = if y - 10.0 - f.font < 0.0 {
            y + 10.0 + f.font
        } else {
            y - 10.0
        };
        Mark {
            x: coord(x),
            y: coord(y),
            class: "",
            label,
            value,
            vx: coord(vx),
            vy: coord(vy),
            anchor,
        }
    }
}

/// Moves discs of radius `r` apart until none overlap (or 200 rounds pass), keeping each inside
/// [lo, hi]; the caller draws a leader from a moved disc to its true place. Deterministic: ties
/// separate vertically, the earlier disc upwards.
pub fn spread(points: &mut [(f64, f64)], r: f64, lo: (f64, f64), hi: (f64, f64)) {
    let min = 2.0 * r + 1.0;
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..points.len() {
            for j in i + 1..points.len() {
                let (dx, dy) = (points[j].0 - points[i].0, points[j].1 - points[i].1);
                let d = (dx * dx + dy * dy).sqrt();
                if d >= min {
                    continue;
                }
                let (ux, uy) = if d < 1e-6 {
                    (0.0, 1.0)
                } else {
                    (dx / d, dy / d)
                };
                let push = (min - d) / 2.0 + 0.01;
                points[i].0 -= ux * push;
                points[i].1 -= uy * push;
                points[j].0 += ux * push;
                points[j].1 += uy * push;
                moved = true;
            }
        }
        for p in points.iter_mut() {
            p.0 = p.0.clamp(lo.0, hi.0);
            p.1 = p.1.clamp(lo.1, hi.1);
        }
        if !moved {
            break;
        }
    }
}

/// Nice axis ends on the 1–2–5 series: the largest at or below `lo` and the smallest at or
/// above `hi`, with every step between, for a logarithmic count axis.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut all = Vec::new();
    let mut decade = 1.0;
    while decade <= hi * 10.0 {
        for m in [1.0, 2.0, 5.0] {
            all.push(decade * m);
        }
        decade *= 10.0;
    }
    let start = all.iter().rposition(|&t| t <= lo.max(1.0)).unwrap_or(0);
    let end = all.iter().position(|&t| t >= hi).unwrap_or(all.len() - 1);
    all[start..=end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_labels_apart_and_the_last_one() {
        let ticks: Vec<(f64, String)> = (0..24)
            .map(|i| (10.0 * i as f64, format!("{i:02}/25")))
            .collect();
        let kept = thin(ticks, |s| text_width(s, 12.0), 4.0);
        assert_eq!(kept.last().unwrap().label, "23/25");
        let at: Vec<f64> = kept.iter().map(|t| t.at.parse().unwrap()).collect();
        let w = text_width("00/25", 12.0);
        assert!(at.windows(2).all(|p| p[1] - p[0] >= w + 4.0), "{kept:?}");
        assert!(kept.len() > 2);
    }

    #[test]
    fn spread_discs_no_longer_overlap_and_stay_inside() {
        let mut p = vec![(50.0, 50.0), (50.0, 50.0), (52.0, 49.0), (200.0, 10.0)];
        spread(&mut p, 10.0, (0.0, 0.0), (300.0, 200.0));
        for i in 0..p.len() {
            assert!((0.0..=300.0).contains(&p[i].0) && (0.0..=200.0).contains(&p[i].1));
            for j in i + 1..p.len() {
                let d = ((p[i].0 - p[j].0).powi(2) + (p[i].1 - p[j].1).powi(2)).sqrt();
                assert!(d >= 20.0, "{p:?}");
            }
        }
    }

    #[test]
    fn log_axis_covers_every_count() {
        assert_eq!(
            log_ticks(3.0, 4_600.0),
            vec![2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]
        );
        assert_eq!(log_ticks(100.0, 150.0), vec![100.0, 200.0]);
    }

    #[test]
    fn fitted_names_end_in_an_ellipsis_within_the_width() {
        let name = "Sở Văn hóa, Thể thao và Du lịch";
        let short = fit(name, 90.0, 12.0);
        assert!(
            short.ends_with('…') && text_width(&short, 12.0) <= 90.0,
            "{short}"
        );
        assert_eq!(fit("Sở Y tế", 90.0, 12.0), "Sở Y tế");
    }
}
