//! The filters that every results view shares — dashboard, ranking, their exports and the API
//! — parsed by one function, so a period means the same days everywhere.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

/// A results query as it arrives (all optional; parsed by [`PeriodQuery::parse`]).
#[derive(Deserialize, Default, Clone)]
pub struct PeriodQuery {
    /// `month`, `last_month`, `quarter` or `year` (to date, Vietnamese calendar); anything
    /// else, or nothing, uses `from` and `to` (default: this month to date).
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
}

pub use crate::results::periods::{today_in_vietnam, PeriodFilter, CHANNELS, KINDS};

/// What is wrong with a query, for staff (Vietnamese) and the API (English).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterError {
    Date(&'static str),
    /// A date outside the years the service holds (2000–2100).
    OutOfRange(&'static str),
    Reversed,
    Channel,
    Kind,
}

impl FilterError {
    pub fn vi(self) -> String {
        match self {
            FilterError::Date(field) => {
                format!(
                    "{}: ngày phải có dạng năm-tháng-ngày (YYYY-MM-DD).",
                    field_vi(field)
                )
            }
            FilterError::OutOfRange(field) => format!(
                "{}: ngày phải trong khoảng 01/01/2000 đến 31/12/2100.",
                field_vi(field)
            ),
            FilterError::Reversed => "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.".into(),
            FilterError::Channel => {
                "Kênh không có trong danh sách (desk_qr, kiosk, receipt_qr).".into()
            }
            FilterError::Kind => {
                "Loại người đánh giá không có trong danh sách (individual, organisation).".into()
            }
        }
    }

    pub fn en(self) -> String {
        match self {
            FilterError::Date(field) => format!("{field}: a date must read YYYY-MM-DD"),
            FilterError::OutOfRange(field) => {
                format!("{field}: a date must be between 2000-01-01 and 2100-12-31")
            }
            FilterError::Reversed => "from must be on or before to".into(),
            FilterError::Channel => "channel must be desk_qr, kiosk or receipt_qr".into(),
            FilterError::Kind => "kind must be individual or organisation".into(),
        }
    }
}

/// A date field's name as the filter form labels it.
fn field_vi(field: &str) -> &'static str {
    match field {
        "from" => "Từ ngày",
        "to" => "Đến ngày",
        _ => "Ngày",
    }
}

impl From<FilterError> for super::errors::Fault {
    fn from(e: FilterError) -> Self {
        let field = match e {
            FilterError::Date(field) | FilterError::OutOfRange(field) => field,
            FilterError::Reversed => "from",
            FilterError::Channel => "channel",
            FilterError::Kind => "kind",
        };
        super::errors::Fault::Invalid(vec![crate::domain::FieldError {
            field: field.into(),
            message_vi: e.vi(),
            message_en: e.en(),
        }])
    }
}

/// A refused query parameter, for pages (Vietnamese) and the API (English) alike.
pub fn invalid(field: &str, vi: String, en: String) -> super::errors::Fault {
    crate::results::ranking_table::invalid(field, vi, en).into()
}

/// The named periods `period_bounds` knows.
pub const PERIODS: &[&str] = &["month", "last_month", "quarter", "year"];

impl PeriodQuery {
    /// The named period chosen ("month", …), shown selected again; "" for chosen dates.
    pub fn named(&self) -> &'static str {
        nonempty(&self.period)
            .and_then(|p| PERIODS.iter().find(|k| **k == p).copied())
            .unwrap_or("")
    }
}

pub fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The named periods, to date.
fn period_bounds(name: Option<&str>, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let start = |month: u32| NaiveDate::from_ymd_opt(today.year(), month, 1);
    match name? {
        "month" => Some((month_start(today), today)),
        "last_month" => {
            let end = month_start(today).pred_opt()?;
            Some((month_start(end), end))
        }
        "quarter" => Some((start((today.month0() / 3) * 3 + 1)?, today)),
        "year" => Some((start(1)?, today)),
        _ => None,
    }
}

fn one_of(
    raw: &Option<String>,
    allowed: &[&str],
    e: FilterError,
) -> Result<Option<String>, FilterError> {
    match nonempty(raw) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(_) => Err(e),
    }
}

impl PeriodQuery {
    pub fn parse(&self, today: NaiveDate) -> Result<PeriodFilter, FilterError> {
        let (from, to) = self.dates(today)?;
        if from > to {
            return Err(FilterError::Reversed);
        }
        self.filter(from, to)
    }

    /// As [`PeriodQuery::parse`], but two dates given the wrong way round bound the same
    /// period (the read API documents this; a page says which date is wrong instead).
    pub fn parse_either_order(&self, today: NaiveDate) -> Result<PeriodFilter, FilterError> {
        let (a, b) = self.dates(today)?;
        self.filter(a.min(b), a.max(b))
    }

    fn dates(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FilterError> {
        let date = |raw: &Option<String>, field, default| match nonempty(raw) {
            None => Ok(default),
            Some(s) => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| FilterError::Date(field))?;
                // Years the service holds: a year 0026 (a typo) or 9998 is refused, not
                // searched (and nothing downstream meets a date it cannot place).
                if !(2000..=2100).contains(&d.year()) {
                    return Err(FilterError::OutOfRange(field));
                }
                Ok(d)
            }
        };
        Ok(match period_bounds(nonempty(&self.period), today) {
            Some(bounds) => bounds,
            None => (
                date(&self.from, "from", month_start(today))?,
                date(&self.to, "to", today)?,
            ),
        })
    }

    fn filter(&self, from: NaiveDate, to: NaiveDate) -> Result<PeriodFilter, FilterError> {
        Ok(PeriodFilter {
            from,
            to,
            channel: one_of(&self.channel, CHANNELS, FilterError::Channel)?,
            kind: one_of(&self.kind, KINDS, FilterError::Kind)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(period: &str, from: &str, to: &str) -> PeriodQuery {
        let s = |v: &str| Some(v.to_owned());
        PeriodQuery {
            period: s(period),
            from: s(from),
            to: s(to),
            ..PeriodQuery::default()
        }
    }

    #[test]
    fn every_listed_period_name_has_bounds() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 17).unwrap();
        for name in PERIODS {
            assert!(period_bounds(Some(name), today).is_some(), "{name}");
        }
    }

    #[test]
    fn named_periods_are_read_in_the_vietnamese_calendar() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 17).unwrap();
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let bounds = |p| {
            let f = q(p, "", "").parse(today).unwrap();
            (f.from, f.to)
        };
        assert_eq!(bounds("month"), (d(5, 1), today));
        assert_eq!(bounds("last_month"), (d(4, 1), d(4, 30)));
        assert_eq!(bounds("quarter"), (d(4, 1), today));
        assert_eq!(bounds("year"), (d(1, 1), today));
        assert_eq!(bounds(""), (d(5, 1), today));
    }

    #[test]
    fn bad_filters_name_the_field() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 17).unwrap();
        assert_eq!(
            q("", "2026-13-01", "").parse(today),
            Err(FilterError::Date("from"))
        );
        assert_eq!(
            q("", "2026-05-02", "2026-05-01").parse(today),
            Err(FilterError::Reversed)
        );
        for (from, to, field) in [
            ("26-1-1", "2026-05-01", "from"),
            ("1899-01-01", "2026-05-01", "from"),
            ("2026-01-01", "9998-12-31", "to"),
        ] {
            assert_eq!(
                q("", from, to).parse(today),
                Err(FilterError::OutOfRange(field)),
                "{from} {to}"
            );
        }
        let mut bad = q("", "", "");
        bad.channel = Some("<script>".into());
        assert_eq!(bad.parse(today), Err(FilterError::Channel));
    }
}
