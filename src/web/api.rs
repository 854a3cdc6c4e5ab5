//! `POST /api/v1/responses`: the JSON door for kiosks and one-stop systems. Same rules as the
//! form (`Ingest::submit`); errors are RFC 9457 problem documents naming the field
//! (`errors::ApiProblem`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{ApiProblem, Fault};
use super::{client_ip, read_body, require_media_type};
use crate::db::responses::Stored;
use crate::domain::submission::RawAnswer;
use crate::domain::{Channel, FieldError, RawSubmission};
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

impl ApiSubmission {
    fn channel(&self) -> Result<Channel, Fault> {
        match self.channel.as_deref() {
            None | Some("kiosk") => Ok(Channel::Kiosk),
            Some("desk_qr") => Ok(Channel::DeskQr),
            Some(_) => Err(Fault::Invalid(vec![FieldError {
                field: "channel".into(),
                message_vi: "Kênh phải là kiosk hoặc desk_qr.".into(),
                message_en: "channel must be 'kiosk' or 'desk_qr'".into(),
            }])),
        }
    }

    fn into_raw(self) -> RawSubmission {
        RawSubmission {
            submission_id: Some(self.submission_id),
            respondent_kind: self.respondent_kind,
            procedure_code: self.procedure_code,
            comment: self.comment,
            answers: self
                .answers
                .into_iter()
                .map(|(code, v)| (code, raw_answer(v)))
                .collect(),
            choices: Vec::new(),
        }
    }
}

fn raw_answer(v: Value) -> RawAnswer {
    match v {
        Value::Null => RawAnswer::NoOpinion,
        Value::Number(n) => match n.as_i64() {
            Some(i) => RawAnswer::Score(i),
            None => RawAnswer::Unreadable(n.to_string()),
        },
        other => RawAnswer::Unreadable(other.to_string()),
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiProblem> {
    require_media_type(&req, "application/json")?;
    let body = read_body(payload).await?;
    let sub: ApiSubmission = serde_json::from_slice(&body).map_err(|_| Fault::BadRequest)?;
    let channel = sub.channel()?;
    let token = sub.desk_token.clone();
    let id = sub.submission_id.trim().to_owned();
    let ip = client_ip(&req, &state.settings);
    let (stored, _) = state
        .ingest
        .submit(&token, sub.into_raw(), ip, channel)
        .await?;
    let (status, label) = match stored {
        Stored::Created => (StatusCode::CREATED, "created"),
        _ => (StatusCode::OK, "duplicate"),
    };
    Ok(HttpResponse::build(status).json(json!({ "id": id, "status": label })))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
