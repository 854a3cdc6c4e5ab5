//! `POST /api/v1/responses`: the JSON door for kiosks and one-stop systems. Same rules as the
//! form (`Ingest::submit`); errors are RFC 9457 problem documents naming the field
//! (`errors::ApiProblem`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::errors::{ApiProblem, Fault};
use super::{client_ip, read_body, require_media_type};
use crate::db::responses::Stored;
use crate::domain::api_body::{self, BodyError, RatedBy};
use crate::ingest::Arrival;
use crate::state::AppState;

const OPENAPI: &str = include_str!("openapi.json");

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiProblem> {
    require_media_type(&req, "application/json")?;
    let body = read_body(payload).await?;
    let body = api_body::parse(&body).map_err(|e| match e {
        BodyError::Malformed => Fault::BadRequest,
        BodyError::Invalid(errors) => Fault::Invalid(errors),
    })?;
    let id = body.raw.submission_id.clone().unwrap_or_default();
    let ip = client_ip(&req, &state.settings);
    let stored = match &body.rated_by {
        RatedBy::Desk(token) => {
            state
                .ingest
                .submit(token, body.raw, ip, body.channel, Arrival::Api)
                .await?
                .0
        }
        RatedBy::Receipt(token) => state.ingest.submit_receipt(token, body.raw, ip).await?,
    };
    // Stored, so the id parsed: echo it in its one canonical spelling.
    let id = uuid::Uuid::parse_str(id.trim()).map_or(id, |u| u.to_string());
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
