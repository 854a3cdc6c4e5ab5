//! Managers' digests and alerts (issue #20, point 8).
//!
//! A pass, run by the scheduler of every node (every quarter of an hour, from 07:00 Vietnam
//! time), composes for each person who receives digests (`db::digests::readers`) the digest of
//! the last complete week (Monday to Sunday) or month, and the alerts of the last 28 days, and
//! queues them in the outbox. Each message is stored once per person, kind and period
//! (`digests`' UNIQUE key): passes on several nodes at once compose at most a message twice
//! and queue it once. The numbers are the dashboard's, read with the person's own scope.

pub mod content;

use chrono::{Datelike, Duration, NaiveDate};

use crate::db::digests::{self, Cadence, NewDigest, Reader};
use crate::db::users::Scope;
use crate::db::Conn;
use crate::domain::mail_settings_token::MailSettingsToken;
use crate::domain::{FormSpec, Role};
use crate::results::agency::{self, AgencyResults, Which};
use crate::results::periods::{self, PeriodFilter, TargetVerdict};
use crate::results::sums::PastSums;
use crate::views::i18n::Lang;
use crate::views::Views;
use content::{Addressed, Kind};

/// Digests are composed from this hour of the day (Vietnam), so they arrive in the morning.
pub const SEND_FROM_HOUR: u32 = 7;

/// The last complete week (Monday to Sunday) before `today`.
pub fn last_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = today - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 1);
    (end - Duration::days(6), end)
}

/// The last complete calendar month before `today`.
pub fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of_this = today.with_day(1).unwrap_or(today);
    let end = first_of_this - Duration::days(1);
    (end.with_day(1).unwrap_or(end), end)
}

/// The days alerts judge: the 28 complete days before `today` (compared with the 28 before).
pub fn alert_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - Duration::days(28), today - Duration::days(1))
}

/// What a pass needs besides the database.
pub struct Composer<'a> {
    pub form: &'a FormSpec,
    pub key: &'a [u8],
    /// The service's public address, for the links.
    pub base: &'a str,
    pub views: &'a Views,
}

/// What a pass queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub digests: usize,
    pub alerts: usize,
}

fn scope_of(r: &Reader) -> Scope {
    match (r.role(), r.agency_id) {
        (Some(Role::Admin), _) => Scope::All,
        (Some(Role::Manager | Role::Viewer), Some(a)) => Scope::Agency(a),
        _ => Scope::Agency(-1),
    }
}

impl Composer<'_> {
    /// One pass on `today` at `hour` (Vietnam): every message due and not yet stored.
    pub fn pass(&self, conn: &mut Conn, today: NaiveDate, hour: u32) -> anyhow::Result<Queued> {
        let mut queued = Queued::default();
        if hour < SEND_FROM_HOUR {
            return Ok(queued);
        }
        let cache = PastSums::new(8 * 1024 * 1024);
        for reader in digests::readers(conn)? {
            let done = self.for_reader(conn, &cache, &reader, today);
            match done {
                Ok(q) => {
                    queued.digests += q.digests;
                    queued.alerts += q.alerts;
                }
                // One person's failure (an agency gone) does not stop the others'.
                Err(e) => tracing::warn!(user = reader.id, "composing a digest failed: {e:#}"),
            }
        }
        Ok(queued)
    }

    fn results(
        &self,
        conn: &mut Conn,
        cache: &PastSums,
        reader: &Reader,
        (from, to): (NaiveDate, NaiveDate),
        today: NaiveDate,
    ) -> anyhow::Result<AgencyResults> {
        let filter = PeriodFilter {
            from,
            to,
            channel: None,
            kind: None,
        };
        Ok(agency::agency_results(
            conn,
            cache,
            self.form,
            scope_of(reader),
            &Which::Default,
            None,
            filter,
            today,
        )?)
    }

    fn for_reader(
        &self,
        conn: &mut Conn,
        cache: &PastSums,
        reader: &Reader,
        today: NaiveDate,
    ) -> anyhow::Result<Queued> {
        let mut queued = Queued::default();
        let (kind, name, period) = match reader.cadence() {
            Cadence::Weekly => (Kind::Weekly, "weekly", last_week(today)),
            Cadence::Monthly => (Kind::Monthly, "monthly", last_month(today)),
            Cadence::Off => return Ok(queued),
        };
        if !digests::composed(conn, reader.id, name, period.0)? {
            let r = self.results(conn, cache, reader, period, today)?;
            if self.queue(conn, reader, kind, name, period, &r)? {
                queued.digests += 1;
            }
        }
        let month_start = today.with_day(1).unwrap_or(today);
        let fall_due = !digests::composed(conn, reader.id, "alert_fall", month_start)?;
        let target_due = !digests::composed(conn, reader.id, "alert_target", month_start)?;
        if !fall_due && !target_due {
            return Ok(queued);
        }
        let window = alert_window(today);
        let r = self.results(conn, cache, reader, window, today)?;
        let report = r.report.as_ref().map(|(rep, _)| rep);
        let previous = r.previous.as_ref().map(|(rep, _)| rep);
        if fall_due {
            let factors = self
                .form
                .questions
                .iter()
                .filter(|q| q.kind == "factor")
                .count();
            // The dashboard's rule for the same days, the message's own list.
            let fell = content::fell(&content::page_changes(&r, factors)?);
            if fell
                && self.queue(
                    conn,
                    reader,
                    Kind::Fall,
                    "alert_fall",
                    (month_start, today),
                    &r,
                )?
            {
                queued.alerts += 1;
            }
        }
        if target_due {
            if let Some(t) = r.target {
                let now = periods::verdict(report.and_then(|rep| rep.overall), t);
                let before = periods::verdict(previous.and_then(|rep| rep.overall), t);
                // "Becomes not met": not met now, and it was not already not met before.
                if now == TargetVerdict::NotMet
                    && before != TargetVerdict::NotMet
                    && self.queue(
                        conn,
                        reader,
                        Kind::Target,
                        "alert_target",
                        (month_start, today),
                        &r,
                    )?
                {
                    queued.alerts += 1;
                }
            }
        }
        Ok(queued)
    }

    /// Composes the message about `r` and stores it under (`name`, `period`); false when
    /// another pass stored it first.
    fn queue(
        &self,
        conn: &mut Conn,
        reader: &Reader,
        kind: Kind,
        name: &str,
        period: (NaiveDate, NaiveDate),
        r: &AgencyResults,
    ) -> anyhow::Result<bool> {
        let lang = Lang::parse(Some(&reader.lang));
        let comments = digests::comments_in(conn, &r.subtree, r.filter.from, r.filter.to)?;
        let token = MailSettingsToken { user_id: reader.id }.sign(self.key);
        let to = Addressed {
            username: &reader.username,
            base: self.base,
            settings_token: &token,
        };
        let text = content::compose(kind, r, self.form, comments, &to, lang)?;
        let plain = self.views.render("digest.txt", &text)?;
        let html = self.views.render("digest.html", &text)?;
        Ok(digests::queue(
            conn,
            &NewDigest {
                user_id: reader.id,
                kind: name,
                start: period.0,
                end: period.1,
                lang: lang.code(),
                subject: &text.subject,
                text: &plain,
                html: &html,
            },
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_periods_are_the_last_complete_week_and_month() {
        // 7 December 2026 is a Monday.
        assert_eq!(last_week(d(2026, 12, 7)), (d(2026, 11, 30), d(2026, 12, 6)));
        assert_eq!(
            last_week(d(2026, 12, 13)),
            (d(2026, 11, 30), d(2026, 12, 6))
        );
        assert_eq!(
            last_week(d(2026, 12, 14)),
            (d(2026, 12, 7), d(2026, 12, 13))
        );
        assert_eq!(
            last_month(d(2026, 12, 1)),
            (d(2026, 11, 1), d(2026, 11, 30))
        );
        assert_eq!(last_month(d(2026, 3, 31)), (d(2026, 2, 1), d(2026, 2, 28)));
        assert_eq!(
            last_month(d(2027, 1, 15)),
            (d(2026, 12, 1), d(2026, 12, 31))
        );
        assert_eq!(
            alert_window(d(2026, 12, 7)),
            (d(2026, 11, 9), d(2026, 12, 6))
        );
    }
}
