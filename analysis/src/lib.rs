//! Pure statistics for SIPAS: satisfaction indices, intervals and sample design.
//!
//! Architecture invariant: this crate performs no I/O, holds no global state and depends on
//! nothing else in the workspace. The service and the CLI call it; it never calls them.
//!
//! Float policy: estimators return `AnalysisError` for NaN or infinite input rather than
//! propagating it; an undefined quantity (a design effect with no variance) is `None`.

pub mod binomial;
pub mod compare;
pub mod counts;
pub mod design;
pub mod error;
mod fastmap;
pub mod funnel;
pub mod index;
pub mod linear;
pub mod proportion;
pub mod sae;
pub mod sample;
mod strata;
pub mod synthetic;

pub use binomial::BinomialMethod;
pub use design::{DesignEstimate, LonelyPsu, Observation, TaylorAccumulator};
pub use error::{AnalysisError, Result};
pub use index::{
    IndexAccumulator, IndexEstimate, IndexReport, IndexSpec, IntervalKind, ReportOptions,
    Respondent,
};
pub use proportion::{design_interval, mean_interval, DesignMethod};

/// Default satisfaction threshold on the 5-level scale: 4 ("Hài lòng") and above count as satisfied.
pub const DEFAULT_SATISFIED_THRESHOLD: u8 = 4;

/// Default confidence level.
pub const DEFAULT_LEVEL: f64 = 0.95;

/// A two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Share of satisfied answers among valid (non-missing) answers; `None` when there is no valid answer.
pub fn share_satisfied(values: &[Option<u8>], threshold: u8) -> Option<f64> {
    let valid: Vec<u8> = values.iter().flatten().copied().collect();
    if valid.is_empty() {
        return None;
    }
    let satisfied = valid.iter().filter(|v| **v >= threshold).count();
    Some(satisfied as f64 / valid.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_answers_leave_the_denominator() {
        let values = [Some(5), Some(3), None, Some(4)];
        assert_eq!(share_satisfied(&values, 4), Some(2.0 / 3.0));
        assert_eq!(share_satisfied(&[None, None], 4), None);
    }
}
