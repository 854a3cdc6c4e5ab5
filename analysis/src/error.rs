//! Typed errors. Policy: the crate never panics on data; every bad input is an `AnalysisError`
//! that names what is wrong (and the row, where the caller passes one).

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum AnalysisError {
    /// There is nothing to estimate from (n = 0).
    Empty,
    /// A weight is NaN, infinite or negative.
    InvalidWeight { row: u64, weight: f64 },
    /// A value is NaN or infinite.
    InvalidValue { row: u64, value: f64 },
    /// A stratum population size is smaller than its sample or not a positive number.
    InvalidPopulation { row: u64, value: f64 },
    /// Rows of one stratum disagree about its population size.
    InconsistentPopulation { stratum: u32 },
    /// A stratum has a single PSU and the policy is `LonelyPsu::Fail`.
    LonelyPsu { stratum: u32 },
    /// A parameter is out of its range (confidence level, threshold, sample sizes …).
    InvalidParameter(String),
    /// Accumulators built for different shapes cannot be merged.
    ShapeMismatch,
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalysisError::Empty => write!(f, "no data to estimate from"),
            AnalysisError::InvalidWeight { row, weight } => {
                write!(f, "row {row}: weight {weight} is not a finite non-negative number")
            }
            AnalysisError::InvalidValue { row, value } => write!(f, "row {row}: value {value} is not a finite number"),
            AnalysisError::InvalidPopulation { row, value } => {
                write!(f, "row {row}: population size {value} must be a positive number at least the stratum's sample size")
            }
            AnalysisError::InconsistentPopulation { stratum } => {
                write!(f, "stratum {stratum}: rows give different population sizes")
            }
            AnalysisError::LonelyPsu { stratum } => write!(
                f,
                "stratum {stratum} has only one PSU; choose a lonely-PSU policy (certainty, remove, adjust, average)"
            ),
            AnalysisError::InvalidParameter(why) => write!(f, "{why}"),
            AnalysisError::ShapeMismatch => write!(f, "accumulators of different shapes cannot be merged"),
        }
    }
}

impl std::error::Error for AnalysisError {}

pub type Result<T> = std::result::Result<T, AnalysisError>;

/// Checks a confidence level: strictly between 0 and 1.
pub fn check_level(level: f64) -> Result<()> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(AnalysisError::InvalidParameter(format!(
            "confidence level must be between 0 and 1, not {level}"
        )))
    }
}
