//! `POST /api/v1/responses`: the JSON door for kiosks and one-stop systems. Same rules as the
//! form (`ingest::submit`); errors are RFC 9457 problem documents naming the field.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{client_ip, media_type, read_body, BodyError};
use crate::db::responses::Stored;
use crate::domain::submission::RawAnswer;
use crate::domain::{Channel, FieldError, RawSubmission};
use crate::ingest::{self, Rejection};
use crate::state::AppState;

const OPENAPI: &str = include_str!("openapi.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSubmission {
    submission_id: String,
    desk_token: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    respondent_kind: Option<String>,
    #[serde(default)]
    procedure_code: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    answers: serde_json::Map<String, Value>,
}

#[post("/api/v1/responses")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    if media_type(&req) != "application/json" {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
            vec![],
        );
    }
    let body = match read_body(payload).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than 64 KiB",
                vec![],
            )
        }
        Err(BodyError::Broken) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "the body could not be read",
                vec![],
            )
        }
    };
    let sub: ApiSubmission = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a valid submission: {e}"),
                vec![],
            )
        }
    };
    let channel = match sub.channel.as_deref() {
        None | Some("kiosk") => Channel::Kiosk,
        Some("desk_qr") => Channel::DeskQr,
        Some(_) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the submission is not valid",
                vec![FieldError {
                    field: "channel".into(),
                    message_vi: "Kênh phải là kiosk hoặc desk_qr.".into(),
                    message_en: "channel must be 'kiosk' or 'desk_qr'".into(),
                }],
            )
        }
    };
    let raw = RawSubmission {
        submission_id: Some(sub.submission_id.clone()),
        respondent_kind: sub.respondent_kind,
        procedure_code: sub.procedure_code,
        comment: sub.comment,
        answers: sub
            .answers
            .into_iter()
            .map(|(code, v)| {
                let a = match v {
                    Value::Null => RawAnswer::NoOpinion,
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => RawAnswer::Score(i),
                        None => RawAnswer::Unreadable(n.to_string()),
                    },
                    other => RawAnswer::Unreadable(other.to_string()),
                };
                (code, a)
            })
            .collect(),
    };
    let ip = client_ip(&req, &state.settings);
    match ingest::submit(&state, &sub.desk_token, raw, ip, channel).await {
        Ok((stored, _)) => {
            let (status, label) = match stored {
                Stored::Created => (StatusCode::CREATED, "created"),
                _ => (StatusCode::OK, "duplicate"),
            };
            HttpResponse::build(status)
                .json(json!({ "id": sub.submission_id.trim(), "status": label }))
        }
        Err(Rejection::Invalid(errors)) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the submission is not valid",
            errors,
        ),
        Err(Rejection::BadToken) => problem(
            StatusCode::FORBIDDEN,
            "desk_token is not a valid desk token",
            vec![],
        ),
        Err(Rejection::Revoked) => problem(
            StatusCode::GONE,
            "desk_token was revoked: the desk has new QR codes",
            vec![],
        ),
        Err(Rejection::RateLimited(wait)) => {
            let mut resp = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "too many submissions; retry later",
                vec![],
            );
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&wait.as_secs().max(1).to_string()).expect("digits"),
            );
            resp
        }
        Err(Rejection::Busy) => {
            let mut resp = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy: retry with the same submission_id",
                vec![],
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
        Err(Rejection::Internal(e)) => {
            tracing::error!(error = ?e, "storing an API submission failed");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the response was not stored; retry with the same submission_id",
                vec![],
            )
        }
    }
}

fn problem(status: StatusCode, detail: &str, errors: Vec<FieldError>) -> HttpResponse {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({ "field": e.field, "message": e.message_en, "message_vi": e.message_vi }))
        .collect();
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": detail,
            "errors": errors,
        }))
}

#[get("/api/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
