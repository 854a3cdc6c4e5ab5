//! Whether a count is plausible against its own history: the upper tail of a count model with
//! the history's mean and variance — negative binomial where the counts are overdispersed,
//! Poisson where they are not. Used to tell a burst of ratings at one desk from a busy hour.

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

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
    fn edges() {
        assert_eq!(upper_tail(0, 0.0, 0.0), 1.0);
        assert_eq!(upper_tail(1, 0.0, 0.0), 0.0);
        assert_eq!(upper_tail(3, f64::NAN, 1.0), 0.0);
        assert!(upper_tail(1, 2.0, f64::INFINITY) > 0.8);
    }
}
