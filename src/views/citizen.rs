//! The citizen's pages: the desk form, the thank-you page and error pages.

use serde::Serialize;

use super::Chrome;

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
    /// On the first question of a part of a long form: the part's heading and where it
    /// stands ("Phần 2/6").
    pub section: Option<Section>,
}

/// A question answered by choosing, as the form shows it.
#[derive(Serialize)]
pub struct ChoiceView {
    pub code: String,
    pub text: String,
    pub multiple: bool,
    pub options: Vec<ChoiceOptionView>,
}

#[derive(Serialize)]
pub struct ChoiceOptionView {
    pub value: i16,
    pub label: String,
    pub checked: bool,
}

/// A part of a long form, for the progress indication.
#[derive(Serialize)]
pub struct Section {
    pub title: String,
    pub number: usize,
    pub of: usize,
}

#[derive(Serialize)]
pub struct FormPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    /// Where the form posts (`/q/TOKEN` or `/s/CODE`); the language switch links there too.
    pub action: String,
    /// The header: the agency, and the desk or the survey.
    pub heading: String,
    pub subheading: String,
    pub title: &'a str,
    pub intro: &'a str,
    pub submit: &'a str,
    pub privacy: &'a str,
    pub submission_id: String,
    /// When the form was shown, signed (`domain::screening`).
    pub rendered: String,
    pub scale: Vec<OptionView>,
    pub questions: Vec<QuestionView>,
    pub choices: Vec<ChoiceView>,
    /// The part the choice questions make, last.
    pub choices_part: Option<Section>,
    pub errors: Vec<String>,
    pub respondent_kind: &'a str,
    pub comment: &'a str,
}

/// A short message page for a citizen (an invitation already used, a survey not open).
#[derive(Serialize)]
pub struct NoticePage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: &'a str,
    pub message: &'a str,
}

/// Where a person types the code of their letter.
#[derive(Serialize)]
pub struct EnterCodePage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub code: &'a str,
    pub error: Option<&'a str>,
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
