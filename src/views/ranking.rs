//! The province ranking page: the table, the units not ranked, the funnel plot and the small
//! multiples of the five factors. Charts are computed here as coordinates and drawn by the
//! template as SVG, so every label passes through tera's escaping and no JavaScript is needed.

use crate::views::StaffFrame;
use analysis::compare::Tier;
use analysis::IndexEstimate;
use serde::Serialize;

use super::registry::Choice;
use super::{percent, Lang, Shown};
use crate::results::ranking::{RankedUnit, Ranking};

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
(phân phối Student trên thang logit với bậc tự do của chính ước lượng đó, như khoảng tin cậy của nó; có hạt giống cố định). Đơn vị “cao hơn rõ rệt” (“thấp hơn rõ rệt”) khi nằm trên (dưới) giới hạn 95% \
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
    pub funnel: Option<super::ranking_charts::FunnelChart>,
    pub panels: Vec<super::ranking_charts::Panel>,
    pub too_many_for_multiples: bool,
}

pub fn province_shown(r: &Ranking, lang: Lang) -> Shown {
    shown(r.province, 0, lang)
}
