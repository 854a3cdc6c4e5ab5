//! Templates, compiled into the binary and loaded once at start-up. Every page has its own
//! serialisable context struct; HTML templates end in `.html`, so tera escapes every value.

use serde::Serialize;
use tera::{Context, Tera};

use crate::db::desks::DeskInfo;
use crate::i18n::{Lang, Texts};

const TEMPLATES: &[(&str, &str)] = &[
    ("style.css", include_str!("../templates/style.css")),
    ("base.html", include_str!("../templates/base.html")),
    ("form.html", include_str!("../templates/form.html")),
    ("thanks.html", include_str!("../templates/thanks.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("poster.html", include_str!("../templates/poster.html")),
    (
        "admin_base.html",
        include_str!("../templates/admin_base.html"),
    ),
    (
        "admin_login.html",
        include_str!("../templates/admin_login.html"),
    ),
    (
        "admin_desks.html",
        include_str!("../templates/admin_desks.html"),
    ),
];

pub struct Views {
    tera: Tera,
}

impl Views {
    pub fn load() -> anyhow::Result<Views> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        tera.autoescape_on(vec![".html"]);
        Ok(Views { tera })
    }

    pub fn render<T: Serialize>(&self, name: &str, page: &T) -> anyhow::Result<String> {
        let ctx = Context::from_serialize(page)?;
        Ok(self.tera.render(name, &ctx)?)
    }
}

/// Shared by every citizen page.
#[derive(Serialize)]
pub struct Chrome {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub t: &'static Texts,
}

impl Chrome {
    pub fn new(lang: Lang) -> Chrome {
        Chrome {
            lang: lang.code(),
            other_lang: lang.other().code(),
            t: lang.texts(),
        }
    }
}

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
    pub desk: &'a DeskInfo,
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

#[derive(Serialize)]
pub struct ErrorPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub message: &'a str,
    pub status: u16,
}

#[derive(Serialize)]
pub struct PosterPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub desk: &'a DeskInfo,
    pub url: &'a str,
    /// The QR code as inline SVG, produced by `qr::svg` (our own markup, not user input).
    pub qr_svg: &'a str,
}
