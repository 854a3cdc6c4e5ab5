//! Decision 766/QĐ-TTg's per-dossier satisfaction rate, from receipts (issue #19, point 3):
//! (dossiers handled − dossiers rated unsatisfied) ÷ dossiers handled, beside the stream's
//! response rate (receipts rated ÷ receipts issued).
//!
//! Dossiers handled are the receipts issued for results returned in the period; ratings are
//! counted in the period they were given (nothing stored ties a rating to its receipt, so a
//! dossier returned on the last days of a month may be rated in the next). Complaints, which
//! the Decision also subtracts, live in the one-stop system and are not counted here.

use chrono::NaiveDate;

use super::MIN_N;
use crate::db::receipts::DossierCounts;

/// Counts of one agency, desk or month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// Receipts issued: dossiers whose result was returned.
    pub issued: u64,
    /// Receipt ratings given.
    pub rated: u64,
    pub satisfied: u64,
    pub unsatisfied: u64,
}

impl Tally {
    fn add(&mut self, c: &DossierCounts) {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        self.issued += n(c.issued);
        self.rated += n(c.rated);
        self.satisfied += n(c.satisfied);
        self.unsatisfied += n(c.unsatisfied);
    }

    pub fn not_rated(&self) -> u64 {
        self.issued.saturating_sub(self.rated)
    }

    /// Receipts rated ÷ receipts issued; none without receipts. Near a period's edges it can
    /// pass 1 (a dossier returned before the period, rated in it).
    pub fn response_rate(&self) -> Option<f64> {
        (self.issued > 0).then(|| self.rated as f64 / self.issued as f64)
    }

    /// Whether the ratings are enough to show how satisfied they were: below the minimum n a
    /// count of unsatisfied ratings could tell one person's answer.
    pub fn shown(&self) -> bool {
        self.rated >= MIN_N
    }

    /// Decision 766's rate, (handled − rated unsatisfied) ÷ handled; none without receipts or
    /// below the minimum n of ratings.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        (self.issued > 0 && self.shown())
            .then(|| self.issued.saturating_sub(self.unsatisfied) as f64 / self.issued as f64)
    }
}

/// An agency's receipts in a period: in all, per month and per desk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dossiers {
    pub total: Tally,
    /// The first day of each month with receipts or receipt ratings, in order.
    pub months: Vec<(NaiveDate, Tally)>,
    /// Each agency with receipts or receipt ratings (its own desks, not the units below it),
    /// by id.
    pub agencies: Vec<(i32, Tally)>,
    /// Each desk with receipts or receipt ratings, by id.
    pub desks: Vec<(i32, Tally)>,
    /// Each month and desk with receipts or receipt ratings, by month then desk.
    pub by_month_and_desk: Vec<(NaiveDate, i32, Tally)>,
}

impl Dossiers {
    pub fn of(rows: &[DossierCounts]) -> Dossiers {
        fn tally<K: PartialEq>(list: &mut Vec<(K, Tally)>, key: K, r: &DossierCounts) {
            match list.iter_mut().find(|(k, _)| *k == key) {
                Some((_, t)) => t.add(r),
                None => {
                    let mut t = Tally::default();
                    t.add(r);
                    list.push((key, t));
                }
            }
        }
        let mut d = Dossiers::default();
        for r in rows {
            d.total.add(r);
            tally(&mut d.months, r.month, r);
            tally(&mut d.agencies, r.agency_id, r);
            tally(&mut d.desks, r.desk_id, r);
            // (month, desk) is unique in the rows: a desk belongs to one agency.
            let mut t = Tally::default();
            t.add(r);
            d.by_month_and_desk.push((r.month, r.desk_id, t));
        }
        d.months.sort_by_key(|(m, _)| *m);
        d.agencies.sort_by_key(|(id, _)| *id);
        d.desks.sort_by_key(|(id, _)| *id);
        d.by_month_and_desk.sort_by_key(|(m, id, _)| (*m, *id));
        d
    }

    pub fn is_empty(&self) -> bool {
        self.total == Tally::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(desk: i32, month: u32, counts: [i64; 4]) -> DossierCounts {
        DossierCounts {
            agency_id: 1,
            desk_id: desk,
            month: NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
            issued: counts[0],
            rated: counts[1],
            satisfied: counts[2],
            unsatisfied: counts[3],
        }
    }

    #[test]
    fn the_rate_is_handled_less_unsatisfied_over_handled() {
        // Decision 766/QĐ-TTg (2022): 200 dossiers handled, 12 rated unsatisfied → 94%.
        let d = Dossiers::of(&[row(1, 11, [120, 30, 20, 7]), row(2, 11, [80, 10, 5, 5])]);
        assert_eq!(d.total.issued, 200);
        assert_eq!(d.total.unsatisfied, 12);
        assert_eq!(d.total.satisfaction_rate(), Some(0.94));
        assert_eq!(d.total.response_rate(), Some(0.2));
        assert_eq!(d.total.not_rated(), 160);
        assert_eq!(d.months.len(), 1);
        assert_eq!(d.desks.len(), 2);
        // Desk 2 alone has 10 ratings: its response rate shows, its satisfaction does not.
        let (_, desk2) = d.desks[1];
        assert_eq!(desk2.response_rate(), Some(0.125));
        assert_eq!(desk2.satisfaction_rate(), None);
    }

    #[test]
    fn no_receipts_means_no_rate_and_months_come_in_order() {
        let d = Dossiers::of(&[row(1, 12, [0, 40, 30, 2]), row(1, 10, [50, 0, 0, 0])]);
        assert_eq!(d.months[0].0.format("%m").to_string(), "10");
        assert_eq!(
            d.months[1].1.satisfaction_rate(),
            None,
            "no receipts in December"
        );
        assert_eq!(d.months[1].1.response_rate(), None);
        assert_eq!(d.total.satisfaction_rate(), Some(48.0 / 50.0));
        assert!(Dossiers::of(&[]).is_empty());
    }
}
