//! What a digest or an alert says, in Vietnamese or English, from one agency's results (the
//! dashboard's own `AgencyResults`, so the mail and the page cannot disagree): the overall
//! SIPAS and each factor with its interval, only the changes the page itself marks
//! significant, the weakest items, the target, the comments and the held ratings.

use chrono::NaiveDate;
use serde::Serialize;

use crate::results::agency::AgencyResults;
use crate::results::periods::{self, TargetVerdict};
use crate::views::i18n::Lang;
use crate::views::{percent, staff_texts};

/// One index line: its name, value, interval and n, or why it is not given.
#[derive(Serialize, Debug, Clone)]
pub struct Line {
    pub name: String,
    pub value: String,
}

/// The message, before templating (`digest.txt`, `digest.html`).
#[derive(Serialize, Debug, Clone)]
pub struct DigestText {
    pub lang: &'static str,
    pub subject: String,
    pub greeting: String,
    /// An alert's one-sentence reason, first in the message.
    pub alert: Option<String>,
    pub intro: String,
    pub overall: Line,
    pub factors_title: String,
    pub factors: Vec<Line>,
    pub changes_title: String,
    /// Sentences, one per significant change; `no_changes` when there is none.
    pub changes: Vec<String>,
    pub no_changes: String,
    pub weakest_title: String,
    pub weakest: Vec<Line>,
    pub target: String,
    pub comments: String,
    pub held: Option<String>,
    pub link: String,
    pub link_label: String,
    pub method: String,
    pub settings_line: String,
    pub settings_link: String,
}

/// What kind of message it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Weekly,
    Monthly,
    /// An index fell significantly against the period before.
    Fall,
    /// The overall index is now below its target (its whole interval).
    Target,
}

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn pct(x: f64, lang: Lang) -> String {
    format!("{}%", percent(x, lang))
}

/// A difference of shares in percentage points, two decimals, signed when `signed`.
fn points(share: f64, lang: Lang, signed: bool) -> String {
    let x = 100.0 * share;
    // A typographic minus, as tables print it.
    let s = if signed {
        format!("{x:+.2}").replace('-', "−")
    } else {
        format!("{:.2}", x.abs())
    };
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// "82,41% (78,10–86,35%; n = 412)" or "too few ratings (n = 7)".
fn shown(e: Option<analysis::IndexEstimate>, n: u64, lang: Lang) -> String {
    match e {
        Some(e) if !e.suppressed => format!(
            "{} ({}–{}; n = {})",
            pct(e.estimate, lang),
            percent(e.ci_low, lang),
            pct(e.ci_high, lang),
            e.n
        ),
        _ => match lang {
            Lang::Vi => format!(
                "chưa đủ đánh giá để tính (n = {n}, cần ít nhất {})",
                crate::results::MIN_N
            ),
            Lang::En => format!(
                "too few ratings to report (n = {n}, at least {} needed)",
                crate::results::MIN_N
            ),
        },
    }
}

/// The factors' names (the dashboard's) and the items' questions, in `lang`.
fn names(form: &crate::domain::FormSpec, lang: Lang) -> (Vec<String>, Vec<String>) {
    let factor = form
        .questions
        .iter()
        .filter(|q| q.kind == "factor")
        .map(|q| crate::views::dashboard::question_name(q, lang))
        .collect();
    let item = form
        .questions
        .iter()
        .map(|q| match lang {
            Lang::Vi => q.text_vi.clone(),
            Lang::En => q.text_en.clone(),
        })
        .collect();
    (factor, item)
}

/// The dashboard's changes for `r` (`periods::agency_changes`: the overall index and each
/// factor against the period before, at even places, and a year earlier, Benjamini–Hochberg
/// across all of them): what the message lists and what raises a fall alert, one rule.
pub fn page_changes(
    r: &AgencyResults,
    factors: usize,
) -> analysis::Result<Vec<Option<periods::PageChange>>> {
    periods::agency_changes(
        r.report.as_ref().map(|(rep, _)| rep),
        r.previous.as_ref().map(|(rep, _)| rep),
        r.year_ago.as_ref().map(|(rep, _)| rep),
        factors,
    )
}

/// Whether an index fell significantly against the period just before, under the page's rule.
pub fn fell(changes: &[Option<periods::PageChange>]) -> bool {
    changes
        .iter()
        .step_by(2)
        .flatten()
        .any(|c| c.difference.significant && c.difference.estimate < 0.0)
}

/// Where the links go and who the message is for.
pub struct Addressed<'a> {
    pub username: &'a str,
    pub base: &'a str,
    pub settings_token: &'a str,
}

/// The message of `kind` about `r` (its period is the message's period).
pub fn compose(
    kind: Kind,
    r: &AgencyResults,
    form: &crate::domain::FormSpec,
    comments: i64,
    to: &Addressed,
    lang: Lang,
) -> analysis::Result<DigestText> {
    let (from, till) = (r.filter.from, r.filter.to);
    let agency = crate::domain::text::one_line(&r.agency.name);
    let (factor_names, item_names) = names(form, lang);
    let report = r.report.as_ref();
    let n = report.map_or(0, |(_, n)| *n);
    let overall_est = report.and_then(|(rep, _)| rep.overall);
    let overall = Line {
        name: "SIPAS".into(),
        value: shown(overall_est, n, lang),
    };
    let factors = factor_names
        .iter()
        .enumerate()
        .map(|(i, name)| Line {
            name: name.clone(),
            value: shown(
                report.and_then(|(rep, _)| rep.factors.get(i).copied().flatten()),
                n,
                lang,
            ),
        })
        .collect();
    let changes = page_changes(r, factor_names.len())?;
    let mut change_lines = Vec::new();
    // An alert's sentence: the first significant fall against the period just before.
    let mut first_fall = None;
    for (k, c) in changes.iter().enumerate() {
        let Some(c) = c else { continue };
        let d = c.difference;
        if !d.significant {
            continue;
        }
        let name = if k / 2 == 0 {
            "SIPAS".to_owned()
        } else {
            factor_names[k / 2 - 1].clone()
        };
        let (a, b) = if k % 2 == 0 {
            periods::previous_period(from, till)
        } else {
            periods::year_earlier(from, till)
        };
        let interval = format!(
            "{} đến {}",
            points(d.ci_low, lang, true),
            points(d.ci_high, lang, true)
        );
        let interval = match lang {
            Lang::Vi => interval,
            Lang::En => interval.replace(" đến ", " to "),
        };
        change_lines.push(match lang {
            Lang::Vi => format!(
                "{name}: {} {} điểm phần trăm so với {}–{} (khoảng tin cậy 95% của chênh lệch: {interval}).",
                if d.estimate < 0.0 { "giảm" } else { "tăng" },
                points(d.estimate, lang, false),
                day(a),
                day(b)
            ),
            Lang::En => format!(
                "{name}: {} {} percentage points against {}–{} (95% interval of the difference: {interval}).",
                if d.estimate < 0.0 { "down" } else { "up" },
                points(d.estimate, lang, false),
                day(a),
                day(b)
            ),
        });
        if k % 2 == 0 && d.estimate < 0.0 && first_fall.is_none() {
            first_fall = change_lines.last().cloned();
        }
    }
    // The weakest items: the three lowest reported indices.
    let mut items: Vec<(usize, analysis::IndexEstimate)> = report
        .map(|(rep, _)| {
            rep.items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| it.index.filter(|e| !e.suppressed).map(|e| (i, e)))
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| a.1.estimate.total_cmp(&b.1.estimate));
    let weakest = items
        .iter()
        .take(3)
        .map(|(i, e)| Line {
            name: item_names[*i].clone(),
            value: shown(Some(*e), e.n, lang),
        })
        .collect();
    let target = match r.target {
        None => match lang {
            Lang::Vi => "Chưa đặt mục tiêu cho đơn vị.".to_owned(),
            Lang::En => "No target is set for the unit.".to_owned(),
        },
        Some(t) => {
            let verdict = periods::verdict(overall_est, t);
            match (lang, verdict) {
                (Lang::Vi, TargetVerdict::Met) => format!("Mục tiêu {}: đạt (cả khoảng tin cậy ở trên mục tiêu).", pct(t, lang)),
                (Lang::Vi, TargetVerdict::NotMet) => format!("Mục tiêu {}: không đạt (cả khoảng tin cậy ở dưới mục tiêu).", pct(t, lang)),
                (Lang::Vi, TargetVerdict::CannotTell) => format!("Mục tiêu {}: chưa kết luận được (khoảng tin cậy chứa mục tiêu, hoặc chưa đủ đánh giá).", pct(t, lang)),
                (Lang::En, TargetVerdict::Met) => format!("Target {}: met (the whole interval is above it).", pct(t, lang)),
                (Lang::En, TargetVerdict::NotMet) => format!("Target {}: not met (the whole interval is below it).", pct(t, lang)),
                (Lang::En, TargetVerdict::CannotTell) => format!("Target {}: cannot tell yet (the interval contains it, or too few ratings).", pct(t, lang)),
            }
        }
    };
    let comments = match lang {
        Lang::Vi => format!("{comments} góp ý của người dân trong kỳ."),
        Lang::En => format!("{comments} comments from citizens in the period."),
    };
    let held_total = r
        .held
        .iter()
        .find(|h| h.reason == "all")
        .map_or(0, |h| h.ratings);
    let held = (held_total > 0).then(|| {
        let reasons: Vec<String> = r
            .held
            .iter()
            .filter(|h| h.reason != "all")
            .map(|h| {
                format!(
                    "{} {}",
                    h.ratings,
                    staff_texts::text(lang, &format!("held_{}", h.reason))
                )
            })
            .collect();
        match lang {
            Lang::Vi => format!(
                "{held_total} đánh giá đang bị giữ lại chờ Sở Nội vụ xem xét, không tính vào chỉ số ({}).",
                reasons.join("; ")
            ),
            Lang::En => format!(
                "{held_total} ratings are held for Home Affairs to review and are not counted ({}).",
                reasons.join("; ")
            ),
        }
    });
    let period = format!("{}–{}", day(from), day(till));
    let link = format!(
        "{}/admin/dashboard?agency={}&from={from}&to={till}",
        to.base, r.agency.id
    );
    let settings_link = format!("{}/mail-settings/{}", to.base, to.settings_token);
    let head = match (lang, overall_est.filter(|e| !e.suppressed)) {
        (_, Some(e)) => pct(e.estimate, lang),
        (Lang::Vi, None) => "chưa đủ đánh giá".to_owned(),
        (Lang::En, None) => "too few ratings".to_owned(),
    };
    let (subject, alert) = match (kind, lang) {
        (Kind::Weekly, Lang::Vi) => (format!("SIPAS tuần {period}: {agency} {head}"), None),
        (Kind::Weekly, Lang::En) => (format!("SIPAS week {period}: {agency} {head}"), None),
        (Kind::Monthly, Lang::Vi) => (
            format!("SIPAS tháng {}: {agency} {head}", from.format("%m/%Y")),
            None,
        ),
        (Kind::Monthly, Lang::En) => (
            format!("SIPAS {}: {agency} {head}", from.format("%B %Y")),
            None,
        ),
        (Kind::Fall, Lang::Vi) => (
            format!("Cảnh báo SIPAS: chỉ số của {agency} giảm có ý nghĩa thống kê"),
            first_fall.clone(),
        ),
        (Kind::Fall, Lang::En) => (
            format!("SIPAS alert: an index of {agency} fell significantly"),
            first_fall.clone(),
        ),
        (Kind::Target, Lang::Vi) => (
            format!("Cảnh báo SIPAS: {agency} không đạt mục tiêu"),
            Some(target.clone()),
        ),
        (Kind::Target, Lang::En) => (
            format!("SIPAS alert: {agency} is not meeting its target"),
            Some(target.clone()),
        ),
    };
    let subject = crate::domain::text::one_line(&subject);
    Ok(match lang {
        Lang::Vi => DigestText {
            lang: "vi",
            subject,
            greeting: format!("Kính gửi {},", to.username),
            alert,
            intro: format!(
                "Kết quả đánh giá sự hài lòng tại {agency} từ ngày {} đến ngày {} (gồm các đơn vị trực thuộc).",
                day(from),
                day(till)
            ),
            overall,
            factors_title: "Năm yếu tố".into(),
            factors,
            changes_title: "Thay đổi có ý nghĩa thống kê".into(),
            changes: change_lines,
            no_changes: "Không có thay đổi nào có ý nghĩa thống kê so với kỳ trước và cùng kỳ năm trước.".into(),
            weakest_title: "Các câu hỏi có chỉ số thấp nhất".into(),
            weakest,
            target,
            comments,
            held,
            link,
            link_label: "Xem bảng kết quả".into(),
            method: "Chỉ số là tỷ lệ câu trả lời hài lòng hoặc rất hài lòng; khoảng tin cậy 95% tính theo quầy (cụm). Thay đổi chỉ được nêu khi có ý nghĩa thống kê sau khi hiệu chỉnh cho nhiều phép so sánh (Benjamini–Hochberg).".into(),
            settings_line: "Ông/Bà nhận thư này vì tài khoản SIPAS của Ông/Bà đăng ký nhận bản tin. Đổi tần suất, ngôn ngữ hoặc ngừng nhận:".into(),
            settings_link,
        },
        Lang::En => DigestText {
            lang: "en",
            subject,
            greeting: format!("Dear {},", to.username),
            alert,
            intro: format!("Citizen satisfaction at {agency}, {period} (its units included)."),
            overall,
            factors_title: "The five factors".into(),
            factors,
            changes_title: "Significant changes".into(),
            changes: change_lines,
            no_changes: "No change is significant against the previous period or the same period a year earlier.".into(),
            weakest_title: "The lowest-rated questions".into(),
            weakest,
            target,
            comments,
            held,
            link,
            link_label: "Open the dashboard".into(),
            method: "An index is the share of answers satisfied or very satisfied; 95% intervals are computed by desk (cluster). A change is listed only when it is significant after adjusting for the page's many comparisons (Benjamini–Hochberg).".into(),
            settings_line: "You receive this because your SIPAS account is subscribed to digests. Change how often, the language, or stop them:".into(),
            settings_link,
        },
    })
}
