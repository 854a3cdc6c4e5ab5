//! HTTP: one module per resource. Handlers extract, parse into domain types, call `ingest`,
//! `db` or `qr`, and render. Only this module and `views` know actix and tera.

pub mod admin;
pub mod api;
pub mod citizen;
pub mod health;

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::config::Settings;
use crate::state::AppState;

/// Largest body accepted: a 2,000-character Vietnamese comment, percent-encoded, fits easily.
pub const MAX_BODY: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(citizen::form)
        .service(citizen::submit)
        .service(api::submit)
        .service(api::openapi)
        .service(admin::login_form)
        .service(admin::login)
        .service(admin::logout)
        .service(admin::desks)
        .service(admin::poster)
        .service(admin::rotate_key)
        .default_service(web::to(not_found));
}

/// Any other URL: a clear Vietnamese page rather than an empty 404.
async fn not_found(state: web::Data<AppState>) -> HttpResponse {
    citizen::error_page(
        &state,
        crate::i18n::Lang::Vi,
        StatusCode::NOT_FOUND,
        "Không tìm thấy trang này. Nếu Ông/Bà muốn đánh giá, vui lòng quét mã QR tại quầy.",
    )
}

/// The client's address, for rate limiting only (never stored). Behind a reverse proxy that
/// the operator runs (`SIPAS_TRUST_PROXY`), the proxy appends the real address last.
pub fn client_ip(req: &HttpRequest, settings: &Settings) -> IpAddr {
    if settings.trust_proxy {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

pub enum BodyError {
    TooLarge,
    Broken,
}

/// Reads the body up to `MAX_BODY`, so that an oversize request gets our own clear answer.
pub async fn read_body(mut payload: web::Payload) -> Result<web::Bytes, BodyError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The media type of the request without parameters, lower-cased.
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Renders a page; a template error is logged and becomes a plain 500.
pub fn render<T: serde::Serialize>(
    state: &AppState,
    status: StatusCode,
    template: &str,
    page: &T,
) -> HttpResponse {
    match state.views.render(template, page) {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = ?e, template, "rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Lỗi hệ thống / internal error")
        }
    }
}
