//! Ratings held for review (issue #19, point 4), as the results pages say it.

use serde::Serialize;

use super::Lang;

/// How many ratings are held for review and why, as the dashboard says it.
#[derive(Serialize)]
pub struct HeldView {
    pub total: i64,
    pub reasons: Vec<String>,
}

impl HeldView {
    pub fn of(counts: &[crate::db::screening::HeldCount], lang: Lang) -> Option<HeldView> {
        let total = counts.iter().find(|c| c.reason == "all")?.ratings;
        // Nothing held now (every hold decided): nothing to say.
        if total == 0 {
            return None;
        }
        let reasons = counts
            .iter()
            .filter(|c| c.reason != "all")
            .map(|c| {
                let why = super::staff_texts::text(lang, &format!("held_{}", c.reason));
                format!("{} {why}", c.ratings)
            })
            .collect();
        Some(HeldView { total, reasons })
    }
}

/// The reviewers' page (`/admin/held`): the held ratings of a selection, oldest first, each
/// with why it was held and the numbers behind it, and the forms to decide.
#[derive(Serialize)]
pub struct HeldPage {
    #[serde(flatten)]
    pub shell: super::StaffFrame,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub reasons: Vec<super::registry::Choice>,
    pub notice: Option<String>,
    /// How many the selection holds in all (the table lists the first ones).
    pub total: i64,
    pub rows: Vec<HeldLine>,
}

#[derive(Serialize)]
pub struct HeldLine {
    pub id: String,
    pub when: String,
    pub agency: String,
    pub desk: String,
    pub channel: &'static str,
    /// Each reason with the numbers it was decided on, in Vietnamese.
    pub why: Vec<String>,
    /// The mean of its answers, to see what it would do to the index.
    pub mean: String,
}

/// The reasons a rating may be held, as the page's filter offers them.
pub const REASONS: [&str; 6] = [
    "fast_fill",
    "no_render",
    "burst",
    "one_client",
    "identical",
    "after_hours",
];

impl HeldLine {
    pub fn of(r: &crate::db::screening::HeldRow) -> HeldLine {
        let answered: Vec<f64> = r
            .answer_values
            .iter()
            .flatten()
            .filter(|v| (1..=5).contains(*v))
            .map(|v| f64::from(*v))
            .collect();
        let mean = if answered.is_empty() {
            "—".to_owned()
        } else {
            decimal(answered.iter().sum::<f64>() / answered.len() as f64, 1)
        };
        HeldLine {
            id: r.id.to_string(),
            when: r
                .submitted_at
                .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
                .format("%d/%m/%Y %H:%M:%S")
                .to_string(),
            agency: r.agency_code.clone(),
            desk: r.desk_code.clone(),
            channel: super::staff_texts::text(Lang::Vi, &format!("f_{}", r.channel)),
            why: r.reasons.iter().map(|x| why(x, &r.details[x])).collect(),
            mean,
        }
    }
}

fn decimal(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

/// One reason with its numbers, as a reviewer reads it.
fn why(reason: &str, d: &serde_json::Value) -> String {
    let num = |k: &str| d[k].as_f64();
    let text = super::staff_texts::text(Lang::Vi, &format!("held_{reason}"));
    let numbers = match reason {
        "fast_fill" => match (num("seconds"), num("min_seconds")) {
            (Some(s), Some(m)) => format!("gửi sau {s} giây, ngưỡng {m} giây"),
            _ => String::new(),
        },
        "no_render" => match d["stamp"].as_str() {
            Some("invalid") => "dấu thời gian của phiếu không hợp lệ".to_owned(),
            _ => "không có dấu thời gian của phiếu".to_owned(),
        },
        "burst" => match (num("count"), num("mean"), num("variance"), num("p_value")) {
            (Some(k), Some(m), Some(v), Some(p)) => format!(
                "{k} lượt trong 10 phút; quầy thường có {} lượt (phương sai {}), xác suất {p:.1e}",
                decimal(m, 2),
                decimal(v, 2)
            ),
            _ => String::new(),
        },
        "identical" => match (num("run"), num("share"), num("p_value")) {
            (Some(n), Some(s), Some(p)) => format!(
                "{n} lượt liền nhau giống hệt; quầy thường có {}% lượt như vậy, xác suất {p:.1e}",
                decimal(100.0 * s, 1)
            ),
            _ => String::new(),
        },
        "after_hours" => match (d["at"].as_str(), d["hours"].as_str()) {
            (Some(at), Some(h)) => format!("lúc {at}; giờ làm việc {h}"),
            _ => String::new(),
        },
        "one_client" => match (num("ratings_today"), num("max")) {
            (Some(n), Some(m)) => format!("{n} lượt trong ngày tại quầy, giới hạn {m}"),
            _ => String::new(),
        },
        _ => String::new(),
    };
    if numbers.is_empty() {
        text.to_owned()
    } else {
        format!("{text} ({numbers})")
    }
}

#[cfg(test)]
mod tests {
    use super::HeldView;
    use crate::db::screening::HeldCount;
    use crate::views::Lang;

    fn count(reason: &str, ratings: i64) -> HeldCount {
        HeldCount {
            reason: reason.to_owned(),
            ratings,
        }
    }

    #[test]
    fn a_dashboard_says_nothing_of_holds_when_none_waits() {
        assert!(HeldView::of(&[count("all", 0)], Lang::Vi).is_none());
        let shown = HeldView::of(&[count("all", 3), count("burst", 3)], Lang::Vi).unwrap();
        assert_eq!(shown.reasons.len(), 1);
    }
}
