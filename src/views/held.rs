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
