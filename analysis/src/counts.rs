//! Whether a count is plausible against its own history: the upper tail of a count model with
//! the history's mean and variance — negative binomial where the counts are overdispersed,
//! Poisson where they are not. Used to tell a burst of ratings at one desk from a busy hour,
//! to find where the burst began, and to tell a clerk's repeated answers from a desk's habits.

use statrs::distribution::{Binomial, DiscreteCDF, NegativeBinomial, Poisson};

/// P(X ≥ k) for a count X with this `mean` and `variance` (negative binomial with size
/// mean² ÷ (variance − mean) when variance > mean, else Poisson). A mean that is not positive
/// and finite gives 1 for k = 0 and 0 above (nothing was ever expected).
pub fn upper_tail(k: u64, mean: f64, variance: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if !(mean.is_finite() && mean > 0.0) {
        return 0.0;
    }
    if variance.is_finite() && variance > mean {
        let size = mean * mean / (variance - mean);
        let p = size / (size + mean);
        if let Ok(nb) = NegativeBinomial::new(size, p) {
            return nb.sf(k - 1);
        }
    }
    match Poisson::new(mean) {
        Ok(poisson) => poisson.sf(k - 1),
        Err(_) => 0.0,
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p): how unusual it is that `k` of `n` ratings gave answers
/// that a share `p` of ratings gives. `p` outside [0, 1] is clamped.
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    match Binomial::new(p.clamp(0.0, 1.0), n) {
        Ok(b) => b.sf(k - 1),
        Err(_) => 0.0,
    }
}

/// The likeliest cluster among events at `times` (seconds, ascending) given a known `rate`
/// (events per second): the run of consecutive events `start..end` whose count n, against the
/// count e = rate × span expected over its span (never under `min_span` seconds), maximises
/// the Poisson log-likelihood ratio n ln(n/e) − (n − e) (Kulldorff's scan statistic with a
/// known baseline; M. Kulldorff, "A spatial scan statistic", Communications in Statistics —
/// Theory and Methods 26 (1997) 1481–1496). A burst is then held from its own start to its
/// own end: the ratings that came before it or after it at the desk's usual pace are not in it.
/// None when no run of two or more is denser than the rate.
pub fn likeliest_cluster(
    times: &[f64],
    rate: f64,
    min_span: f64,
) -> Option<std::ops::Range<usize>> {
    if !(rate.is_finite() && rate > 0.0 && min_span > 0.0) {
        return None;
    }
    let mut best: Option<(f64, std::ops::Range<usize>)> = None;
    for start in 0..times.len() {
        // A cluster is at least two events: one alone has no rate.
        for end in start + 2..=times.len() {
            let n = (end - start) as f64;
            let span = (times[end - 1] - times[start]).max(min_span);
            let e = rate * span;
            if n <= e {
                continue;
            }
            let llr = n * (n / e).ln() - (n - e);
            // Ties go to the longer run (the later end), so a burst is held whole.
            if best.as_ref().is_none_or(|(b, _)| llr >= *b) {
                best = Some((llr, start..end));
            }
        }
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-9 * want.max(1e-300),
            "{got} vs {want}"
        );
    }

    #[test]
    fn the_tails_equal_rs_pnbinom_and_ppois() {
        // R 4.2: pnbinom(9, size = 1, mu = 1, lower.tail = FALSE) = 0.0009765625
        // (mean 1, variance 2: a geometric count, 0.5^10).
        close(upper_tail(10, 1.0, 2.0), 0.0009765625);
        // pnbinom(16, size = 3, mu = 3, lower.tail = FALSE) = 0.000364303588867188
        close(upper_tail(17, 3.0, 6.0), 0.000364303588867188);
        // pnbinom(11, size = 2.5, mu = 2, lower.tail = FALSE) = 0.000976701147599832
        // (variance 2 + 4 / 2.5 = 3.6).
        close(upper_tail(12, 2.0, 3.6), 0.000976701147599832);
        // ppois(4, 0.5, lower.tail = FALSE) = 0.000172115629955841
        close(upper_tail(5, 0.5, 0.5), 0.000172115629955841);
        // ppois(12, 3.2, lower.tail = FALSE) = 3.11376237985304e-05 (underdispersed history:
        // Poisson).
        close(upper_tail(13, 3.2, 2.0), 3.11376237985304e-05);
    }

    #[test]
    fn the_binomial_tail_equals_rs_pbinom() {
        // R 4.2, options(digits = 17): pbinom(9, 16, 0.05, lower.tail = FALSE)
        // = 5.9173596857452493e-10; pbinom(9, 16, 0.4, lower.tail = FALSE)
        // = 0.058318944993280088.
        close(binomial_upper_tail(10, 16, 0.05), 5.917_359_685_745_249e-10);
        close(binomial_upper_tail(10, 16, 0.4), 0.058_318_944_993_280_09);
        assert_eq!(binomial_upper_tail(0, 5, 0.3), 1.0);
        assert_eq!(binomial_upper_tail(6, 5, 0.3), 0.0);
        assert!((binomial_upper_tail(5, 5, 0.5) - 0.03125).abs() < 1e-15);
    }

    #[test]
    fn a_burst_is_found_where_it_began_and_ended() {
        // One rating per ten minutes expected. Two ordinary ratings eight and three minutes
        // before a burst of thirty in two seconds, and one four minutes after it: the cluster is
        // the thirty alone. Its ratio, 30 ln(30 / (10/600)) − (30 − 10/600) ≈ 195, beats the
        // thirty-one from three minutes before (31 ln(31 / 0.3) − 30.7 ≈ 113).
        let rate = 1.0 / 600.0;
        let mut times = vec![0.0, 300.0];
        times.extend((0..30).map(|i| 480.0 + f64::from(i) / 15.0));
        times.push(720.0);
        assert_eq!(likeliest_cluster(&times, rate, 10.0), Some(2..32));
        // Ratings spread evenly at twice the usual pace: the cluster is all of them.
        let even: Vec<f64> = (0..15).map(|i| f64::from(i) * 40.0).collect();
        assert_eq!(likeliest_cluster(&even, rate, 10.0), Some(0..15));
        // Nothing denser than the rate: no cluster.
        assert_eq!(likeliest_cluster(&[0.0, 6_000.0], rate, 10.0), None);
        assert_eq!(likeliest_cluster(&[], rate, 10.0), None);
        assert_eq!(likeliest_cluster(&[1.0], 0.0, 10.0), None);
    }

    #[test]
    fn edges() {
        assert_eq!(upper_tail(0, 0.0, 0.0), 1.0);
        assert_eq!(upper_tail(1, 0.0, 0.0), 0.0);
        assert_eq!(upper_tail(3, f64::NAN, 1.0), 0.0);
        assert!(upper_tail(1, 2.0, f64::INFINITY) > 0.8);
    }
}
