//! The annual survey's pages: the waves and where each stands.

use serde::Serialize;

use super::Chrome;

/// One wave in the list.
#[derive(Serialize)]
pub struct WaveLine {
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub state: &'static str,
    pub frame_units: i64,
}

#[derive(Serialize)]
pub struct WavesPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub username: &'a str,
    pub csrf: &'a str,
    pub waves: Vec<WaveLine>,
}

/// One stratum of a stored design.
#[derive(Serialize)]
pub struct DesignLine {
    pub agency: String,
    pub population: i32,
    pub respondents: i32,
    pub invited: i32,
    /// "±6,3%" or "–".
    pub margin: String,
}

#[derive(Serialize)]
pub struct WavePage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub username: &'a str,
    pub csrf: &'a str,
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub state: &'static str,
    pub next_step: &'static str,
    pub frame_units: i64,
    /// (agency code, units).
    pub frame: Vec<(String, i64)>,
    pub design: Vec<DesignLine>,
}
