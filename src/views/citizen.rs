//! The citizen's pages: the desk form, the thank-you page and error pages.

use serde::Serialize;

use super::{Chrome, DeskView};

#[derive(Serialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
}

#[derive(Serialize)]
pub struct QuestionView {
    pub code: String,
    pub text: String,
    pub factor: Option<String>,
    /// The value chosen before a failed submission, to show it again.
    pub selected: Option<String>,
}

#[derive(Serialize)]
pub struct FormPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub token: &'a str,
    pub desk: DeskView,
    pub submission_id: String,
    pub scale: Vec<OptionView>,
    pub questions: Vec<QuestionView>,
    pub errors: Vec<String>,
    pub respondent_kind: &'a str,
    pub comment: &'a str,
}

#[derive(Serialize)]
pub struct ThanksPage {
    #[serde(flatten)]
    pub chrome: Chrome,
}

/// Every error page, for citizens and staff alike (see `web::errors`).
#[derive(Serialize)]
pub struct ErrorPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: &'a str,
    pub message: &'a str,
    pub status: u16,
    /// Where to go from here (staff pages link back to their start page).
    pub back: Option<Link<'a>>,
}

#[derive(Serialize)]
pub struct Link<'a> {
    pub href: &'a str,
    pub label: &'a str,
}
