//! The dashboard's section on receipts: Decision 766's per-dossier satisfaction rate per month
//! and the receipt stream's response rate per desk, and each channel's overall index side by
//! side so that a reader sees how the near-census of receipts differs from the posters.

use serde::Serialize;

use super::dashboard::shown;
use super::{percent, Lang, Shown};
use crate::db::agencies::AgencyRow;
use crate::db::desks::DeskInfo;
use crate::domain::Channel;
use crate::results::dossiers::{Dossiers, Tally};
use crate::results::periods::Report;

/// One row of counts: a month, a desk or the period.
#[derive(Serialize)]
pub struct TallyRow {
    pub label: String,
    pub issued: u64,
    pub rated: u64,
    pub not_rated: u64,
    /// `None` below the minimum n of ratings.
    pub satisfied: Option<u64>,
    pub unsatisfied: Option<u64>,
    pub response_rate: Option<String>,
    pub satisfaction_rate: Option<String>,
}

impl TallyRow {
    fn of(label: String, t: &Tally, lang: Lang) -> TallyRow {
        TallyRow {
            label,
            issued: t.issued,
            rated: t.rated,
            not_rated: t.not_rated(),
            satisfied: t.shown().then_some(t.satisfied),
            unsatisfied: t.shown().then_some(t.unsatisfied),
            response_rate: t.response_rate().map(|r| format!("{}%", percent(r, lang))),
            satisfaction_rate: t
                .satisfaction_rate()
                .map(|r| format!("{}%", percent(r, lang))),
        }
    }
}

/// A channel's overall index in the period.
#[derive(Serialize)]
pub struct StreamRow {
    pub channel: &'static str,
    /// The channel's name in the reader's language.
    pub name: &'static str,
    pub responses: u64,
    pub overall: Shown,
}

#[derive(Serialize)]
pub struct DossierSection {
    /// No receipt issued or rated in the period.
    pub empty: bool,
    pub total: TallyRow,
    pub months: Vec<TallyRow>,
    /// Each agency, when there are more than one.
    pub agencies: Vec<TallyRow>,
    pub desks: Vec<TallyRow>,
    pub streams: Vec<StreamRow>,
}

impl DossierSection {
    pub fn of(
        d: &Dossiers,
        agencies: &[AgencyRow],
        desks: &[DeskInfo],
        streams: &[(Channel, Report)],
        lang: Lang,
    ) -> DossierSection {
        let desk_name = |id: i32| {
            desks.iter().find(|x| x.id == id).map_or_else(
                || id.to_string(),
                |x| format!("{} · {}", x.agency_code, x.name),
            )
        };
        DossierSection {
            empty: d.is_empty(),
            total: TallyRow::of(String::new(), &d.total, lang),
            months: d
                .months
                .iter()
                .map(|(m, t)| TallyRow::of(m.format("%m/%Y").to_string(), t, lang))
                .collect(),
            agencies: if d.agencies.len() > 1 {
                d.agencies
                    .iter()
                    .map(|(id, t)| {
                        let name = agencies
                            .iter()
                            .find(|a| a.id == *id)
                            .map_or_else(|| id.to_string(), |a| format!("{} – {}", a.code, a.name));
                        TallyRow::of(name, t, lang)
                    })
                    .collect()
            } else {
                Vec::new()
            },
            desks: d
                .desks
                .iter()
                .map(|(id, t)| TallyRow::of(desk_name(*id), t, lang))
                .collect(),
            streams: streams
                .iter()
                .map(|(channel, report)| {
                    let n = report.as_ref().map_or(0, |(_, n)| *n);
                    StreamRow {
                        channel: channel.as_str(),
                        name: super::staff_texts::text(lang, &format!("f_{}", channel.as_str())),
                        responses: n,
                        overall: shown(report.as_ref().and_then(|(r, _)| r.overall), n, lang),
                    }
                })
                .collect(),
        }
    }
}
