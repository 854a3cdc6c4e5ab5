//! Combining strata into one variance: the rule shared by the design accumulator (`design`)
//! and the joint moments (`linear`), including what to do with single-PSU strata.

use crate::error::{AnalysisError, Result};

/// What to do with a stratum that has a single PSU (R's `options(survey.lonely.psu)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LonelyPsu {
    /// Refuse to estimate.
    #[default]
    Fail,
    /// The PSU was sampled with certainty: it contributes no variance.
    Certainty,
    /// Leave the stratum out of the variance.
    Remove,
    /// Centre the stratum at the grand mean (zero for influence values) instead of its own mean.
    Adjust,
    /// Give the stratum the average variance of the other strata.
    Average,
}

/// Relative size below which Σz² − (Σz)²/n is rounding, not variance. When every PSU
/// contributes the same z (everyone answered alike), both terms, and often Σz² itself, are
/// sums of large terms that cancel; added in another order they differ in the last bits, and
/// the square root would turn 1e-18 into an SE of 1e-9 and a different interval.
pub(crate) const CANCELLATION: f64 = 1e-12;

/// Σz² − (Σz)²/n, or zero where it is smaller than rounding of terms of size `magnitude`.
fn centred(sum_sq: f64, square_of_sum_over_n: f64, magnitude: f64) -> f64 {
    let d = sum_sq - square_of_sum_over_n;
    if d <= CANCELLATION * magnitude.abs().max(sum_sq.abs()) {
        0.0
    } else {
        d
    }
}

/// The stratified with-replacement variance shared by every estimator: for each stratum
/// f_h n_h/(n_h − 1) [Σz² − (Σz)²/n_h], f_h = 1 − n_h/N_h; census strata add nothing; single-PSU
/// strata follow `lonely` as R's `survey.lonely.psu` does (`average` rescales by
/// strata present / strata with a variance). `head` gives (id, N_h, n_h); `influence` gives
/// (Σz, Σz², the size of the terms that make Σz²) and is called only where needed.
pub(crate) fn combine_strata<T>(
    strata: impl Iterator<Item = T>,
    lonely: LonelyPsu,
    head: impl Fn(&T) -> (u32, Option<f64>, u64),
    influence: impl Fn(&T) -> (f64, f64, f64),
) -> Result<f64> {
    let mut total = 0.0;
    let (mut present, mut ok) = (0u32, 0u32);
    for s in strata {
        let (id, pop, n_psu) = head(&s);
        present += 1;
        let n = n_psu as f64;
        let f = pop.map_or(1.0, |big_n| (big_n - n) / big_n);
        if f < 1e-7 {
            ok += 1; // a census stratum: no sampling variance
            continue;
        }
        let (sum, sum_sq, magnitude) = influence(&s);
        if n_psu > 1 {
            total += f * n / (n - 1.0) * centred(sum_sq, sum * sum / n, magnitude);
            ok += 1;
        } else {
            match lonely {
                LonelyPsu::Fail => return Err(AnalysisError::LonelyPsu { stratum: id }),
                LonelyPsu::Certainty | LonelyPsu::Remove => ok += 1,
                LonelyPsu::Adjust => {
                    total += f * sum_sq;
                    ok += 1;
                }
                LonelyPsu::Average => {}
            }
        }
    }
    if ok == 0 {
        return Ok(if present == 0 { 0.0 } else { f64::NAN });
    }
    Ok(total * f64::from(present) / f64::from(ok))
}
