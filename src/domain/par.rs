//! PAR points: the satisfaction component of each unit's administrative-reform (PAR-index)
//! score sheet, from the rule Home Affairs sets for the year. Either proportional to the index
//! (points = maximum × index, the conversion of the PAR-index methodology), or a bracket table
//! (the highest bracket whose lower bound the index reaches). Units below the minimum n get no
//! points from this component ("not assessed"), never zero by default.

use serde::{Deserialize, Serialize};

use super::published;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bracket {
    /// Lower bound of the index (a share, 0–1), inclusive.
    pub min: f64,
    pub points: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Linear {
        max_points: f64,
    },
    /// Highest bound first.
    Brackets {
        max_points: f64,
        brackets: Vec<Bracket>,
    },
}

impl Rule {
    pub fn max_points(&self) -> f64 {
        match self {
            Rule::Linear { max_points } | Rule::Brackets { max_points, .. } => *max_points,
        }
    }

    /// The points of an index (a share, 0–1), read as it is published (two decimals of a
    /// percent, `published`), rounded to two decimals as score sheets print. Bracket bounds
    /// are inclusive, as written.
    pub fn points(&self, index: f64) -> f64 {
        let shown = published::hundredths(index);
        let raw = match self {
            Rule::Linear { max_points } => max_points * (shown as f64 / 10_000.0).clamp(0.0, 1.0),
            Rule::Brackets { brackets, .. } => brackets
                .iter()
                .find(|b| shown >= published::hundredths(b.min))
                .map_or(0.0, |b| b.points),
        };
        (raw * 100.0).round() / 100.0
    }

    /// The rule in words, printed under the table and in the export.
    pub fn describe_vi(&self) -> String {
        match self {
            Rule::Linear { max_points } => format!(
                "Điểm = {} × chỉ số SIPAS chung của năm như được công bố (số % với hai chữ số thập phân, quy ra tỷ lệ 0–1), làm tròn 2 chữ số thập phân.",
                number_vi(*max_points)
            ),
            Rule::Brackets {
                max_points,
                brackets,
            } => {
                let parts: Vec<String> = brackets
                    .iter()
                    .map(|b| {
                        format!(
                            "từ {}%: {} điểm",
                            number_vi(100.0 * b.min),
                            number_vi(b.points)
                        )
                    })
                    .collect();
                format!(
                    "Tối đa {} điểm, theo khung (so với chỉ số như được công bố, hai chữ số thập phân; tính cả cận dưới): {}; dưới khung thấp nhất: 0 điểm.",
                    number_vi(*max_points),
                    parts.join("; ")
                )
            }
        }
    }
}

fn number_vi(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('.', ",")
}

fn number(raw: &str) -> Option<f64> {
    let v: f64 = raw.trim().replace(',', ".").parse().ok()?;
    v.is_finite().then_some(v)
}

/// Parses a maximum ("2", "2,5") and, for brackets, a table typed as `95:2; 90:1,5; 80:1`
/// (index % : points). Every refusal says which part is wrong.
pub fn parse(max_points: &str, kind: &str, brackets: &str) -> Result<Rule, String> {
    let max = number(max_points)
        .filter(|m| *m > 0.0 && *m <= 100.0)
        .ok_or("Điểm tối đa phải là một số lớn hơn 0 và không quá 100.")?;
    match kind {
        "linear" => Ok(Rule::Linear { max_points: max }),
        "brackets" => {
            let mut list = Vec::new();
            for (i, part) in brackets
                .split([';', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .enumerate()
            {
                let (lo, pts) = part.split_once(':').ok_or_else(|| {
                    format!(
                        "Khung thứ {}: “{part}” phải có dạng chỉ số%:điểm, ví dụ 95:2.",
                        i + 1
                    )
                })?;
                let lo_text = lo.trim().trim_end_matches('%').trim();
                let lo = number(lo_text)
                    .filter(|v| (0.0..=100.0).contains(v))
                    .ok_or_else(|| format!("Khung thứ {}: chỉ số phải từ 0 đến 100.", i + 1))?;
                // A bound is compared with the published figure, which has two decimals.
                if lo_text
                    .split_once([',', '.'])
                    .is_some_and(|(_, d)| d.len() > 2)
                {
                    return Err(format!(
                        "Khung thứ {}: chỉ số có tối đa hai chữ số thập phân, như chỉ số được công bố.",
                        i + 1
                    ));
                }
                let pts = number(pts)
                    .filter(|p| *p >= 0.0 && *p <= max)
                    .ok_or_else(|| {
                        format!("Khung thứ {}: điểm phải từ 0 đến điểm tối đa.", i + 1)
                    })?;
                list.push(Bracket {
                    min: lo / 100.0,
                    points: pts,
                });
            }
            if list.is_empty() {
                return Err("Hãy nhập ít nhất một khung, ví dụ 95:2; 90:1,5; 80:1.".into());
            }
            list.sort_by(|a, b| b.min.total_cmp(&a.min));
            if list.windows(2).any(|w| w[0].min == w[1].min) {
                return Err("Hai khung có cùng chỉ số tối thiểu.".into());
            }
            if list.windows(2).any(|w| w[0].points < w[1].points) {
                return Err("Khung có chỉ số cao hơn không được có ít điểm hơn.".into());
            }
            Ok(Rule::Brackets {
                max_points: max,
                brackets: list,
            })
        }
        _ => Err("Hãy chọn cách tính điểm: tỷ lệ thuận hoặc theo khung.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_points_are_proportional_to_the_index() {
        let r = parse("2", "linear", "").unwrap();
        assert_eq!(r.points(0.8537), 1.71);
        assert_eq!(r.points(1.0), 2.0);
        assert_eq!(r.points(0.0), 0.0);
    }

    #[test]
    fn brackets_give_the_highest_bracket_reached() {
        let r = parse("2", "brackets", "80:1; 95:2\n90:1,5").unwrap();
        assert_eq!(r.points(0.97), 2.0);
        assert_eq!(r.points(0.95), 2.0, "the bound is inclusive");
        assert_eq!(r.points(0.9499), 1.5);
        assert_eq!(r.points(0.85), 1.0);
        assert_eq!(r.points(0.5), 0.0);
        assert!(r.describe_vi().contains("từ 95%: 2 điểm"));
    }

    #[test]
    fn points_read_the_published_figure_with_inclusive_bounds() {
        // The red team's case: 0.620694 is published as 62,07% and reaches "62,07 → 0,5".
        let r = parse("2", "brackets", "62,07:0,5; 80:1").unwrap();
        assert_eq!(r.points(0.620694), 0.5);
        assert_eq!(r.points(0.620649), 0.0, "published as 62,06%");
        assert_eq!(r.points(0.79995), 1.0, "published as 80,00%");
        assert_eq!(r.points(0.799949), 0.5, "published as 79,99%");
        // Linear points are the maximum times the published figure.
        let r = parse("2", "linear", "").unwrap();
        assert_eq!(r.points(0.853749), 1.71);
        assert_eq!(r.points(0.8574999), 1.72, "85,75% × 2 = 1,715 → 1,72");
        assert!(parse("2", "brackets", "62,075:1")
            .unwrap_err()
            .contains("hai chữ số"));
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        assert!(parse("0", "linear", "")
            .unwrap_err()
            .contains("Điểm tối đa"));
        assert!(parse("2", "brackets", "")
            .unwrap_err()
            .contains("ít nhất một khung"));
        assert!(parse("2", "brackets", "95-2")
            .unwrap_err()
            .contains("Khung thứ 1"));
        assert!(parse("2", "brackets", "95:3")
            .unwrap_err()
            .contains("điểm tối đa"));
        assert!(parse("2", "brackets", "95:1; 90:2")
            .unwrap_err()
            .contains("ít điểm hơn"));
        assert!(parse("2", "brackets", "95:1; 95:1")
            .unwrap_err()
            .contains("cùng"));
        assert!(parse("2", "other", "").is_err());
    }
}
