//! Screening the ratings that come without a receipt (issue #19, point 4), inside the
//! transaction that stores them: a rating flagged on its way in (its fill time) is held; a
//! desk whose count in the last ten minutes is implausible for its own history is in a burst,
//! and every rating of that burst (its likeliest cluster: from where it began to where it
//! ended) is held — the earlier ones of today taken back out of the aggregates they were added
//! to.
//!
//! The burst test: the desk's ten-minute counts in its opening hours over the 28 days before
//! today give a mean and a variance; the count now is a burst when its upper tail under a
//! negative binomial with that mean and variance (Poisson when not overdispersed) is below
//! `SIPAS_BURST_ALPHA`. A desk with little history is judged against a floor of one rating per
//! ten minutes and a variance of at least twice the mean (a desk without history bursts at
//! ten ratings in ten minutes). Ratings held for a reason of their own (a fast fill, no form,
//! after hours, one phone, identical answers) are explained and not counted: a clerk's held
//! ratings must not push the citizens rating beside them into a burst. Every number is stored
//! with the hold, so each decision can be redone.

use chrono::{Datelike, Timelike, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::config::Screening;
use crate::db::responses::PendingDesk;
use crate::db::{self, Conn, QueryError};
use crate::domain::opening_hours::{self, OpeningHours};
use crate::domain::screening::{client_of_the_day, Flag, Reason};
use crate::domain::{Channel, FormSpec};
use crate::results::periods::today_in_vietnam;
use crate::results::rollup;

/// Below this many ratings in ten minutes no desk is in a burst (and no history is read).
const BURST_FLOOR: usize = 4;
/// The least mean and overdispersion a desk's history is taken to have.
const MEAN_FLOOR: f64 = 1.0;
const DISPERSION_FLOOR: f64 = 2.0;

/// What the burst test decided for one count against one history.
pub fn burst_flag(count: usize, history: db::screening::History, alpha: f64) -> Option<Flag> {
    let mean = history.mean.max(MEAN_FLOOR);
    let variance = history.variance.max(DISPERSION_FLOOR * mean);
    let p = analysis::counts::upper_tail(count as u64, mean, variance);
    (p < alpha).then(|| Flag {
        reason: Reason::Burst,
        details: json!({
            "count": count, "minutes": db::screening::WINDOW_MINUTES,
            "history_windows": history.windows, "history_mean": history.mean,
            "history_variance": history.variance, "mean": mean, "variance": variance,
            "p_value": p, "alpha": alpha,
        }),
    })
}

/// The shortest span a burst's cluster is judged over: ratings sent within seconds of each
/// other are one push of a button, not an ever denser rate.
const CLUSTER_MIN_SECONDS: f64 = 10.0;

/// The ratings of a burst among the window's (oldest first): its likeliest cluster against the
/// mean the burst test used, so that the ratings the desk had before the burst began, or gets
/// after it at its usual pace, are not held with it. The whole window if none stands out.
fn burst_cluster(recent: &[db::screening::Recent], flag: &Flag) -> std::ops::Range<usize> {
    let mean = flag.details["mean"].as_f64().unwrap_or(MEAN_FLOOR);
    let rate = mean / (db::screening::WINDOW_MINUTES as f64 * 60.0);
    let times: Vec<f64> = recent.iter().map(|r| r.at).collect();
    analysis::counts::likeliest_cluster(&times, rate, CLUSTER_MIN_SECONDS)
        .unwrap_or(0..recent.len())
}

/// The desks of a batch's ratings without a receipt, each once, in order.
fn screened_desks(created: &[&PendingDesk]) -> Vec<i32> {
    let mut desks: Vec<i32> = created
        .iter()
        .filter(|p| p.channel != Channel::ReceiptQr)
        .map(|p| p.desk_id)
        .collect();
    desks.sort_unstable();
    desks.dedup();
    desks
}

/// Screens the ratings a batch stored anew (see the module's comment); for each, whether it is
/// held.
pub fn screen(
    conn: &mut Conn,
    form: &FormSpec,
    settings: &Screening,
    created: &[&PendingDesk],
) -> Result<Vec<bool>, QueryError> {
    let mut flags: Vec<Vec<Flag>> = created.iter().map(|p| p.flags.clone()).collect();
    if !settings.enabled {
        return Ok(flags.iter().map(|f| !f.is_empty()).collect());
    }
    let now = Utc::now();
    let today = today_in_vietnam();
    let mut earlier: Vec<(Uuid, Vec<Flag>)> = Vec::new();
    let desks = screened_desks(created);
    for desk in desks {
        // Ratings held for a reason of their own (earlier, or flagged on their way in now) are
        // explained: the burst test counts the others.
        let recent: Vec<db::screening::Recent> = db::screening::recent(conn, desk, now, today)?
            .into_iter()
            .filter(|r| {
                !r.explained
                    && !created
                        .iter()
                        .zip(&flags)
                        .any(|(p, f)| p.submission.id == r.id && !f.is_empty())
            })
            .collect();
        if recent.len() < BURST_FLOOR {
            continue;
        }
        let history = db::screening::history(conn, desk, today)?;
        let Some(flag) = burst_flag(recent.len(), history, settings.burst_alpha) else {
            continue;
        };
        for r in &recent[burst_cluster(&recent, &flag)] {
            match created.iter().position(|p| p.submission.id == r.id) {
                Some(i) => flags[i].push(flag.clone()),
                // Yesterday's cells stay as they are: a burst across midnight is held from
                // midnight on.
                None if r.today => earlier.push((r.id, vec![flag.clone()])),
                None => {}
            }
        }
    }
    after_hours(conn, settings, created, &mut flags)?;
    one_client(conn, settings, created, today, &mut flags, &mut earlier)?;
    identical_runs(conn, settings, created, today, &mut flags, &mut earlier)?;
    let now_held: Vec<(Uuid, Vec<Flag>)> = created
        .iter()
        .zip(&flags)
        .filter(|(_, f)| !f.is_empty())
        .map(|(p, f)| (p.submission.id, f.clone()))
        .collect();
    db::screening::hold(conn, &now_held)?;
    let newly = db::screening::hold(conn, &earlier)?;
    if !newly.is_empty() {
        let rows: Vec<_> = db::screening::ratings(conn, &newly)?
            .into_iter()
            .map(|r| (r.desk_id, r.channel, r.respondent_kind, r.answer_values))
            .collect();
        let cells =
            rollup::stored_deltas(form, &rows).map_err(|e| db::step_failed(e.to_string()))?;
        db::rollup::remove_today(conn, form.instrument_id, &cells)?;
    }
    Ok(flags.iter().map(|f| !f.is_empty()).collect())
}

/// Flags each rating given outside its desk's opening hours (the desk's own, else the
/// default), widened by the grace.
fn after_hours(
    conn: &mut Conn,
    settings: &Screening,
    created: &[&PendingDesk],
    flags: &mut [Vec<Flag>],
) -> Result<(), QueryError> {
    let desks = screened_desks(created);
    if desks.is_empty() {
        return Ok(());
    }
    let hours = db::desks::opening_hours_of(conn, &desks)?;
    let now = (Utc::now() + chrono::Duration::hours(7)).naive_utc();
    let minute = now.hour() * 60 + now.minute();
    for (i, p) in created.iter().enumerate() {
        if p.channel == Channel::ReceiptQr {
            continue;
        }
        let text = hours
            .iter()
            .find(|(d, _)| *d == p.desk_id)
            .and_then(|(_, h)| h.clone())
            .unwrap_or_else(|| settings.default_hours.clone());
        let Ok(open) = OpeningHours::parse(&text) else {
            continue;
        };
        if !open.open_at(now.weekday(), minute) {
            flags[i].push(Flag {
                reason: Reason::AfterHours,
                details: json!({
                    "at": now.format("%H:%M").to_string(),
                    "weekday": now.weekday().number_from_monday(),
                    "hours": text,
                    "grace_minutes": opening_hours::GRACE_MINUTES,
                }),
            });
        }
    }
    Ok(())
}

/// Below this many identical answers in a row no run is tested (and no history is read).
const RUN_FLOOR: usize = 4;
/// The newest ratings of a desk read for a run.
const RUN_READ: i64 = 60;
/// The prior share of any one pattern, and its weight in ratings, for a desk with little
/// history: conservative, as if half of all ratings gave these very answers.
const PATTERN_PRIOR: f64 = 0.5;
const PATTERN_PRIOR_WEIGHT: f64 = 20.0;

/// The desk's share of some answers over its history, shrunk towards the prior.
fn shrunk_share(history: db::screening::PatternShare) -> f64 {
    (history.same as f64 + PATTERN_PRIOR_WEIGHT * PATTERN_PRIOR)
        / (history.total as f64 + PATTERN_PRIOR_WEIGHT)
}

/// What the run test decided: a run of `run` identical answers has chance `share^(run − 1)`
/// where `share` is the desk's share of those answers (shrunk towards the prior).
pub fn run_flag(run: usize, history: db::screening::PatternShare, alpha: f64) -> Option<Flag> {
    let share = shrunk_share(history);
    let p = share.powi(run.saturating_sub(1) as i32);
    (p < alpha).then(|| Flag {
        reason: Reason::Identical,
        details: json!({
            "test": "run", "run": run, "history_same": history.same,
            "history_ratings": history.total, "share": share, "p_value": p, "alpha": alpha,
        }),
    })
}

/// What the day's test decided: `same` of the desk's `today` newest ratings of today gave
/// these answers, against a binomial with the desk's share of them — a clerk whose repeated
/// answers are interleaved with citizens' breaks every run but not this count.
pub fn day_flag(
    same: usize,
    today: usize,
    history: db::screening::PatternShare,
    alpha: f64,
) -> Option<Flag> {
    let share = shrunk_share(history);
    let p = analysis::counts::binomial_upper_tail(same as u64, today as u64, share);
    (p < alpha).then(|| Flag {
        reason: Reason::Identical,
        details: json!({
            "test": "day", "same_today": same, "ratings_today": today,
            "history_same": history.same, "history_ratings": history.total,
            "share": share, "p_value": p, "alpha": alpha,
        }),
    })
}

/// Holds a desk's run of identical answers ending at a rating of this batch when the run is
/// implausible for the desk (the whole run, its earlier ratings of today too); else, when the
/// newest rating's answers are too many among the desk's newest of today, all of those.
fn identical_runs(
    conn: &mut Conn,
    settings: &Screening,
    created: &[&PendingDesk],
    today: chrono::NaiveDate,
    flags: &mut [Vec<Flag>],
    earlier: &mut Vec<(Uuid, Vec<Flag>)>,
) -> Result<(), QueryError> {
    let desks = screened_desks(created);
    for desk in desks {
        let newest = db::screening::newest_today(conn, desk, today, RUN_READ)?;
        let Some(first) = newest.first() else {
            continue;
        };
        let run = newest
            .iter()
            .take_while(|r| r.answer_values == first.answer_values)
            .count();
        let same = newest
            .iter()
            .filter(|r| r.answer_values == first.answer_values)
            .count();
        if same < RUN_FLOOR {
            continue;
        }
        let history = db::screening::pattern_share(conn, desk, today, &first.answer_values)?;
        let (flag, held): (Flag, Vec<&db::screening::Answered>) =
            if let Some(flag) = run_flag(run, history, settings.burst_alpha) {
                (flag, newest[..run].iter().collect())
            } else if let Some(flag) = day_flag(same, newest.len(), history, settings.burst_alpha) {
                let held = newest
                    .iter()
                    .filter(|r| r.answer_values == first.answer_values)
                    .collect();
                (flag, held)
            } else {
                continue;
            };
        for r in held {
            if let Some(j) = created.iter().position(|c| c.submission.id == r.id) {
                flags[j].push(flag.clone());
            } else if let Some((_, list)) = earlier.iter_mut().find(|(e, _)| *e == r.id) {
                list.push(flag.clone());
            } else {
                earlier.push((r.id, vec![flag.clone()]));
            }
        }
    }
    Ok(())
}

/// Marks each phone rating with its device of the day; a device over the day's limit at a desk
/// has every rating of the day there held, the first ones too.
fn one_client(
    conn: &mut Conn,
    settings: &Screening,
    created: &[&PendingDesk],
    today: chrono::NaiveDate,
    flags: &mut [Vec<Flag>],
    earlier: &mut Vec<(Uuid, Vec<Flag>)>,
) -> Result<(), QueryError> {
    let mut salt = None;
    for p in created {
        let Some(address) = p.client else { continue };
        let salt = match &salt {
            Some(s) => s,
            None => salt.insert(db::client_marks::day_salt(conn, today)?),
        };
        let client = client_of_the_day(salt, address);
        let ratings = db::client_marks::mark(conn, p.submission.id, today, p.desk_id, &client)?;
        let max = settings.client_max_per_day as usize;
        if ratings.len() <= max {
            continue;
        }
        let flag = Flag {
            reason: Reason::OneClient,
            details: json!({ "ratings_today": ratings.len(), "max": max }),
        };
        let add = |list: &mut Vec<Flag>| {
            if !list.iter().any(|f| f.reason == Reason::OneClient) {
                list.push(flag.clone());
            }
        };
        for id in ratings {
            if let Some(j) = created.iter().position(|c| c.submission.id == id) {
                add(&mut flags[j]);
            } else if let Some((_, list)) = earlier.iter_mut().find(|(e, _)| *e == id) {
                add(list);
            } else {
                earlier.push((id, vec![flag.clone()]));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use db::screening::History;

    fn history(mean: f64, variance: f64) -> History {
        History {
            windows: 1_200,
            mean,
            variance,
        }
    }

    #[test]
    fn a_quiet_desk_bursts_at_ten_and_a_busy_one_much_later() {
        // A quiet desk is judged against one rating per ten minutes, variance two: a
        // geometric count, P(X ≥ 10) = 0.5^10 < 0.001 (R: pnbinom(9, 1, mu = 1, lower = FALSE)).
        assert!(burst_flag(9, history(0.1, 0.1), 0.001).is_none());
        let flag = burst_flag(10, history(0.1, 0.1), 0.001).unwrap();
        assert_eq!(flag.reason, Reason::Burst);
        assert_eq!(flag.details["mean"], 1.0);
        assert_eq!(flag.details["variance"], 2.0);
        // A desk that sees three a window, variance six: 15 is plausible, 16 is not
        // (R: P(X ≥ 15) = pnbinom(14, 3, mu = 3, lower = FALSE) = 0.00117;
        // P(X ≥ 16) = pnbinom(15, …) = 0.000656).
        assert!(burst_flag(15, history(3.0, 6.0), 0.001).is_none());
        assert!(burst_flag(16, history(3.0, 6.0), 0.001).is_some());
    }

    fn share(same: i64, total: i64) -> db::screening::PatternShare {
        db::screening::PatternShare { same, total }
    }

    #[test]
    fn a_run_is_judged_by_the_desks_own_share_of_its_answers() {
        // No history: the prior, half of all ratings; 0.5^9 ≈ 0.00195 is plausible, 0.5^10 is not.
        assert!(run_flag(10, share(0, 0), 0.001).is_none());
        assert!(run_flag(11, share(0, 0), 0.001).is_some());
        // 10 of 100 ratings gave these answers: share (10 + 10) / 120 = 1/6; a run of four has
        // chance (1/6)^3 ≈ 0.00463, of five (1/6)^4 ≈ 0.000772.
        assert!(run_flag(4, share(10, 100), 0.001).is_none());
        let flag = run_flag(5, share(10, 100), 0.001).unwrap();
        assert_eq!(flag.reason, Reason::Identical);
        assert!((flag.details["p_value"].as_f64().unwrap() - 0.000_771_604_938_3).abs() < 1e-12);
        // Answers most of the desk gives: a long run is ordinary.
        assert!(run_flag(12, share(1_600, 2_000), 0.001).is_none());
    }

    #[test]
    fn answers_repeated_among_a_days_ratings_are_judged_by_the_desks_share() {
        // Share (10 + 10) / 120 = 1/6. Ten of sixteen: P(X ≥ 10), X ~ Bin(16, 1/6)
        // = 4.9620747008128975e-05 (R 4.2: pbinom(9, 16, 1/6, lower.tail = FALSE)); five of
        // sixteen is ordinary.
        let flag = day_flag(10, 16, share(10, 100), 0.001).unwrap();
        assert_eq!(flag.details["test"], "day");
        let p = flag.details["p_value"].as_f64().unwrap();
        assert!((p - 4.962_074_700_812_897_5e-5).abs() < 1e-17, "{p}");
        assert!(day_flag(5, 16, share(10, 100), 0.001).is_none());
        // A desk where four in five give these answers: 40 of 50 is its usual day.
        assert!(day_flag(40, 50, share(1_600, 2_000), 0.001).is_none());
    }
}
