//! The security headers every response carries, whatever door it came through — pages added
//! later included, since they are set here for the whole application and not per page.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::state::AppState;

/// The Content-Security-Policy of every page: no scripts at all, styles inline, images from
/// this site or inline (QR codes), forms only to this site, never inside a frame.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// No page uses these browser features.
pub const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// One year, subdomains included: sent only when the service is reached over HTTPS
/// (production, or a public URL starting with `https://`), never on a developer's plain HTTP.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The headers of every response, set here for the whole application: the standard ones,
/// HSTS when the service is reached over HTTPS, and `Cache-Control: no-store` on pages that
/// carry a person's data or a session (everything under `/admin`, an invitation's form; ASVS
/// 8.2.1) unless the handler chose otherwise. A middleware below this one must answer with a
/// response, not an `Err` (which would pass by here and reach the client bare): the staff guard
/// does (`guard::staff_guard`), and `tests/it/headers.rs` checks its refusals.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let https = req
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|s| s.settings.https());
    let path = req.path();
    let private = path == "/admin" || path.starts_with("/admin/") || path.starts_with("/s/");
    let mut resp = next.call(req).await?.map_into_boxed_body();
    let headers = resp.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "no-referrer");
    set("x-frame-options", "DENY");
    set("content-security-policy", CSP);
    set("cross-origin-opener-policy", "same-origin");
    set("cross-origin-resource-policy", "same-origin");
    set("permissions-policy", PERMISSIONS);
    if https {
        set("strict-transport-security", HSTS);
    }
    if private {
        set("cache-control", "no-store");
        set("pragma", "no-cache");
    }
    Ok(resp)
}
