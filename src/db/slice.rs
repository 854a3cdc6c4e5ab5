//! What a results query selects of the stream, days aside — the one selection type the
//! aggregates' readers, the per-agency sums and the microdata share.

/// The agencies (an agency and the units below it, already within the reader's scope), the
/// instrument, and optionally one desk, one channel and one respondent kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slice {
    pub instrument_id: i32,
    /// Sorted, so that equal selections are equal keys.
    pub agency_ids: Vec<i32>,
    pub desk_id: Option<i32>,
    pub channel: Option<String>,
    pub respondent_kind: Option<String>,
}
