//! Results: ratings in, `analysis` out. `desk` computes the indices of the desk stream for an
//! agency and a period; `publication` freezes them as a hash-chained snapshot that anyone can
//! verify. (Per-period aggregates for the dashboards come next; they must give the same
//! numbers as `desk` does from raw rows.)

/// Below this many valid answers an index is "not reported" (METHODOLOGY.md §4), in the desk
/// stream, the annual survey and every publication alike: the one threshold.
pub const MIN_N: u64 = 30;

pub mod agency;
pub mod desk;
pub mod dossiers;
pub mod par;
pub mod periods;
pub mod publication;
pub mod quarantine;
pub mod ranking;
pub mod ranking_table;
pub mod rollup;
pub mod small_area;
pub mod sums;

/// Why a results query gave no results.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// No such agency or desk within the reader's scope (the same answer as for one that
    /// does not exist).
    #[error("no such agency or desk")]
    NotFound,
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error("computing the indices: {0}")]
    Analysis(#[from] analysis::AnalysisError),
    /// A parameter of the query is refused (named, with the reason).
    #[error("a parameter is refused")]
    Invalid(Vec<crate::domain::FieldError>),
    /// A step below failed (classified by its causes at the door).
    #[error(transparent)]
    Other(anyhow::Error),
}

impl From<crate::db::QueryError> for ResultsError {
    fn from(e: crate::db::QueryError) -> ResultsError {
        ResultsError::Database(e.into())
    }
}
