//! The printable A5 poster of a desk.

use serde::Serialize;

use super::{Chrome, DeskView};

#[derive(Serialize)]
pub struct PosterPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub desk: DeskView,
    pub url: &'a str,
    /// The QR code as inline SVG, produced by `desks::qr::svg` (our own markup, not user input).
    pub qr_svg: &'a str,
}
