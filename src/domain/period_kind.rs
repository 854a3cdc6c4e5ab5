//! What kind of period a publication covers, its name as people write it, and which published
//! periods a new one may stand beside (issue #20, point 4).
//!
//! Calendar periods — a month, a quarter, a half-year, a year — either nest or do not touch,
//! and the difference of two nested ones is again a union of months: publishing October, the
//! fourth quarter and the year tells no more than the months do. Any other span ("custom") may
//! not overlap a published period at all: 1–31 October beside 1–30 October would publish the
//! ratings of 31 October alone, under the minimum n the pages keep.

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Half,
    Year,
    Custom,
}

/// The last day of a month.
fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

impl PeriodKind {
    /// The kind of the period `from`–`to` (both days included).
    pub fn of(from: NaiveDate, to: NaiveDate) -> PeriodKind {
        if from.day() != 1 || from.year() != to.year() {
            return PeriodKind::Custom;
        }
        let months = to.month() as i64 - from.month() as i64 + 1;
        if month_end(to.year(), to.month()) != Some(to) {
            return PeriodKind::Custom;
        }
        let first = from.month();
        match months {
            1 => PeriodKind::Month,
            3 if first % 3 == 1 => PeriodKind::Quarter,
            6 if first == 1 || first == 7 => PeriodKind::Half,
            12 => PeriodKind::Year,
            _ => PeriodKind::Custom,
        }
    }

    pub fn is_calendar(self) -> bool {
        self != PeriodKind::Custom
    }
}

/// The period's name as a Vietnamese reader writes it: "tháng 10/2026", "quý IV/2026",
/// "6 tháng đầu năm 2026", "năm 2026", or "15/09/2026 – 15/10/2026".
pub fn name_vi(from: NaiveDate, to: NaiveDate) -> String {
    let y = from.year();
    match PeriodKind::of(from, to) {
        PeriodKind::Month => format!("tháng {}/{y}", from.month()),
        PeriodKind::Quarter => {
            let q = ["I", "II", "III", "IV"][(from.month0() / 3) as usize];
            format!("quý {q}/{y}")
        }
        PeriodKind::Half if from.month() == 1 => format!("6 tháng đầu năm {y}"),
        PeriodKind::Half => format!("6 tháng cuối năm {y}"),
        PeriodKind::Year => format!("năm {y}"),
        PeriodKind::Custom => format!("{} – {}", from.format("%d/%m/%Y"), to.format("%d/%m/%Y")),
    }
}

/// The period's name in English: "October 2026", "Q3 2026", "first half of 2026", "2026", or
/// "15/09/2026 – 15/10/2026".
pub fn name_en(from: NaiveDate, to: NaiveDate) -> String {
    let y = from.year();
    match PeriodKind::of(from, to) {
        PeriodKind::Month => format!("{} {y}", from.format("%B")),
        PeriodKind::Quarter => format!("Q{} {y}", from.month0() / 3 + 1),
        PeriodKind::Half if from.month() == 1 => format!("first half of {y}"),
        PeriodKind::Half => format!("second half of {y}"),
        PeriodKind::Year => y.to_string(),
        PeriodKind::Custom => format!("{} – {}", from.format("%d/%m/%Y"), to.format("%d/%m/%Y")),
    }
}

/// Whether a new period may be published beside one already published: yes when they do not
/// overlap, or when both are calendar periods (which then nest).
pub fn may_stand_beside(new: (NaiveDate, NaiveDate), published: (NaiveDate, NaiveDate)) -> bool {
    let overlap = new.0 <= published.1 && published.0 <= new.1;
    !overlap
        || (PeriodKind::of(new.0, new.1).is_calendar()
            && PeriodKind::of(published.0, published.1).is_calendar())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn kinds_and_names() {
        let cases = [
            (
                "2026-10-01",
                "2026-10-31",
                PeriodKind::Month,
                "tháng 10/2026",
            ),
            (
                "2024-02-01",
                "2024-02-29",
                PeriodKind::Month,
                "tháng 2/2024",
            ),
            (
                "2026-07-01",
                "2026-09-30",
                PeriodKind::Quarter,
                "quý III/2026",
            ),
            (
                "2026-01-01",
                "2026-06-30",
                PeriodKind::Half,
                "6 tháng đầu năm 2026",
            ),
            (
                "2026-07-01",
                "2026-12-31",
                PeriodKind::Half,
                "6 tháng cuối năm 2026",
            ),
            ("2026-01-01", "2026-12-31", PeriodKind::Year, "năm 2026"),
            (
                "2026-09-15",
                "2026-10-15",
                PeriodKind::Custom,
                "15/09/2026 – 15/10/2026",
            ),
            // Three months not starting a quarter; a month cut short; across a new year.
            (
                "2026-02-01",
                "2026-04-30",
                PeriodKind::Custom,
                "01/02/2026 – 30/04/2026",
            ),
            (
                "2026-10-01",
                "2026-10-30",
                PeriodKind::Custom,
                "01/10/2026 – 30/10/2026",
            ),
            (
                "2026-12-01",
                "2027-01-31",
                PeriodKind::Custom,
                "01/12/2026 – 31/01/2027",
            ),
        ];
        for (from, to, kind, name) in cases {
            assert_eq!(PeriodKind::of(d(from), d(to)), kind, "{from}–{to}");
            assert_eq!(name_vi(d(from), d(to)), name);
        }
        let en = |f: &str, t: &str| name_en(d(f), d(t));
        assert_eq!(en("2026-10-01", "2026-10-31"), "October 2026");
        assert_eq!(en("2026-07-01", "2026-09-30"), "Q3 2026");
        assert_eq!(en("2026-07-01", "2026-12-31"), "second half of 2026");
        assert_eq!(en("2026-01-01", "2026-12-31"), "2026");
        assert_eq!(en("2026-09-15", "2026-10-15"), "15/09/2026 – 15/10/2026");
    }

    #[test]
    fn calendar_periods_nest_and_others_stand_apart() {
        let q3 = (d("2026-07-01"), d("2026-09-30"));
        let october = (d("2026-10-01"), d("2026-10-31"));
        let q4 = (d("2026-10-01"), d("2026-12-31"));
        let year = (d("2026-01-01"), d("2026-12-31"));
        let straddle = (d("2026-09-15"), d("2026-10-15"));
        assert!(may_stand_beside(october, q3), "apart");
        assert!(may_stand_beside(october, q4), "nested");
        assert!(may_stand_beside(year, q4), "nested");
        assert!(!may_stand_beside(straddle, q3));
        assert!(!may_stand_beside(straddle, october));
        assert!(!may_stand_beside(q4, straddle));
        // 1–30 October beside October: the difference is one day.
        assert!(!may_stand_beside(
            (d("2026-10-01"), d("2026-10-30")),
            october
        ));
        // A custom period touching none.
        assert!(may_stand_beside(
            (d("2026-11-03"), d("2026-11-20")),
            october
        ));
    }
}
