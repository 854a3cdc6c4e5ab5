//! Staff pages: sign-in and the desk list.

use crate::views::StaffFrame;
use serde::Serialize;

use super::{Chrome, DeskView};

#[derive(Serialize)]
pub struct LoginPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub csrf: &'a str,
    pub next: &'a str,
    pub error: Option<&'a str>,
    pub login_name: &'a str,
}

#[derive(Serialize)]
pub struct DeskRow {
    pub desk: DeskView,
    pub url: String,
}

#[derive(Serialize)]
pub struct DesksPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub desks: Vec<DeskRow>,
    pub notice: Option<String>,
    /// Whether the user may change things (not a viewer): only then are the buttons shown.
    pub may_act: bool,
}
