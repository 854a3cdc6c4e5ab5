//! What the server-drawn SVG charts share: coordinates as short strings and axis ticks. The
//! templates draw them, so every label passes through tera's escaping.

use serde::Serialize;

/// An axis tick: its position in SVG user units and its label.
#[derive(Serialize)]
pub struct Tick {
    pub at: String,
    pub label: String,
}

/// A coordinate in SVG user units, to a tenth.
pub fn coord(v: f64) -> String {
    format!("{v:.1}")
}
