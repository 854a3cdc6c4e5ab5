//! One agency's results over time, from one read of its daily cells: the chosen period, the
//! period just before it (same length), the same period a year earlier, and the twelve months
//! up to the period's end (the trend). Changes between periods use
//! `analysis::compare::difference` and are "significant" only when the interval of the
//! difference excludes zero.

use analysis::compare::{difference_welch, Difference};
use analysis::{IndexEstimate, IndexReport};
use chrono::{Datelike, Months, NaiveDate};

use super::rollup::report_of;
use crate::db::rollup::Selected;
use crate::domain::FormSpec;

/// A parsed period and the slices of the stream it keeps (parsed from a query by
/// `web::filters`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodFilter {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub channel: Option<String>,
    pub kind: Option<String>,
}

/// The channels of the desk stream a results query may keep.
pub const CHANNELS: &[&str] = &[
    crate::domain::Channel::STREAM[0].as_str(),
    crate::domain::Channel::STREAM[1].as_str(),
    crate::domain::Channel::STREAM[2].as_str(),
];
/// The respondent kinds a results query may keep.
pub const KINDS: &[&str] = &["individual", "organisation"];

/// Today in Vietnam (UTC+7, no daylight saving): the calendar every period is read in.
pub fn today_in_vietnam() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

pub type Report = Option<(IndexReport, u64)>;

/// The days the comparisons and the trend need: the earliest first day.
pub fn window_start(from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let (previous, _) = previous_period(from, to);
    let (year_ago, _) = year_earlier(from, to);
    previous.min(year_ago).min(trend_start(to))
}

/// Where the periods of an agency's results begin and end (the day after): the aggregates read
/// a month through which one of these passes day by day, so that each period sums whole cells.
pub fn cuts(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
    let (pf, pt) = previous_period(from, to);
    let (yf, yt) = year_earlier(from, to);
    vec![from, after(to), pf, after(pt), yf, after(yt)]
}

/// The period of the same length just before `from`.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = (to - from).num_days() + 1;
    let end = from.pred_opt().unwrap_or(from);
    (end - chrono::Duration::days(days - 1), end)
}

/// The same days a year earlier (29 February becomes the 28th).
pub fn year_earlier(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
    (back(from), back(to))
}

/// The first day of the trend: the first of the month eleven months before `to`'s month.
pub fn trend_start(to: NaiveDate) -> NaiveDate {
    let first = to.with_day(1).unwrap_or(to);
    first.checked_sub_months(Months::new(11)).unwrap_or(first)
}

/// The report of the cells whose day lies in [from, to].
pub fn report_between(
    form: &FormSpec,
    cells: &[Selected],
    from: NaiveDate,
    to: NaiveDate,
) -> analysis::Result<Report> {
    report_of(
        form,
        cells
            .iter()
            .filter(|c| c.day >= from && c.day <= to)
            .map(|c| (c.agency_id, c.desk_id, c.responses, c.stats.as_slice())),
    )
}

/// One month of the trend.
#[derive(Clone, Debug)]
pub struct Month {
    pub first: NaiveDate,
    pub responses: u64,
    /// The overall SIPAS, `None` without ratings; suppressed below the minimum n.
    pub overall: Option<IndexEstimate>,
}

/// The twelve months up to `to`, as day ranges (the last one to date).
pub fn trend_ranges(to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut months = Vec::with_capacity(12);
    let mut first = trend_start(to);
    while first <= to {
        let next = first.checked_add_months(Months::new(1)).unwrap_or(to);
        let last = next.pred_opt().unwrap_or(next).min(to);
        months.push((first, last));
        first = next;
    }
    months
}

/// The twelve months up to `to` (the last one to date), from the cells.
pub fn trend(form: &FormSpec, cells: &[Selected], to: NaiveDate) -> analysis::Result<Vec<Month>> {
    trend_ranges(to)
        .into_iter()
        .map(|(first, last)| Ok(Month::of(first, report_between(form, cells, first, last)?)))
        .collect()
}

impl Month {
    pub fn of(first: NaiveDate, report: Report) -> Month {
        Month {
            first,
            responses: report.as_ref().map_or(0, |(_, n)| *n),
            overall: report.and_then(|(r, _)| r.overall),
        }
    }
}

/// A change against an earlier period, when both indices are reported.
pub fn change(
    now: Option<IndexEstimate>,
    before: Option<IndexEstimate>,
) -> analysis::Result<Option<Difference>> {
    match (now, before) {
        // Student t on the Welch–Satterthwaite df of the two estimates: an estimate resting on
        // a few desks has few degrees of freedom, and a normal interval would badge chance.
        (Some(a), Some(b)) if !a.suppressed && !b.suppressed => {
            Ok(Some(difference_welch(&a, &b, analysis::DEFAULT_LEVEL)?))
        }
        _ => Ok(None),
    }
}

/// The false discovery rate the change badges of one page control.
pub const PAGE_FDR: f64 = 0.05;

/// The differences shown together on one page, (now, before) each. A "significant" badge is
/// kept only where the Benjamini–Hochberg adjusted p-value across the page's comparisons is at
/// most 5%: six indices compared with two periods at 5% each would show a false badge on
/// about 46% of pages where nothing changed.
pub fn changes_on_a_page(
    pairs: &[(Option<IndexEstimate>, Option<IndexEstimate>)],
) -> analysis::Result<Vec<Option<PageChange>>> {
    let diffs = pairs
        .iter()
        .map(|(now, before)| change(*now, *before))
        .collect::<analysis::Result<Vec<_>>>()?;
    let p: Vec<f64> = diffs.iter().flatten().map(|d| d.p_value).collect();
    let mut adjusted = analysis::funnel::benjamini_hochberg(&p).into_iter();
    Ok(diffs
        .into_iter()
        .map(|d| {
            d.map(|mut difference| {
                let p_adjusted = adjusted.next().unwrap_or(1.0);
                difference.significant &= p_adjusted <= PAGE_FDR;
                PageChange {
                    difference,
                    p_adjusted,
                }
            })
        })
        .collect())
}

/// One change of a page: the difference (its `significant` already controlled across the
/// page) and its Benjamini–Hochberg adjusted p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageChange {
    pub difference: Difference,
    pub p_adjusted: f64,
}

/// An agency's page of changes: the overall SIPAS (index 0), then each factor, each against
/// the previous period (at 2i) and the same period a year earlier (at 2i + 1), controlled
/// together. What the dashboard shows and the read API returns.
pub fn agency_changes(
    now: Option<&IndexReport>,
    previous: Option<&IndexReport>,
    year_ago: Option<&IndexReport>,
    factors: usize,
) -> analysis::Result<Vec<Option<PageChange>>> {
    let pick = |rep: Option<&IndexReport>, i: usize| {
        rep.and_then(|rep| {
            if i == 0 {
                rep.overall
            } else {
                rep.factors.get(i - 1).copied().flatten()
            }
        })
    };
    let pairs: Vec<_> = (0..=factors)
        .flat_map(|i| {
            [
                (pick(now, i), pick(previous, i)),
                (pick(now, i), pick(year_ago, i)),
            ]
        })
        .collect();
    changes_on_a_page(&pairs)
}

/// Whether an index meets its target, judged by its interval, never by the point alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetVerdict {
    /// The whole interval is at or above the target.
    Met,
    /// The whole interval is below the target.
    NotMet,
    /// The interval straddles the target (or there are too few answers).
    CannotTell,
}

pub fn verdict(index: Option<IndexEstimate>, target: f64) -> TargetVerdict {
    match index {
        Some(e) if !e.suppressed && e.ci_low >= target => TargetVerdict::Met,
        Some(e) if !e.suppressed && e.ci_high < target => TargetVerdict::NotMet,
        _ => TargetVerdict::CannotTell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn earlier_periods_have_the_same_days() {
        assert_eq!(
            previous_period(d(2026, 3, 1), d(2026, 3, 31)),
            (d(2026, 1, 29), d(2026, 2, 28)),
            "31 days before March"
        );
        assert_eq!(
            year_earlier(d(2024, 2, 29), d(2024, 3, 31)),
            (d(2023, 2, 28), d(2023, 3, 31))
        );
        assert_eq!(trend_start(d(2026, 11, 28)), d(2025, 12, 1));
        assert_eq!(
            window_start(d(2026, 11, 1), d(2026, 11, 28)),
            d(2025, 11, 1),
            "the year-earlier period starts first"
        );
    }

    fn est(p: f64, lo: f64, hi: f64) -> IndexEstimate {
        IndexEstimate {
            estimate: p,
            se: (hi - lo) / 3.92,
            ci_low: lo,
            ci_high: hi,
            n: 100,
            df: 99.0,
            deff: None,
            suppressed: false,
        }
    }

    #[test]
    fn targets_are_judged_by_the_interval() {
        assert_eq!(
            verdict(Some(est(0.99, 0.981, 0.995)), 0.98),
            TargetVerdict::Met
        );
        // The point is above the target but the interval is not: cannot tell yet.
        assert_eq!(
            verdict(Some(est(0.985, 0.97, 0.99)), 0.98),
            TargetVerdict::CannotTell
        );
        assert_eq!(
            verdict(Some(est(0.9, 0.88, 0.92)), 0.98),
            TargetVerdict::NotMet
        );
        let mut small = est(0.5, 0.1, 0.9);
        small.suppressed = true;
        assert_eq!(verdict(Some(small), 0.98), TargetVerdict::CannotTell);
        assert_eq!(verdict(None, 0.98), TargetVerdict::CannotTell);
    }

    #[test]
    fn a_lone_small_change_among_a_page_of_comparisons_gets_no_badge() {
        // One change of p ≈ 0.03 among eleven of p ≈ 0.7: significant alone, not once the
        // page's twelve comparisons are taken together (BH: 0.03 × 12 = 0.36).
        let now = est(0.80, 0.78, 0.82);
        let moved = est(0.768, 0.748, 0.788);
        let same = est(0.795, 0.775, 0.815);
        let mut pairs = vec![(Some(now), Some(moved))];
        pairs.extend(std::iter::repeat_n((Some(now), Some(same)), 11));
        let alone = change(Some(now), Some(moved)).unwrap().unwrap();
        assert!(alone.significant && alone.p_value < 0.05, "{alone:?}");
        let page = changes_on_a_page(&pairs).unwrap();
        assert!(page.iter().all(|d| !d.unwrap().difference.significant));
        // R: p.adjust(p, "BH") for one p of the twelve and eleven equal ones.
        let first = page[0].unwrap();
        assert!(
            (first.p_adjusted
                - (first.difference.p_value * 12.0).min(page[1].unwrap().difference.p_value))
            .abs()
                < 1e-12
        );
        // A change that is large stays flagged.
        let far = est(0.60, 0.58, 0.62);
        pairs[0] = (Some(now), Some(far));
        assert!(
            changes_on_a_page(&pairs).unwrap()[0]
                .unwrap()
                .difference
                .significant
        );
    }
}
