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
    /// One channel of the desk stream, or `None` for all of them (never the annual survey's
    /// channels: those responses are a probability sample with its own weights and pages).
    pub channel: Option<String>,
    pub respondent_kind: Option<String>,
}

impl Slice {
    /// The channels a query of the raw responses keeps: the one chosen, or every channel of
    /// the desk stream, which are the channels the aggregates hold.
    pub fn channels(&self) -> Vec<String> {
        match &self.channel {
            Some(c) => vec![c.clone()],
            None => crate::domain::Channel::STREAM
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }
    }
}
