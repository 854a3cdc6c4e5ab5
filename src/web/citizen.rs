//! The citizen's path: `GET /q/{token}` shows the desk form, `POST /q/{token}` stores it.
//! Server-rendered, no JavaScript, Vietnamese by default.
//!
//! No CSRF token here on purpose: the form carries no session or cookie, so a forged cross-site
//! post has no authority to borrow. Abuse is handled by signed desk tokens, rate limits and
//! the honeypot field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::errors::{Fault, PageError};
use super::{client_ip, read_body, render, require_media_type};
use crate::domain::screening;
use crate::domain::{Channel, RawSubmission};
use crate::ingest::{Arrival, Rejection};
use crate::state::AppState;
use crate::views::citizen::{
    ChoiceOptionView, ChoiceView, FormPage, OptionView, QuestionView, Section,
};
use crate::views::{Chrome, Lang};

type PageResult = Result<HttpResponse, PageError>;

#[derive(Deserialize)]
pub struct LangQuery {
    pub(super) lang: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> PageResult {
    let lang = Lang::parse(query.lang.as_deref());
    form_page(
        &state,
        lang,
        &token,
        &Answers::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
) -> PageResult {
    let (answers, lang) = match read_posted(&req, payload).await? {
        Posted::Form(answers, lang) => (answers, lang),
        Posted::Bot(lang) => {
            return thanks_page(&state, lang).map_err(|f| PageError::citizen(lang, f))
        }
    };
    if let Some(to) = answers.switch_to() {
        return form_page(&state, to, &token, &answers, Vec::new(), StatusCode::OK).await;
    }
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let ip = client_ip(&req, &state.settings);
    match state
        .ingest
        .submit(
            &token,
            answers.to_raw(),
            ip,
            Channel::DeskQr,
            Arrival::Form {
                stamp: answers.field("rendered").map(str::to_owned),
            },
        )
        .await
    {
        Ok(_) => thanks_page(&state, lang).map_err(on_page),
        Err(Rejection::Invalid(errors)) => {
            // Show the form again with the answers given and the reasons, in the reader's language.
            let messages = messages(&errors, lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_page(&state, lang, &token, &answers, messages, status).await
        }
        Err(r) => Err(on_page(r.into())),
    }
}

/// A citizen's posted form, as every rating door reads it.
pub(super) enum Posted {
    Form(Answers, Lang),
    /// A bot filled the hidden field: the door looks successful and stores (and uses) nothing.
    Bot(Lang),
}

pub(super) async fn read_posted(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Posted, PageError> {
    // The language is in the body, so anything refused before the body is read is in Vietnamese.
    let early = |f: Fault| PageError::citizen(Lang::Vi, f);
    require_media_type(req, "application/x-www-form-urlencoded").map_err(early)?;
    let body = read_body(payload).await.map_err(early)?;
    let answers = Answers::parse(&body).map_err(early)?;
    let lang = Lang::parse(answers.field("lang"));
    if answers.field("website").is_some_and(|v| !v.is_empty()) {
        return Ok(Posted::Bot(lang));
    }
    Ok(Posted::Form(answers, lang))
}

/// A refused form's reasons in the reader's language.
pub(super) fn messages(errors: &[crate::domain::FieldError], lang: Lang) -> Vec<String> {
    errors
        .iter()
        .map(|e| match lang {
            Lang::Vi => e.message_vi.clone(),
            Lang::En => e.message_en.clone(),
        })
        .collect()
}

/// The form's fields as they arrived.
#[derive(Default)]
pub(super) struct Answers(Vec<(String, String)>);

impl Answers {
    pub(super) fn parse(body: &[u8]) -> Result<Answers, Fault> {
        crate::domain::form_body::pairs(body)
            .map(Answers)
            .ok_or(Fault::BadRequest)
    }

    pub(super) fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The language the reader switched to, when the form was posted by the language button
    /// (the answers picked are shown again in it, nothing is stored).
    pub(super) fn switch_to(&self) -> Option<Lang> {
        match self.field("switch_lang")? {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub(super) fn to_raw(&self) -> RawSubmission {
        RawSubmission::from_form_pairs(&self.0)
    }
}

/// The desk's form, for a fresh visit or again after refused answers.
async fn form_page(
    state: &AppState,
    lang: Lang,
    token: &str,
    previous: &Answers,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let desk = state
        .ingest
        .desk_for_token(token)
        .await
        .map_err(|r| on_page(r.into()))?;
    let t = lang.texts();
    let frame = FormFrame {
        action: format!("/q/{token}"),
        heading: desk.agency_name.clone(),
        subheading: desk.name.clone(),
        title: t.form_title,
        intro: t.form_intro,
        submit: t.submit,
        privacy: t.privacy,
        parts: false,
    };
    let spec = &state.ingest.desk_form;
    render_form(state, lang, spec, &frame, previous, errors, status).map_err(on_page)
}

/// What differs between the forms: where they post, their header and their texts.
pub(super) struct FormFrame {
    pub action: String,
    pub heading: String,
    pub subheading: String,
    pub title: &'static str,
    pub intro: &'static str,
    pub submit: &'static str,
    pub privacy: &'static str,
    /// Group the questions in parts (one per factor, then the overall question) with a
    /// progress indication: for the long annual form.
    pub parts: bool,
}

/// A part's title: the factor's name, or "overall" for questions outside the factors.
fn part_of(q: &crate::domain::Question, lang: Lang) -> String {
    let name = match lang {
        Lang::Vi => q.factor_name_vi.clone(),
        Lang::En => q.factor_name_en.clone(),
    };
    name.unwrap_or_else(|| lang.texts().overall_section.to_owned())
}

pub(super) fn render_form(
    state: &AppState,
    lang: Lang,
    spec: &crate::domain::FormSpec,
    frame: &FormFrame,
    previous: &Answers,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, Fault> {
    let prev = |name: &str| previous.field(name);
    let scale = spec
        .scale
        .iter()
        .map(|s| OptionView {
            value: s.value.to_string(),
            label: match lang {
                Lang::Vi => s.label_vi.clone(),
                Lang::En => s.label_en.clone(),
            },
        })
        .collect();
    let mut parts: Vec<String> = Vec::new();
    for q in &spec.questions {
        let p = part_of(q, lang);
        if parts.last() != Some(&p) {
            parts.push(p);
        }
    }
    let mut last_part: Option<String> = None;
    let mut number = 0;
    let questions = spec
        .questions
        .iter()
        .map(|q| {
            let part = part_of(q, lang);
            let of = parts.len() + usize::from(!spec.choices.is_empty());
            let section = (frame.parts && last_part.as_ref() != Some(&part)).then(|| {
                number += 1;
                Section {
                    title: part.clone(),
                    number,
                    of,
                }
            });
            last_part = Some(part);
            QuestionView {
                code: q.code.clone(),
                text: match lang {
                    Lang::Vi => q.text_vi.clone(),
                    Lang::En => q.text_en.clone(),
                },
                factor: match lang {
                    Lang::Vi => q.factor_name_vi.clone(),
                    Lang::En => q.factor_name_en.clone(),
                },
                selected: prev(&format!("a.{}", q.code)).map(str::to_owned),
                section,
            }
        })
        .collect();
    let chosen = |code: &str, value: i16| {
        let name = format!("c.{code}");
        previous
            .0
            .iter()
            .any(|(k, v)| *k == name && v.trim() == value.to_string())
    };
    let choices: Vec<ChoiceView> = spec
        .choices
        .iter()
        .map(|c| ChoiceView {
            code: c.code.clone(),
            text: match lang {
                Lang::Vi => c.text_vi.clone(),
                Lang::En => c.text_en.clone(),
            },
            multiple: c.multiple,
            options: c
                .options
                .iter()
                .map(|o| ChoiceOptionView {
                    value: o.value,
                    label: match lang {
                        Lang::Vi => o.label_vi.clone(),
                        Lang::En => o.label_en.clone(),
                    },
                    checked: chosen(&c.code, o.value),
                })
                .collect(),
        })
        .collect();
    let choices_part = (frame.parts && !choices.is_empty()).then(|| Section {
        title: lang.texts().choices_section.to_owned(),
        number: parts.len() + 1,
        of: parts.len() + 1,
    });
    // Keep the submission id across a failed attempt, so a later retry still deduplicates.
    let submission_uuid = prev("submission_id")
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(Uuid::new_v4);
    let submission_id = submission_uuid.to_string();
    // The time the form was first shown, signed: a refused attempt shown again keeps it, so
    // the fill time counts from when the citizen started reading.
    let rendered = prev("rendered")
        .filter(|s| screening::verify_stamp(&state.key, submission_uuid, s).is_some())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            screening::sign_stamp(&state.key, submission_uuid, chrono::Utc::now().timestamp())
        });
    let page = FormPage {
        chrome: Chrome::new(lang),
        action: frame.action.clone(),
        heading: frame.heading.clone(),
        subheading: frame.subheading.clone(),
        title: frame.title,
        intro: frame.intro,
        submit: frame.submit,
        privacy: frame.privacy,
        submission_id,
        rendered,
        scale,
        questions,
        choices,
        choices_part,
        errors,
        respondent_kind: prev("respondent_kind").unwrap_or("individual"),
        comment: prev("comment").unwrap_or(""),
    };
    render(state, status, "form.html", &page)
}

/// The same page for a new rating, a replay and a honeypot hit: nothing to tell them apart.
pub(super) fn thanks_page(state: &AppState, lang: Lang) -> Result<HttpResponse, Fault> {
    Ok(super::errors::html(
        StatusCode::OK,
        state.views.thanks(lang).to_owned(),
    ))
}
