//! One request id and one span per request, and one access-log line at `info`.
//!
//! The id comes from the operator's proxy (`X-Request-Id`, only when `SIPAS_TRUST_PROXY` says
//! the proxy is ours, and only in a plain spelling) or is made here; the answer echoes it, so
//! a province reporting "the ranking was slow at 9:14" can quote the id from the browser and
//! find every line of that request.
//!
//! The span names the *route pattern* (`/q/{token}`), never the raw path: desk tokens and
//! invitation codes travel in paths and must never reach a log. Nor do queries, client
//! addresses, user agents or bodies.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A proxy's id is taken only in this spelling and length: it goes into logs and headers.
fn plain(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn request_id(req: &ServiceRequest) -> String {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.trust_proxy);
    if trusted {
        if let Some(id) = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|id| plain(id))
        {
            return id.to_owned();
        }
    }
    uuid::Uuid::new_v4().simple().to_string()
}

pub async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    // Unknown paths are logged as "-": their text is whatever the client sent.
    let route = req.match_pattern().unwrap_or_else(|| "-".to_owned());
    let method = req.method().as_str().to_owned();
    let metrics = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| std::sync::Arc::clone(&s.metrics));
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let result = next.call(req).instrument(span.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let ms = seconds * 1000.0;
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            if let Some(m) = &metrics {
                m.answered(&method, &route, status, seconds);
            }
            span.in_scope(|| tracing::info!(status, ms = format!("{ms:.1}"), "answered"));
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, v);
            }
            Ok(res)
        }
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            if let Some(m) = &metrics {
                m.answered(&method, &route, status, seconds);
            }
            span.in_scope(|| tracing::info!(status, ms = format!("{ms:.1}"), "answered"));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn only_plain_short_ids_are_taken_from_a_proxy() {
        assert!(plain("4f1c-9a_b.2"));
        assert!(!plain(""));
        assert!(!plain(&"a".repeat(65)));
        for bad in ["a b", "a\r\nb", "ả", "a/b", "a=b"] {
            assert!(!plain(bad), "{bad:?}");
        }
    }
}
