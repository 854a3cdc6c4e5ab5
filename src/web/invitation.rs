//! The annual survey's respondent path: `GET /s` (type the code of the letter), `GET /s/{code}`
//! (the full form of the wave's instrument) and `POST /s/{code}` (stored once per sampled unit,
//! channel `annual_sample`). Like the desk form: no JavaScript, no cookie, Vietnamese first.
//!
//! The code is signed (`domain::invitation`); a second use is answered with a polite page, and
//! a retry of the same submission with the thank-you page (the database keeps one response per
//! unit). Each request with a code takes from the client's rate-limit bucket, so codes cannot
//! be guessed online.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::citizen::{render_form, thanks_page, Answers, FormFrame};
use super::errors::{Fault, PageError};
use super::{client_ip, read_body, render, require_media_type, see_other};
use crate::db::{self, fieldwork::InvitedUnit, fieldwork::UnitStored};
use crate::domain::invitation::Invitation;
use crate::domain::{FormSpec, Submission};
use crate::ingest::ratelimit::Subject;
use crate::ingest::Rejection;
use crate::state::AppState;
use crate::views::citizen::{EnterCodePage, NoticePage};
use crate::views::{Chrome, Lang};

type PageResult = Result<HttpResponse, PageError>;

#[derive(Deserialize)]
pub struct EnterQuery {
    code: Option<String>,
    lang: Option<String>,
}

/// Where a person types the code printed on the letter; a valid code leads to the form.
pub async fn enter(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<EnterQuery>,
) -> PageResult {
    let lang = Lang::parse(q.lang.as_deref());
    let typed = q.code.as_deref().unwrap_or("").trim();
    let error = if typed.is_empty() {
        None
    } else {
        limit(&state, &req, lang).await?;
        match Invitation::verify(typed, &state.key) {
            Some(inv) => {
                let code = inv.sign(&state.key);
                let suffix = if lang == Lang::En { "?lang=en" } else { "" };
                return Ok(see_other(&format!("/s/{code}{suffix}")));
            }
            None => Some(lang.texts().survey_bad_code),
        }
    };
    let page = EnterCodePage {
        chrome: Chrome::new(lang),
        code: typed,
        error,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&state, status, "enter_code.html", &page).map_err(|f| PageError::citizen(lang, f))
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: web::Query<LangQuery>,
) -> PageResult {
    let lang = Lang::parse(q.lang.as_deref());
    limit(&state, &req, lang).await?;
    let (unit, spec) = match open(&state, &code, lang).await? {
        Opened::Form(found) => *found,
        Opened::Used(_) => return used(&state, lang),
        Opened::Closed => return closed(&state, lang),
    };
    show(
        &state,
        lang,
        &unit,
        &spec,
        &Answers::default(),
        Vec::new(),
        StatusCode::OK,
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    payload: web::Payload,
) -> PageResult {
    let early = |f: Fault| PageError::citizen(Lang::Vi, f);
    limit(&state, &req, Lang::Vi).await?;
    require_media_type(&req, "application/x-www-form-urlencoded").map_err(early)?;
    let body = read_body(payload).await.map_err(early)?;
    let answers = Answers::parse(&body).map_err(early)?;
    let lang = Lang::parse(answers.field("lang"));
    let on_page = |f: Fault| PageError::citizen(lang, f);
    if answers.field("website").is_some_and(|v| !v.is_empty()) {
        return thanks_page(&state, lang).map_err(on_page);
    }
    let (unit, spec) = match open(&state, &code, lang).await? {
        Opened::Form(found) => *found,
        // A retry of the submission that was stored is thanked again.
        Opened::Used(id) if answers.field("submission_id") == Some(id.to_string().as_str()) => {
            return thanks_page(&state, lang).map_err(on_page)
        }
        Opened::Used(_) => return used(&state, lang),
        Opened::Closed => return closed(&state, lang),
    };
    if let Some(to) = answers.switch_to() {
        return show(
            &state,
            to,
            &unit,
            &spec,
            &answers,
            Vec::new(),
            StatusCode::OK,
        );
    }
    let submission = match Submission::parse(answers.to_raw(), &spec) {
        Ok(s) => s,
        Err(errors) => {
            let messages = super::citizen::messages(&errors, lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&state, lang, &unit, &spec, &answers, messages, status);
        }
    };
    let values = spec
        .stored_answers(&submission.answers)
        .map_err(|e| on_page(Fault::Internal(anyhow::anyhow!(e))))?;
    let unit_id = unit.unit_id;
    let instrument_id = spec.instrument_id;
    let stored = db::run(&state.pool, move |c| {
        db::transaction(c, |c| {
            db::fieldwork::store_unit_response(
                c,
                &db::fieldwork::UnitResponse {
                    id: submission.id,
                    unit_id,
                    instrument_id,
                    channel: "annual_sample",
                    respondent_kind: submission.respondent_kind.as_str(),
                    comment: submission.comment.as_deref(),
                    answer_values: &values,
                    choices: &submission.choices,
                },
            )
        })
    })
    .await
    .map_err(|e| on_page(Fault::database(e)))?;
    match stored {
        UnitStored::Created | UnitStored::Repeated => thanks_page(&state, lang).map_err(on_page),
        UnitStored::AlreadyAnswered => used(&state, lang),
        UnitStored::NotOpen => closed(&state, lang),
        UnitStored::NoSuchUnit => Err(bad_code(lang)),
    }
}

async fn limit(state: &AppState, req: &HttpRequest, lang: Lang) -> Result<(), PageError> {
    let ip = client_ip(req, &state.settings);
    // The same faults as the desk form's limit (through `Rejection`).
    state
        .limits
        .take(Subject::Client(ip))
        .await
        .map_err(|l| PageError::citizen(lang, Fault::from(Rejection::from(l))))
}

fn bad_code(lang: Lang) -> PageError {
    PageError::citizen(lang, Fault::NotFound).saying(lang.texts().survey_bad_code)
}

fn notice(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    message: &str,
) -> PageResult {
    let page = NoticePage {
        chrome: Chrome::new(lang),
        title,
        message,
    };
    render(state, status, "notice.html", &page).map_err(|f| PageError::citizen(lang, f))
}

/// A second use of an invitation: polite, and clear that nothing more is needed.
fn used(state: &AppState, lang: Lang) -> PageResult {
    let t = lang.texts();
    notice(
        state,
        lang,
        StatusCode::CONFLICT,
        t.survey_used_title,
        t.survey_used,
    )
}

fn closed(state: &AppState, lang: Lang) -> PageResult {
    let t = lang.texts();
    notice(
        state,
        lang,
        StatusCode::GONE,
        t.survey_closed_title,
        t.survey_closed,
    )
}

enum Opened {
    Form(Box<(InvitedUnit, FormSpec)>),
    /// The unit has answered: the response's id.
    Used(uuid::Uuid),
    /// The wave is not in fieldwork, or the unit not invited (reserve, replaced).
    Closed,
}

/// The unit an invitation names and its wave's full form, or why it cannot be answered.
async fn open(state: &AppState, code: &str, lang: Lang) -> Result<Opened, PageError> {
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let Some(inv) = Invitation::verify(code, &state.key) else {
        return Err(bad_code(lang));
    };
    let found = db::run(&state.pool, move |c| {
        let Some(unit) = db::fieldwork::invited_unit(c, inv.unit_id)? else {
            return Ok(None);
        };
        let spec =
            db::instruments::load_form(c, &unit.instrument_code, db::instruments::Form::Full)?;
        Ok(Some((unit, spec)))
    })
    .await
    .map_err(|e| on_page(Fault::database(e)))?;
    let Some((unit, spec)) = found else {
        return Err(bad_code(lang));
    };
    if let Some(id) = unit.response_id {
        return Ok(Opened::Used(id));
    }
    if !unit.is_open() {
        return Ok(Opened::Closed);
    }
    Ok(Opened::Form(Box::new((unit, spec))))
}

fn show(
    state: &AppState,
    lang: Lang,
    unit: &InvitedUnit,
    spec: &FormSpec,
    previous: &Answers,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let t = lang.texts();
    let frame = FormFrame {
        // The canonical spelling of the code, whatever was typed.
        action: format!(
            "/s/{}",
            Invitation {
                unit_id: unit.unit_id
            }
            .sign(&state.key)
        ),
        heading: unit.agency_name.clone(),
        subheading: format!("{} ({})", unit.wave_name, unit.year),
        title: t.survey_title,
        intro: t.survey_intro,
        submit: t.survey_submit,
        privacy: t.survey_privacy,
        parts: true,
    };
    render_form(state, lang, spec, &frame, previous, errors, status)
        .map_err(|f| PageError::citizen(lang, f))
}
