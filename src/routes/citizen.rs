//! The citizen's path: `GET /q/{token}` shows the desk form, `POST /q/{token}` stores it.
//! Server-rendered, no JavaScript, Vietnamese by default.
//!
//! No CSRF token here on purpose: the form carries no session or cookie, so a forged cross-site
//! post has no authority to borrow. Abuse is handled by signed desk tokens, rate limits and
//! the honeypot field.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{client_ip, media_type, read_body, render, BodyError};
use crate::domain::submission::RawAnswer;
use crate::domain::{Channel, RawSubmission};
use crate::i18n::Lang;
use crate::ingest::{self, Rejection};
use crate::state::AppState;
use crate::views::{Chrome, ErrorPage, FormPage, OptionView, QuestionView, ThanksPage};

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[get("/q/{token}")]
pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> HttpResponse {
    let lang = Lang::parse(query.lang.as_deref());
    match ingest::desk_for_token(&state, &token).await {
        Ok(desk) => render_form(&state, lang, &token, &desk, &[], Vec::new(), StatusCode::OK),
        Err(r) => rejection_page(&state, lang, r),
    }
}

#[post("/q/{token}")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let lang_hint = Lang::Vi;
    if media_type(&req) != "application/x-www-form-urlencoded" {
        return error_page(
            &state,
            lang_hint,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            lang_hint.texts().wrong_type,
        );
    }
    let body = match read_body(payload).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return error_page(
                &state,
                lang_hint,
                StatusCode::PAYLOAD_TOO_LARGE,
                lang_hint.texts().too_large,
            )
        }
        Err(BodyError::Broken) => {
            return error_page(
                &state,
                lang_hint,
                StatusCode::BAD_REQUEST,
                lang_hint.texts().bad_request,
            )
        }
    };
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return error_page(
            &state,
            lang_hint,
            StatusCode::BAD_REQUEST,
            lang_hint.texts().bad_request,
        );
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let lang = Lang::parse(field("lang"));

    if field("website").is_some_and(|v| !v.is_empty()) {
        // A bot filled the hidden field: look successful, store nothing.
        return thanks_page(&state, lang);
    }

    let raw = raw_from_form(&pairs);
    let ip = client_ip(&req, &state.settings);
    match ingest::submit(&state, &token, raw, ip, Channel::DeskQr).await {
        Ok(_) => thanks_page(&state, lang),
        Err(Rejection::Invalid(errors)) => match ingest::desk_for_token(&state, &token).await {
            Ok(desk) => {
                let messages = errors
                    .iter()
                    .map(|e| match lang {
                        Lang::Vi => e.message_vi.clone(),
                        Lang::En => e.message_en.clone(),
                    })
                    .collect();
                render_form(
                    &state,
                    lang,
                    &token,
                    &desk,
                    &pairs,
                    messages,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(r) => rejection_page(&state, lang, r),
        },
        Err(r) => rejection_page(&state, lang, r),
    }
}

fn raw_from_form(pairs: &[(String, String)]) -> RawSubmission {
    let mut raw = RawSubmission::default();
    for (k, v) in pairs {
        match k.as_str() {
            "submission_id" => raw.submission_id = Some(v.clone()),
            "respondent_kind" => raw.respondent_kind = Some(v.clone()),
            "procedure_code" => raw.procedure_code = Some(v.clone()),
            "comment" => raw.comment = Some(v.clone()),
            _ => {
                if let Some(code) = k.strip_prefix("a.") {
                    let answer = match v.trim() {
                        "na" => RawAnswer::NoOpinion,
                        s => s
                            .parse::<i64>()
                            .map(RawAnswer::Score)
                            .unwrap_or_else(|_| RawAnswer::Unreadable(s.to_owned())),
                    };
                    raw.answers.push((code.to_owned(), answer));
                }
            }
        }
    }
    raw
}

fn render_form(
    state: &AppState,
    lang: Lang,
    token: &str,
    desk: &crate::db::desks::DeskInfo,
    previous: &[(String, String)],
    errors: Vec<String>,
    status: StatusCode,
) -> HttpResponse {
    let spec = &state.desk_form;
    let prev = |name: &str| {
        previous
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
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
    let questions = spec
        .questions
        .iter()
        .map(|q| QuestionView {
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
        })
        .collect();
    // Keep the submission id across a failed attempt, so a later retry still deduplicates.
    let submission_id = prev("submission_id")
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(Uuid::new_v4)
        .to_string();
    let page = FormPage {
        chrome: Chrome::new(lang),
        token,
        desk,
        submission_id,
        scale,
        questions,
        errors,
        respondent_kind: prev("respondent_kind").unwrap_or("individual"),
        comment: prev("comment").unwrap_or(""),
    };
    render(state, status, "form.html", &page)
}

/// The same page for a new rating, a replay and a honeypot hit: nothing to tell them apart.
fn thanks_page(state: &AppState, lang: Lang) -> HttpResponse {
    let page = ThanksPage {
        chrome: Chrome::new(lang),
    };
    render(state, StatusCode::OK, "thanks.html", &page)
}

fn rejection_page(state: &AppState, lang: Lang, r: Rejection) -> HttpResponse {
    let t = lang.texts();
    match r {
        Rejection::BadToken => error_page(state, lang, StatusCode::NOT_FOUND, t.bad_token),
        Rejection::Revoked => error_page(state, lang, StatusCode::GONE, t.revoked_token),
        Rejection::RateLimited(wait) => {
            let mut resp = error_page(state, lang, StatusCode::TOO_MANY_REQUESTS, t.rate_limited);
            let secs = wait.as_secs().max(1).to_string();
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs).expect("digits are a valid header"),
            );
            resp
        }
        Rejection::Invalid(_) => {
            error_page(state, lang, StatusCode::UNPROCESSABLE_ENTITY, t.bad_request)
        }
        Rejection::Busy => {
            let mut resp = error_page(state, lang, StatusCode::SERVICE_UNAVAILABLE, t.internal);
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
        Rejection::Internal(e) => {
            tracing::error!(error = ?e, "storing a desk submission failed");
            error_page(state, lang, StatusCode::SERVICE_UNAVAILABLE, t.internal)
        }
    }
}

pub fn error_page(state: &AppState, lang: Lang, status: StatusCode, message: &str) -> HttpResponse {
    let page = ErrorPage {
        chrome: Chrome::new(lang),
        message,
        status: status.as_u16(),
    };
    render(state, status, "error.html", &page)
}
