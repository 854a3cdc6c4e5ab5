//! The dashboard's standing panel: where the agency stands among the units of its level in the
//! same period and filters, as the ranking page computes it (the same table, seed and rule),
//! so the two pages never disagree.

use serde::Serialize;

use super::ranking::{tier_code, tier_label};
use super::{percent, Lang};
use crate::results::ranking::Ranking;

#[derive(Serialize)]
pub struct StandingView {
    /// "3", with the interval "2–7" and the count of ranked units.
    pub rank: Option<String>,
    pub rank_interval: Option<String>,
    pub ranked: usize,
    pub units: usize,
    pub tier: Option<&'static str>,
    pub tier_code: Option<&'static str>,
    /// Where the agency's index falls against the funnel's 95% limits at its n.
    pub funnel: Option<&'static str>,
    /// The reference the tiers are judged against: the index of every rating the period and
    /// filters select, province-wide, with its interval.
    pub reference: Option<String>,
    /// Why the agency is not ranked, when it is not.
    pub not_ranked: Option<&'static str>,
    /// The ranking page of the same level and filters, opened on this agency's level.
    pub ranking_href: String,
}

impl StandingView {
    /// `None` when the agency has no peers to stand among (alone on its level).
    pub fn of(
        r: &Ranking,
        agency_id: i32,
        ranking_href: String,
        lang: Lang,
    ) -> Option<StandingView> {
        let units = r.ranked.len() + r.unranked.len();
        if units < 2 {
            return None;
        }
        let reference = r.province.filter(|e| !e.suppressed).map(|e| {
            format!(
                "{}% ({}–{}%)",
                percent(e.estimate, lang),
                percent(e.ci_low, lang),
                percent(e.ci_high, lang)
            )
        });
        let mut view = StandingView {
            rank: None,
            rank_interval: None,
            ranked: r.ranked.len(),
            units,
            tier: None,
            tier_code: None,
            funnel: None,
            reference,
            not_ranked: None,
            ranking_href,
        };
        match r.ranked.iter().find(|u| u.unit.agency_id == agency_id) {
            Some(u) => {
                view.rank = Some(u.rank.to_string());
                view.rank_interval = Some(format!("{}–{}", u.rank_low, u.rank_high));
                view.tier = Some(tier_label(u.tier, lang));
                view.tier_code = Some(tier_code(u.tier));
                view.funnel = match (r.funnel, u.unit.index) {
                    (Some(f), Some(e)) => {
                        let (lo, hi) = f.limits(e.n as f64, 1.959_963_984_540_054);
                        Some(funnel_words(e.estimate, lo, hi, lang))
                    }
                    _ => None,
                };
            }
            None => {
                view.not_ranked = Some(match lang {
                    Lang::Vi => "Chưa được xếp hạng: dưới 30 câu trả lời hợp lệ trong kỳ.",
                    Lang::En => "Not ranked: fewer than 30 valid answers in the period.",
                });
            }
        }
        Some(view)
    }
}

fn funnel_words(v: f64, lo: f64, hi: f64, lang: Lang) -> &'static str {
    match (v > hi, v < lo, lang) {
        (true, _, Lang::Vi) => "trên giới hạn 95% của biểu đồ phễu",
        (_, true, Lang::Vi) => "dưới giới hạn 95% của biểu đồ phễu",
        (_, _, Lang::Vi) => "trong giới hạn 95% của biểu đồ phễu",
        (true, _, Lang::En) => "above the funnel's 95% limit",
        (_, true, Lang::En) => "below the funnel's 95% limit",
        (_, _, Lang::En) => "within the funnel's 95% limits",
    }
}
