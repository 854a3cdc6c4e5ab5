//! The province ranking page: the table, the units not ranked, the funnel plot and the small
//! multiples of the five factors. Charts are computed here as coordinates and drawn by the
//! template as SVG, so every label passes through tera's escaping and no JavaScript is needed.

use crate::views::StaffFrame;
use analysis::compare::Tier;
use analysis::IndexEstimate;
use serde::Serialize;

use super::chart::{coord, Tick};
use super::registry::Choice;
use super::{percent, Lang, Shown};
use crate::results::ranking::{RankedUnit, Ranking, Unit};

pub fn tier_label(t: Tier, lang: Lang) -> &'static str {
    match (t, lang) {
        (Tier::Above, Lang::Vi) => "Cao hơn rõ rệt",
        (Tier::NotDifferent, Lang::Vi) => "Không khác biệt",
        (Tier::Below, Lang::Vi) => "Thấp hơn rõ rệt",
        (Tier::Above, Lang::En) => "Significantly above",
        (Tier::NotDifferent, Lang::En) => "Not different",
        (Tier::Below, Lang::En) => "Significantly below",
    }
}

/// The ranking rule in the reader's language.
pub fn rule(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => RULE_VI,
        Lang::En => analysis::compare::RANKING_RULE,
    }
}

pub fn tier_code(t: Tier) -> &'static str {
    match t {
        Tier::Above => "above",
        Tier::NotDifferent => "not_different",
        Tier::Below => "below",
    }
}

pub const RULE_VI: &str = "Các đơn vị được xếp theo chỉ số, từ cao xuống thấp; đơn vị có ít hơn 30 câu trả lời hợp lệ không được xếp hạng. \
Khoảng thứ hạng 95% là khoảng chứa 95% thứ hạng của đơn vị trong các lần mô phỏng, mỗi lần rút chỉ số của mọi đơn vị từ phân phối mẫu của nó \
(phân phối chuẩn trên thang logit, có hạt giống cố định). Đơn vị “cao hơn rõ rệt” (“thấp hơn rõ rệt”) khi nằm trên (dưới) giới hạn 95% \
của biểu đồ phễu — đã nới ra khi các đơn vị khác nhau nhiều hơn mức ngẫu nhiên — và vẫn có ý nghĩa sau khi kiểm soát tỷ lệ phát hiện sai 5% \
(Benjamini–Hochberg) trên mọi đơn vị của bảng. Hai đơn vị có khoảng thứ hạng chồng nhau thì không thể nói đơn vị nào tốt hơn.";

/// `x` with `d` decimals and the reader's decimal mark.
fn num(x: f64, d: usize, lang: Lang) -> String {
    let s = format!("{x:.d$}");
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// What the overdispersion test found and what was done, for the funnel (Spiegelhalter 2005
/// §6), in the reader's language.
pub fn dispersion_note(r: &Ranking, lang: Lang) -> Option<String> {
    let od = r.overdispersion?;
    let f = r.funnel?;
    if od.units < 2 {
        return None;
    }
    let num = |x: f64, d: usize| num(x, d, lang);
    let p = if od.p_value < 0.001 {
        match lang {
            Lang::Vi => "p < 0,001".to_owned(),
            Lang::En => "p < 0.001".to_owned(),
        }
    } else {
        format!("p = {}", num(od.p_value, 3))
    };
    let phi = num(od.phi, 1);
    Some(match (od.widened(), lang) {
        (true, Lang::Vi) => format!(
            "Các đơn vị khác nhau nhiều hơn mức ngẫu nhiên cho phép (hệ số phân tán φ = {phi}; kiểm định χ², {p}). \
             Giới hạn của phễu và các mức “cao hơn/thấp hơn” đã được nới theo mô hình hiệu ứng ngẫu nhiên cộng: \
             độ lệch chuẩn giữa các đơn vị τ = {} điểm % (DerSimonian–Laird, Spiegelhalter 2005).",
            num(100.0 * f.tau2.sqrt(), 1)
        ),
        (true, Lang::En) => format!(
            "Units differ by more than chance allows (dispersion φ = {phi}; χ² test, {p}). The funnel's limits and \
             the above/below tiers are widened by an additive random-effects model: between-unit standard deviation \
             τ = {} percentage points (DerSimonian–Laird, Spiegelhalter 2005).",
            num(100.0 * f.tau2.sqrt(), 1)
        ),
        (false, Lang::Vi) => format!(
            "Các đơn vị không khác nhau quá mức ngẫu nhiên (φ = {phi}; kiểm định χ², {p}): giới hạn không cần nới."
        ),
        (false, Lang::En) => format!(
            "Units differ no more than chance allows (φ = {phi}; χ² test, {p}): the limits are not widened."
        ),
    })
}

/// Which model gave the model-based estimates: its covariates and the between-unit spread
/// they leave (√A, in percentage points), so that the column is never read as a measurement.
pub fn model_note(r: &Ranking, lang: Lang) -> Option<String> {
    use crate::results::small_area::Covariate;
    let m = r.small_area_model.as_ref()?;
    let name = |c: &Covariate| match (c, lang) {
        (Covariate::Parent, Lang::Vi) => "cơ quan cấp trên",
        (Covariate::Parent, Lang::En) => "the parent agency",
        (Covariate::LogFrameSize, Lang::Vi) => "quy mô trong khung mẫu (log số hồ sơ)",
        (Covariate::LogFrameSize, Lang::En) => "size in the sampling frame (log dossiers)",
        (Covariate::LastYearIndex, Lang::Vi) => "chỉ số cùng kỳ năm trước",
        (Covariate::LastYearIndex, Lang::En) => "the index a year earlier",
    };
    let spread = num(100.0 * m.a.max(0.0).sqrt(), 1, lang);
    let units = m.units;
    Some(match (m.covariates.is_empty(), lang) {
        (true, Lang::Vi) => format!(
            "Mô hình trên {units} đơn vị có câu trả lời, không có biến phụ trợ (kéo về mức chung của cấp);              độ lệch chuẩn giữa các đơn vị còn lại: {spread} điểm %."
        ),
        (true, Lang::En) => format!(
            "Model fitted on {units} units with answers, without covariates (pulled towards the level's mean);              remaining between-unit standard deviation: {spread} percentage points."
        ),
        (false, Lang::Vi) => format!(
            "Mô hình trên {units} đơn vị có câu trả lời, biến phụ trợ: {}; độ lệch chuẩn giữa các đơn vị còn lại: {spread} điểm %.",
            m.covariates.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
        (false, Lang::En) => format!(
            "Model fitted on {units} units with answers, covariates: {}; remaining between-unit standard deviation: \
             {spread} percentage points.",
            m.covariates.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
    })
}

fn shown(e: Option<IndexEstimate>, n: u64, lang: Lang) -> Shown {
    super::dashboard::shown(e, n, lang)
}

#[derive(Serialize)]
pub struct RowView {
    pub rank: usize,
    pub rank_interval: String,
    pub code: String,
    pub name: String,
    pub index: Shown,
    pub responses: u64,
    pub tier: &'static str,
    pub tier_code: &'static str,
    /// The reader's own agency or one below it (marked for an agency's staff).
    pub own: bool,
}

impl RowView {
    pub fn of(r: &RankedUnit, lang: Lang) -> RowView {
        RowView {
            rank: r.rank,
            rank_interval: format!("{}–{}", r.rank_low, r.rank_high),
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            index: shown(r.unit.index, r.unit.responses, lang),
            responses: r.unit.responses,
            tier: tier_label(r.tier, lang),
            tier_code: tier_code(r.tier),
            own: false,
        }
    }
}

#[derive(Serialize)]
pub struct UnrankedView {
    pub code: String,
    pub name: String,
    pub n: u64,
    pub responses: u64,
    /// The model-based estimate with its 95% interval (EBLUP ± 1.96·√MSE), labelled as such
    /// on the page and never ranked.
    pub model: Option<String>,
}

impl UnrankedView {
    /// The unranked units with their model-based estimates (same order).
    pub fn list(r: &Ranking, lang: Lang) -> Vec<UnrankedView> {
        r.unranked
            .iter()
            .zip(r.model_based.iter().chain(std::iter::repeat(&None)))
            .map(|(u, m)| UnrankedView {
                code: u.code.clone(),
                name: u.name.clone(),
                n: u.index.map_or(0, |e| e.n),
                responses: u.responses,
                model: m.map(|m| {
                    let half = 1.959_963_984_540_054 * m.mse.max(0.0).sqrt();
                    format!(
                        "{}% ({}–{}%)",
                        percent(m.eblup, lang),
                        percent((m.eblup - half).max(0.0), lang),
                        percent((m.eblup + half).min(1.0), lang)
                    )
                }),
            })
            .collect()
    }
}

/// A point of a chart, in SVG user units, with what its tooltip says.
#[derive(Serialize)]
pub struct Dot {
    pub x: String,
    pub y: String,
    pub class: &'static str,
    pub label: String,
}

/// The funnel plot: units' index against their n, the province line and control limits.
#[derive(Serialize)]
pub struct FunnelChart {
    pub width: u32,
    pub height: u32,
    pub centre_y: String,
    pub limits95: [String; 2],
    pub limits998: [String; 2],
    pub dots: Vec<Dot>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
}

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

impl FunnelChart {
    /// `None` without a province index or any unit with an index to place.
    pub fn of(r: &Ranking, lang: Lang) -> Option<FunnelChart> {
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
        // The x axis spans the units' n (log scale), at least a decade wide so that the funnel
        // shows its shape even when every unit has a similar n.
        let n_max = placed.iter().map(|(_, e, _)| e.n).max().unwrap_or(1) as f64 * 1.15;
        let n_min = (placed.iter().map(|(_, e, _)| e.n).min().unwrap_or(1) as f64 / 1.5)
            .min(n_max / 10.0)
            .max(1.0);
        let (lx0, lx1) = (n_min.ln(), n_max.ln());
        let lo_at_min = funnel.limits(n_min, 3.09).0;
        let y_min = placed
            .iter()
            .map(|(_, e, _)| e.estimate)
            .fold(lo_at_min.max(province.estimate - 0.5), f64::min);
        let y_min = (y_min * 20.0).floor() / 20.0;
        let y_max = 1.0;
        let x = |n: f64| LEFT + (n.ln() - lx0) / (lx1 - lx0) * (W - LEFT - RIGHT);
        let y =
            |v: f64| TOP + (y_max - v.clamp(y_min, y_max)) / (y_max - y_min) * (H - TOP - BOTTOM);
        let line = |z: f64, upper: bool| {
            let mut pts = Vec::new();
            for step in 0..=60 {
                let n = (lx0 + (lx1 - lx0) * step as f64 / 60.0).exp();
                let (lo, hi) = funnel.limits(n, z);
                pts.push(format!(
                    "{},{}",
                    coord(x(n)),
                    coord(y(if upper { hi } else { lo }))
                ));
            }
            pts.join(" ")
        };
        let dots = placed
            .iter()
            .map(|(u, e, tier)| Dot {
                x: coord(x(e.n as f64)),
                y: coord(y(e.estimate)),
                class: tier.map_or("unranked", tier_code),
                label: format!(
                    "{} – {}: {}%, n = {}",
                    u.code,
                    u.name,
                    percent(e.estimate, lang),
                    e.n
                ),
            })
            .collect();
        let mut x_ticks = Vec::new();
        let mut decade = 1.0;
        while decade <= n_max {
            for m in [1.0, 2.0, 5.0] {
                let t = decade * m;
                if (n_min..=n_max).contains(&t) {
                    x_ticks.push(Tick {
                        at: coord(x(t)),
                        label: format!("{}", t as u64),
                    });
                }
            }
            decade *= 10.0;
        }
        let steps = ((y_max - y_min) / 0.05).round() as usize;
        let every = if steps > 8 { 2 } else { 1 };
        let y_ticks = (0..=steps)
            .step_by(every)
            .map(|i| {
                let v = y_min + 0.05 * i as f64;
                Tick {
                    at: coord(y(v)),
                    label: format!("{:.0}%", 100.0 * v),
                }
            })
            .collect();
        Some(FunnelChart {
            width: W as u32,
            height: H as u32,
            centre_y: coord(y(funnel.centre)),
            limits95: [line(1.96, false), line(1.96, true)],
            limits998: [line(3.09, false), line(3.09, true)],
            dots,
            x_ticks,
            y_ticks,
        })
    }
}

/// One factor's panel of the small multiples: every ranked unit's factor index and interval.
#[derive(Serialize)]
pub struct Panel {
    pub title: String,
    /// The left end of the common scale, e.g. "50%".
    pub scale_from: String,
    pub height: u32,
    pub province_x: Option<String>,
    pub bars: Vec<Bar>,
}

#[derive(Serialize)]
pub struct Bar {
    pub y: String,
    pub x: String,
    pub x_low: String,
    pub x_high: String,
    pub label: String,
    pub code: String,
}

/// Above this many units the small multiples would be unreadable; the page says so and points
/// to the table and the CSV.
pub const MULTIPLES_MAX_UNITS: usize = 60;
const PANEL_W: f64 = 200.0;
const ROW_H: f64 = 12.0;

/// The small multiples: one panel per factor, units in the ranking's order, a common 0–100%
/// scale so that panels compare at a glance.
pub fn multiples(r: &Ranking, factor_names: &[String], lang: Lang) -> Vec<Panel> {
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
    let x = |v: f64| coord(4.0 + (v.clamp(floor, 1.0) - floor) / (1.0 - floor) * (PANEL_W - 8.0));
    factor_names
        .iter()
        .enumerate()
        .map(|(f, title)| Panel {
            title: title.clone(),
            scale_from: format!("{:.0}%", 100.0 * floor),
            height: (ROW_H * r.ranked.len() as f64 + 8.0) as u32,
            province_x: r
                .province_factors
                .get(f)
                .copied()
                .flatten()
                .filter(|e| !e.suppressed)
                .map(|e| x(e.estimate)),
            bars: r
                .ranked
                .iter()
                .enumerate()
                .filter_map(|(i, u)| {
                    let e = u.unit.factors.get(f).copied().flatten()?;
                    (!e.suppressed).then(|| Bar {
                        y: coord(4.0 + ROW_H * i as f64 + ROW_H / 2.0),
                        x: x(e.estimate),
                        x_low: x(e.ci_low),
                        x_high: x(e.ci_high),
                        code: u.unit.code.clone(),
                        label: format!(
                            "{}: {}% ({}–{}%), n = {}",
                            u.unit.code,
                            percent(e.estimate, lang),
                            percent(e.ci_low, lang),
                            percent(e.ci_high, lang),
                            e.n
                        ),
                    })
                })
                .collect(),
        })
        .collect()
}

#[derive(Serialize)]
pub struct RankingPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub switch_href: String,
    /// `desk` or `annual`.
    pub source: &'static str,
    /// The annual survey's wave, with source `annual`.
    pub wave: Option<String>,
    pub levels: Vec<Choice>,
    pub level: String,
    pub measures: Vec<Choice>,
    pub measure: String,
    /// The named period chosen ("month", …; "" for chosen dates), selected again.
    pub period: &'static str,
    pub from: String,
    pub to: String,
    pub channel: String,
    pub kind: String,
    pub sort: String,
    /// The query string of this table (without `sort`), for sort links and the CSV link.
    pub query: String,
    pub province: Shown,
    pub rows: Vec<RowView>,
    pub unranked: Vec<UnrankedView>,
    pub seed: u64,
    pub simulations: usize,
    pub rule: &'static str,
    /// What the overdispersion test found and whether the limits were widened.
    pub dispersion: Option<String>,
    /// The small-area model behind the model-based column (`model_note`).
    pub model_note: Option<String>,
    pub funnel: Option<FunnelChart>,
    pub panels: Vec<Panel>,
    pub too_many_for_multiples: bool,
}

pub fn province_shown(r: &Ranking, lang: Lang) -> Shown {
    shown(r.province, 0, lang)
}
