//! The public results pages (`/public`): published periods, no sign-in, Vietnamese or English.

use serde::Serialize;

use super::{percent, Chrome, Lang};
use crate::results::publication::{AgencyResult, Estimate, Integrity};

/// An index as a reader sees it: a percentage with two decimals and its interval, or the
/// words for "not enough answers".
#[derive(Serialize)]
pub struct Shown {
    pub value: Option<String>,
    pub interval: Option<String>,
    pub n: u64,
}

impl Shown {
    pub fn of(e: &Estimate, lang: Lang) -> Shown {
        match (e.estimate, e.ci_low, e.ci_high) {
            (Some(v), Some(lo), Some(hi)) if !e.suppressed => Shown {
                value: Some(format!("{}%", percent(v, lang))),
                interval: Some(format!("{}–{}%", percent(lo, lang), percent(hi, lang))),
                n: e.n,
            },
            _ => Shown {
                value: None,
                interval: None,
                n: e.n,
            },
        }
    }
}

#[derive(Serialize)]
pub struct AgencyRow {
    pub code: String,
    pub name: String,
    pub responses: u64,
    pub overall: Shown,
    pub factors: Vec<Shown>,
}

impl AgencyRow {
    pub fn of(a: &AgencyResult, lang: Lang) -> AgencyRow {
        AgencyRow {
            code: a.code.clone(),
            name: a.name.clone(),
            responses: a.responses,
            overall: Shown::of(&a.overall, lang),
            factors: a
                .factors
                .iter()
                .map(|f| Shown::of(&f.estimate, lang))
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub struct PublicationRow {
    pub id: i32,
    pub from: String,
    pub to: String,
    pub channel: String,
    pub instrument: String,
    pub published_at: String,
    pub sha256: String,
    pub previous_sha256: Option<String>,
    pub integrity: Integrity,
}

#[derive(Serialize)]
pub struct ListPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub publications: Vec<PublicationRow>,
}

#[derive(Serialize)]
pub struct PeriodPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub publication: PublicationRow,
    pub method: String,
    pub factor_names: Vec<String>,
    pub agencies: Vec<AgencyRow>,
}
