//! The public results pages (`/public`): published periods, no sign-in, Vietnamese or English.

use serde::Serialize;

use super::{Chrome, Lang, Shown};
use crate::results::publication::{AgencyResult, Estimate, Integrity};

/// A published estimate as the page shows it.
fn shown(e: &Estimate, lang: Lang) -> Shown {
    let reported = match (e.estimate, e.ci_low, e.ci_high) {
        (Some(v), Some(lo), Some(hi)) if !e.suppressed => Some((v, lo, hi)),
        _ => None,
    };
    Shown::new(reported, e.n, lang)
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
            overall: shown(&a.overall, lang),
            factors: a.factors.iter().map(|f| shown(&f.estimate, lang)).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct PublicationRow {
    pub id: i32,
    /// The period as people write it ("quý III/2026", "Q3 2026").
    pub name: String,
    /// Its days, dd/mm/yyyy.
    pub from: String,
    pub to: String,
    /// The channel in plain words.
    pub channel: String,
    pub instrument: String,
    /// dd/mm/yyyy hh:mm, Vietnam time.
    pub published_at: String,
    pub sha256: String,
    pub previous_sha256: Option<String>,
    pub integrity: Integrity,
}

/// The methodology page (`/phuong-phap`): how every number is made, in Vietnamese, one
/// section per rule, which the staff and public pages link to by its anchor.
#[derive(Serialize)]
pub struct MethodologyPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    /// The page is written in Vietnamese only: no language switch that would change nothing.
    pub vietnamese_only: bool,
}

/// The methodology page's sections, by anchor: what the pages link to.
pub const METHOD_SECTIONS: [&str; 10] = [
    "mot-phuong-phap",
    "cum-quay",
    "hieu-ung-thiet-ke",
    "an-so-lieu",
    "thay-doi",
    "tam-quan-trong",
    "xep-hang",
    "uoc-luong-mo-hinh",
    "diem-cchc",
    "khao-sat-va-quay",
];

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
    /// The index columns' names: SIPAS, then the factors (a phone shows them beside each value).
    pub columns: Vec<String>,
    pub agencies: Vec<AgencyRow>,
}
