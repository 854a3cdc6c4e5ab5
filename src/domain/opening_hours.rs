//! A desk's opening hours, as an administrator types them in Vietnamese:
//! `T2-T6 07:30-11:30 13:30-17:00; T7 07:30-11:30` — groups split by `;`, each the days (`T2`…
//! `T7`, `CN`; a range `T2-T6` or a list `T2,T4`) and one or more times `HH:MM-HH:MM`.
//! Screening holds a rating given outside them (with a grace before and after).

use chrono::{NaiveTime, Weekday};

/// When no hours are set for a desk: Monday to Saturday, 07:00–17:30.
pub const DEFAULT: &str = "T2-T7 07:00-17:30";

/// Minutes before opening and after closing that still count as open (a citizen rating on the
/// way out).
pub const GRACE_MINUTES: i64 = 30;

#[derive(Clone, Debug, PartialEq)]
pub struct OpeningHours {
    /// Per day (Monday first), the open ranges in minutes after midnight.
    days: [Vec<(u32, u32)>; 7],
}

/// Why a text is not opening hours, in Vietnamese and English.
#[derive(Clone, Debug, PartialEq)]
pub struct HoursError {
    pub vi: String,
    pub en: String,
}

fn refuse(part: &str, vi: &str, en: &str) -> HoursError {
    // Only the part's first characters, and never a control or bidi character, go back into a
    // message.
    let shown: String = part
        .chars()
        .filter(|c| !c.is_control() && !('\u{200B}'..='\u{206F}').contains(c) && *c != '\u{FEFF}')
        .take(24)
        .collect();
    HoursError {
        vi: format!("“{shown}”: {vi}"),
        en: format!("'{shown}': {en}"),
    }
}

fn day(s: &str) -> Option<usize> {
    match s {
        "T2" => Some(0),
        "T3" => Some(1),
        "T4" => Some(2),
        "T5" => Some(3),
        "T6" => Some(4),
        "T7" => Some(5),
        "CN" => Some(6),
        _ => None,
    }
}

fn minutes(s: &str) -> Option<u32> {
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    (s.len() == 5).then(|| t.hour_minutes())
}

trait HourMinutes {
    fn hour_minutes(&self) -> u32;
}

impl HourMinutes for NaiveTime {
    fn hour_minutes(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<OpeningHours, HoursError> {
        let mut days: [Vec<(u32, u32)>; 7] = Default::default();
        let groups: Vec<&str> = text
            .split(';')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .collect();
        if groups.is_empty() {
            return Err(refuse(
                text,
                "chưa có giờ làm việc nào",
                "no opening hours given",
            ));
        }
        for group in groups {
            let mut words = group.split_whitespace();
            let which = words.next().unwrap_or_default();
            let mut chosen = Vec::new();
            for item in which.split(',') {
                match item.split_once('-') {
                    Some((a, b)) => match (day(a), day(b)) {
                        (Some(a), Some(b)) if a <= b => chosen.extend(a..=b),
                        _ => {
                            return Err(refuse(
                                item,
                                "khoảng ngày phải như T2-T6 (T2 … T7, CN)",
                                "a range of days reads like T2-T6 (T2 … T7, CN)",
                            ))
                        }
                    },
                    None => match day(item) {
                        Some(d) => chosen.push(d),
                        None => {
                            return Err(refuse(
                                item,
                                "ngày phải là T2, T3, T4, T5, T6, T7 hoặc CN",
                                "a day is T2, T3, T4, T5, T6, T7 or CN",
                            ))
                        }
                    },
                }
            }
            let mut ranges = Vec::new();
            for range in words {
                let parsed = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)))
                    .filter(|(a, b)| a < b);
                match parsed {
                    Some(r) => ranges.push(r),
                    None => {
                        return Err(refuse(
                            range,
                            "giờ phải như 07:30-11:30, giờ mở trước giờ đóng",
                            "a time range reads like 07:30-11:30, opening before closing",
                        ))
                    }
                }
            }
            if ranges.is_empty() {
                return Err(refuse(
                    group,
                    "thiếu giờ, ví dụ T2-T6 07:30-17:00",
                    "no times, e.g. T2-T6 07:30-17:00",
                ));
            }
            for d in chosen {
                days[d].extend(ranges.iter().copied());
            }
        }
        Ok(OpeningHours { days })
    }

    /// Whether a moment (weekday, minutes after midnight, in Vietnam) falls within the hours,
    /// widened by the grace on both sides.
    pub fn open_at(&self, weekday: Weekday, minute: u32) -> bool {
        let grace = GRACE_MINUTES as u32;
        self.days[weekday.num_days_from_monday() as usize]
            .iter()
            .any(|(a, b)| minute + grace >= *a && minute <= b + grace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_as_typed_and_open_with_a_grace() {
        let h = OpeningHours::parse("T2-T6 07:30-11:30 13:30-17:00; T7 07:30-11:30").unwrap();
        let at = |h: &OpeningHours, d, hh: u32, mm: u32| h.open_at(d, hh * 60 + mm);
        assert!(at(&h, Weekday::Mon, 7, 30));
        assert!(
            at(&h, Weekday::Mon, 7, 0),
            "half an hour early still counts"
        );
        assert!(!at(&h, Weekday::Mon, 6, 59));
        assert!(at(&h, Weekday::Fri, 17, 30));
        assert!(!at(&h, Weekday::Fri, 17, 31));
        assert!(!at(&h, Weekday::Tue, 12, 30), "the lunch break");
        assert!(at(&h, Weekday::Sat, 11, 0));
        assert!(!at(&h, Weekday::Sat, 14, 0));
        assert!(!at(&h, Weekday::Sun, 9, 0), "closed on Sundays");
        let d = OpeningHours::parse(DEFAULT).unwrap();
        assert!(d.open_at(Weekday::Sat, 16 * 60) && !d.open_at(Weekday::Sun, 10 * 60));
        let list = OpeningHours::parse("T2,T4,CN 08:00-10:00").unwrap();
        assert!(list.open_at(Weekday::Sun, 9 * 60) && !list.open_at(Weekday::Tue, 9 * 60));
    }

    #[test]
    fn malformed_hours_are_refused_by_the_part_that_is_wrong() {
        for (text, part) in [
            ("", ""),
            ("T8 07:00-17:00", "T8"),
            ("T6-T2 07:00-17:00", "T6-T2"),
            ("T2-T6", "T2-T6"),
            ("T2-T6 17:00-07:00", "17:00-07:00"),
            ("T2-T6 7:00-17:00", "7:00-17:00"),
            ("T2-T6 07:00-24:00", "07:00-24:00"),
            ("Thứ hai 07:00-17:00", "Thứ"),
            ("T2\u{202E} 07:00-17:00", "T2"),
        ] {
            let err = OpeningHours::parse(text).unwrap_err();
            assert!(
                err.vi.contains(part) && err.en.contains(part),
                "{text}: {err:?}"
            );
            assert!(!err.vi.contains('\u{202E}'));
        }
    }
}
