//! An index as it is published: a percentage with two decimals. Every rule applied to a
//! published index (PAR points, brackets) reads that printed figure, never the unrounded
//! share behind it, so a unit published as "62,07%" is scored as 62,07%.

/// The printed percentage of a share (0–1), two decimals, with a decimal point.
pub fn percent_text(share: f64) -> String {
    format!("{:.2}", 100.0 * share)
}

/// The printed percentage in hundredths of a percent ("62.07" → 6207): exact, so that
/// comparisons with a bound written with two decimals are exact too.
pub fn hundredths(share: f64) -> i64 {
    let text = percent_text(share);
    let (whole, decimals) = text.split_once('.').unwrap_or((&text, "00"));
    let whole: i64 = whole.parse().unwrap_or(0);
    let decimals: i64 = decimals.parse().unwrap_or(0);
    if text.starts_with('-') {
        whole * 100 - decimals
    } else {
        whole * 100 + decimals
    }
}

/// The share (0–1) that the printed percentage stands for.
pub fn share(share: f64) -> f64 {
    hundredths(share) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_figure_is_the_printed_one() {
        // The red team's unit: 0.620694 prints as 62,07%.
        assert_eq!(percent_text(0.620694), "62.07");
        assert_eq!(hundredths(0.620694), 6207);
        assert_eq!(hundredths(0.620649), 6206);
        assert_eq!(hundredths(1.0), 10_000);
        assert_eq!(hundredths(0.0), 0);
        assert_eq!(hundredths(0.95), 9500);
        assert_eq!(share(0.85374), 0.8537);
    }
}
