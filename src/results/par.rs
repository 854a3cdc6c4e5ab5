//! PAR points: the satisfaction component of each unit's PAR-index score sheet for a year,
//! from the year's rule, beside the index, interval and n it comes from. The units and their
//! indices are a ranking's table, so the score sheet and the ranking cannot disagree.

use analysis::IndexEstimate;
use chrono::NaiveDate;

use super::periods::{PeriodFilter, CHANNELS};
use super::ranking_table::{invalid, Table};
use super::ResultsError;
use crate::domain::par::Rule;

/// Whether a unit was scored, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Assessed,
    /// Ranked, but the year has no rule yet.
    NoRule,
    /// Below the minimum n: not ranked, not scored.
    BelowMinN,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Assessed => "assessed",
            Status::NoRule => "no_rule",
            Status::BelowMinN => "not_assessed_below_min_n",
        }
    }
}

/// One unit's line of the score sheet.
#[derive(Clone, Debug)]
pub struct Line {
    pub rank: Option<usize>,
    pub code: String,
    pub name: String,
    /// The index scored; `None` below the minimum n.
    pub index: Option<IndexEstimate>,
    pub n: u64,
    pub points: Option<f64>,
    pub status: Status,
}

/// The days a year's score sheet reads: the whole year to date (Vietnam's calendar), on one
/// channel or all.
pub fn year_period(
    year: i32,
    channel: Option<&str>,
    today: NaiveDate,
) -> Result<PeriodFilter, ResultsError> {
    let channel = match channel {
        None => None,
        Some(c) if CHANNELS.contains(&c) => Some(c.to_owned()),
        Some(_) => {
            return Err(invalid(
                "channel",
                "Trường channel: kênh không có trong danh sách.".into(),
                "channel must be desk_qr, kiosk or receipt_qr".into(),
            ))
        }
    };
    let bad_year = || {
        invalid(
            "year",
            "Trường year: một năm từ 2000 đến 2100.".into(),
            "year must be from 2000 to 2100".into(),
        )
    };
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad_year)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(bad_year)?
        .min(today);
    Ok(PeriodFilter {
        from: first,
        to: last.max(first),
        channel,
        kind: None,
    })
}

/// Points for an index under a rule: none below the minimum n or without a rule.
pub fn points_of(rule: Option<&Rule>, e: Option<IndexEstimate>) -> Option<f64> {
    let e = e.filter(|e| !e.suppressed)?;
    rule.map(|r| r.points(e.estimate))
}

/// The score sheet of a ranking's table under the year's rule: ranked units first, best
/// first, then those below the minimum n.
pub fn score_sheet(table: &Table, rule: Option<&Rule>) -> Vec<Line> {
    let mut lines: Vec<Line> = table
        .ranking
        .ranked
        .iter()
        .map(|r| Line {
            rank: Some(r.rank),
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            index: r.unit.index,
            n: r.unit.index.map_or(0, |e| e.n),
            points: points_of(rule, r.unit.index),
            status: if rule.is_some() {
                Status::Assessed
            } else {
                Status::NoRule
            },
        })
        .collect();
    lines.extend(table.ranking.unranked.iter().map(|u| Line {
        rank: None,
        code: u.code.clone(),
        name: u.name.clone(),
        index: None,
        n: u.index.map_or(0, |e| e.n),
        points: None,
        status: Status::BelowMinN,
    }));
    lines
}
