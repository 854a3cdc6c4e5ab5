//! A reviewer's decision on held ratings (issue #19, point 4): released ones join the
//! aggregates of their day (and month), rejected ones stay out for good; both stay stored, and
//! the decision is audited with its rule — in one transaction.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::rollup;
use super::ResultsError;
use crate::db::audit::Actor;
use crate::db::screening::HeldQuery;
use crate::db::{self, Conn};
use crate::domain::FormSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Release,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "release" | "released" => Some(Decision::Release),
            "reject" | "rejected" => Some(Decision::Reject),
            _ => None,
        }
    }

    fn stored(self) -> &'static str {
        match self {
            Decision::Release => "released",
            Decision::Reject => "rejected",
        }
    }
}

/// Decides every undecided held rating the query selects; returns how many.
pub fn decide(
    conn: &mut Conn,
    form: &FormSpec,
    actor: &Actor,
    q: &HeldQuery,
    decision: Decision,
) -> Result<usize, ResultsError> {
    db::transaction(conn, |conn| {
        let (count, released) = db::screening::decide(conn, actor, q, decision.stored())?;
        let mut by_day: BTreeMap<NaiveDate, Vec<rollup::StoredRating>> = BTreeMap::new();
        for r in released {
            by_day.entry(r.day).or_default().push((
                r.desk_id,
                r.channel,
                r.respondent_kind,
                r.answer_values,
            ));
        }
        for (day, rows) in by_day {
            let cells = rollup::stored_deltas(form, &rows)?;
            db::rollup::add_on(conn, form.instrument_id, day, &cells)?;
        }
        Ok(count)
    })
}
