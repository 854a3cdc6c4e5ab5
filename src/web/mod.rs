//! HTTP: one module per resource. A handler extracts, parses into domain types, calls a feature
//! module (`ingest`, `db`, `desks`), and renders; faults go through the one error policy in
//! `errors`. Only this module and `startup` know actix.
//!
//! Every resource is registered here with the methods it accepts, so a wrong method gets 405
//! with `Allow`, and unknown paths get 404, each in the form of its door (see `errors`).

pub mod api;
pub mod citizen;
pub mod dashboard;
pub mod errors;
pub mod export;
pub mod filters;
pub mod guard;
pub mod headers;
pub mod health;
pub mod held;
pub mod input;
pub mod invitation;
pub mod lang;
pub mod mail_settings;
pub mod metrics;
pub mod microdata;
pub mod outbox;
pub mod paper;
pub mod par;
pub mod public;
pub mod publish;
pub mod ranking;
pub mod read_api;
pub mod receipts;
pub mod registry;
pub mod staff;
pub mod survey;
pub mod targets;
pub mod trace;
pub mod wave_results;

use std::net::{IpAddr, Ipv4Addr};

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::config::Settings;
use crate::state::AppState;
use errors::{at_door, Fault, PageError};

/// Largest body accepted: a 2,000-character Vietnamese comment, percent-encoded, fits easily.
pub const MAX_BODY: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(path_config())
        .app_data(query_config())
        .app_data(form_config())
        .app_data(json_config())
        .service(resource("/health/live", "GET").route(web::get().to(health::live)))
        .service(resource("/health/ready", "GET").route(web::get().to(health::ready)))
        // The name load balancers and older scripts use: the same as /health/ready.
        .service(resource("/healthz", "GET").route(web::get().to(health::ready)))
        .service(
            resource("/q/{token}", "GET, POST")
                .route(web::get().to(citizen::form))
                .route(web::post().to(citizen::submit)),
        )
        .service(
            resource("/r/{token}", "GET, POST")
                .route(web::get().to(receipts::form))
                .route(web::post().to(receipts::submit)),
        )
        .service(resource("/r/{token}/qr.{format}", "GET").route(web::get().to(receipts::qr_code)))
        .service(resource("/s", "GET").route(web::get().to(invitation::enter)))
        .service(
            resource("/s/{code}", "GET, POST")
                .route(web::get().to(invitation::form))
                .route(web::post().to(invitation::submit)),
        )
        .service(
            resource("/mail-settings/{token}", "GET, POST")
                .route(web::get().to(mail_settings::show))
                .route(web::post().to(mail_settings::save)),
        )
        .service(
            // A mail program that opens the unsubscribe address in a browser gets the settings
            // page (a GET changes nothing); its one-click POST turns digests off.
            resource("/mail-settings/{token}/off", "GET, POST")
                .route(web::get().to(mail_settings::show_off))
                .route(web::post().to(mail_settings::off)),
        )
        .service(resource("/public", "GET").route(web::get().to(public::list)))
        .service(resource("/phuong-phap", "GET").route(web::get().to(public::methodology)))
        .service(resource("/public/{id}", "GET").route(web::get().to(public::period)))
        .service(
            resource("/public/{id}/snapshot.json", "GET").route(web::get().to(public::snapshot)),
        )
        .service(resource("/api/v1/responses", "POST").route(web::post().to(api::submit)))
        .service(resource("/api/v1/receipts", "POST").route(web::post().to(receipts::issue_one)))
        .service(
            resource("/api/v1/receipts/batch", "POST").route(web::post().to(receipts::issue_batch)),
        )
        .service(web::scope("/api/v1").configure(read_api_routes))
        .service(resource("/api/openapi.json", "GET").route(web::get().to(api::openapi)))
        .service(
            web::scope("/admin")
                .service(
                    resource("/login", "GET, POST")
                        .route(web::get().to(staff::login_form))
                        .route(web::post().to(staff::login)),
                )
                // Everything else under /admin needs a session, and its POSTs a CSRF token.
                .service(
                    web::scope("")
                        .wrap(from_fn(guard::staff_guard))
                        .service(resource("", "GET").route(web::get().to(staff::desks)))
                        .service(
                            resource("/dashboard", "GET")
                                .route(web::get().to(dashboard::dashboard)),
                        )
                        .service(
                            resource("/dashboard/annual", "GET")
                                .route(web::get().to(wave_results::agency_page)),
                        )
                        .service(
                            resource("/microdata.csv", "GET")
                                .route(web::get().to(microdata::microdata)),
                        )
                        .service(
                            resource("/dashboard.{format}", "GET")
                                .route(web::get().to(dashboard::download)),
                        )
                        .service(
                            resource("/dashboard/dossiers.{format}", "GET")
                                .route(web::get().to(dashboard::download_dossiers)),
                        )
                        .service(
                            resource("/comments/{id}/hidden", "POST")
                                .route(web::post().to(dashboard::moderate)),
                        )
                        .service(resource("/ranking", "GET").route(web::get().to(ranking::page)))
                        .service(
                            resource("/ranking.{format}", "GET")
                                .route(web::get().to(ranking::download)),
                        )
                        .service(resource("/lang/{code}", "GET").route(web::get().to(lang::switch)))
                        .service(resource("/logout", "POST").route(web::post().to(staff::logout)))
                        .service(
                            resource("/desks/{id}/poster", "GET")
                                .route(web::get().to(staff::poster)),
                        )
                        .service(
                            resource("/desks/{id}/rotate-key", "POST")
                                .route(web::post().to(staff::rotate_key)),
                        )
                        .service(web::scope("/api/v1").configure(read_api_routes))
                        .configure(registry_routes),
                ),
        )
        .default_service(web::to(not_found));
}

/// The registry of Home Affairs administrators (inside the staff guard).
/// The read API, mounted at `/api/v1` (bearer tokens) and at `/admin/api/v1` (where a
/// browser's staff session cookie, limited to `/admin`, is sent).
fn read_api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/agencies", "GET").route(web::get().to(read_api::agencies)))
        .service(
            resource("/agencies/{code}/indices", "GET").route(web::get().to(read_api::indices)),
        )
        .service(resource("/rankings", "GET").route(web::get().to(read_api::rankings)))
        .service(resource("/publications", "GET").route(web::get().to(read_api::publications)))
        .service(resource("/publications/{id}", "GET").route(web::get().to(read_api::publication)));
}

fn registry_routes(cfg: &mut web::ServiceConfig) {
    use registry as r;
    cfg.service(
        resource("/agencies", "GET, POST")
            .route(web::get().to(r::agencies))
            .route(web::post().to(r::create_agency)),
    )
    .service(
        resource("/agencies/{id}", "GET, POST")
            .route(web::get().to(r::agency))
            .route(web::post().to(r::update_agency)),
    )
    .service(resource("/agencies/{id}/active", "POST").route(web::post().to(r::set_agency_active)))
    .service(resource("/desks/new", "GET").route(web::get().to(r::new_desk)))
    .service(resource("/desks", "POST").route(web::post().to(r::create_desk)))
    .service(
        resource("/desks/{id}", "GET, POST")
            .route(web::get().to(r::desk))
            .route(web::post().to(r::update_desk)),
    )
    .service(resource("/desks/{id}/active", "POST").route(web::post().to(r::set_desk_active)))
    .service(
        resource("/users", "GET, POST")
            .route(web::get().to(r::users))
            .route(web::post().to(r::create_user)),
    )
    .service(
        resource("/users/{name}", "GET, POST")
            .route(web::get().to(r::user))
            .route(web::post().to(r::update_user)),
    )
    .service(resource("/users/{name}/active", "POST").route(web::post().to(r::set_user_active)))
    .service(resource("/users/{name}/mail", "POST").route(web::post().to(r::update_mail)))
    .service(
        resource("/par", "GET, POST")
            .route(web::get().to(par::page))
            .route(web::post().to(par::set_rule)),
    )
    .service(resource("/par.{format}", "GET").route(web::get().to(par::download)))
    .service(
        resource("/targets", "GET, POST")
            .route(web::get().to(targets::list))
            .route(web::post().to(targets::set)),
    )
    .service(resource("/audit", "GET").route(web::get().to(r::audit_log)))
    .service(
        resource("/publications", "GET, POST")
            .route(web::get().to(publish::publications))
            .route(web::post().to(publish::publish)),
    )
    .service(
        resource("/waves", "GET, POST")
            .route(web::get().to(survey::waves))
            .route(web::post().to(survey::create_wave)),
    )
    .service(resource("/waves/{id}", "GET").route(web::get().to(survey::wave)))
    .service(resource("/waves/{id}/frame", "POST").route(web::post().to(survey::upload_frame)))
    .service(resource("/waves/{id}/design", "POST").route(web::post().to(survey::design)))
    .service(resource("/waves/{id}/draw", "POST").route(web::post().to(survey::draw)))
    .service(resource("/waves/{id}/start", "POST").route(web::post().to(survey::start)))
    .service(resource("/waves/{id}/returns", "POST").route(web::post().to(survey::upload_returns)))
    .service(resource("/waves/{id}/replace", "POST").route(web::post().to(survey::replace)))
    .service(resource("/waves/{id}/letters.html", "GET").route(web::get().to(survey::letters)))
    .service(resource("/waves/{id}/results", "GET").route(web::get().to(wave_results::page)))
    .service(resource("/waves/{id}/publish", "POST").route(web::post().to(wave_results::publish)))
    .service(resource("/waves/{id}/paper", "GET").route(web::get().to(paper::start)))
    .service(
        resource("/waves/{id}/paper/{code}", "GET, POST")
            .route(web::get().to(paper::form))
            .route(web::post().to(paper::save)),
    )
    .service(resource("/waves/{id}/double-entry", "POST").route(web::post().to(paper::set_double)))
    .service(resource("/waves/{id}/paper-conflicts", "GET").route(web::get().to(paper::conflicts)))
    .service(
        resource("/waves/{id}/paper-conflicts/{unit}", "POST")
            .route(web::post().to(paper::resolve)),
    )
    .service(resource("/waves/{id}/close", "POST").route(web::post().to(survey::close)))
    .service(resource("/waves/{id}/purge-contacts", "POST").route(web::post().to(survey::purge)))
    .service(
        resource("/held", "GET, POST")
            .route(web::get().to(held::page))
            .route(web::post().to(held::decide)),
    )
    .service(resource("/outbox", "GET").route(web::get().to(outbox::page)))
    .service(resource("/outbox/{id}", "POST").route(web::post().to(outbox::decide)))
    .service(resource("/waves/{id}/sample.{format}", "GET").route(web::get().to(survey::sample)))
    // After the fixed names above (letters.html, sample.csv): results.* and responses.*.
    .service(
        resource("/waves/{id}/{what}.{format}", "GET").route(web::get().to(wave_results::download)),
    );
}

/// A resource whose other methods answer 405 with `Allow`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(at_door(&req, Fault::MethodNotAllowed(allow)))
    }))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Err(at_door(&req, Fault::NotFound))
}

// The framework's own extractors answer through the same policy, never with their own
// text (which would echo the input back, e.g. `can not parse "<input>" to a i32`).

fn path_config() -> web::PathConfig {
    // A path segment that does not parse names no resource.
    web::PathConfig::default().error_handler(|_, req| at_door(req, Fault::NotFound))
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_, req| at_door(req, Fault::BadRequest))
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(MAX_BODY)
        .error_handler(|e, req| {
            let fault = match e {
                UrlencodedError::Overflow { .. } | UrlencodedError::UnknownLength => {
                    Fault::TooLarge
                }
                UrlencodedError::ContentType => Fault::UnsupportedMediaType,
                _ => Fault::BadRequest,
            };
            at_door(req, fault)
        })
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY)
        .error_handler(|e, req| {
            let fault = match e {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => Fault::TooLarge,
                JsonPayloadError::ContentType => Fault::UnsupportedMediaType,
                _ => Fault::BadRequest,
            };
            at_door(req, fault)
        })
}

/// The client's address, for rate limiting only (never stored or logged). Behind a reverse
/// proxy that the operator runs (`SIPAS_TRUST_PROXY`), the proxy appends the real address
/// last; every earlier entry is whatever the client chose to send.
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

/// Reads the body up to `MAX_BODY`, so that an oversize request gets our own clear answer.
pub async fn read_body(payload: web::Payload) -> Result<web::Bytes, Fault> {
    read_body_up_to(payload, MAX_BODY).await
}

/// Largest body of a batch of receipts: 1,000 receipts of the longest fields.
pub const MAX_BATCH_BODY: usize = 512 * 1024;

/// Reads the body up to `limit` bytes.
pub async fn read_body_up_to(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, Fault> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Fault::BadRequest)?;
        if body.len() + chunk.len() > limit {
            return Err(Fault::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Refuses a body whose media type is not `expected` (parameters such as charset are ignored).
pub fn require_media_type(req: &HttpRequest, expected: &str) -> Result<(), Fault> {
    let actual = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if actual == expected {
        Ok(())
    } else {
        Err(Fault::UnsupportedMediaType)
    }
}

/// Renders a page of the shared templates; a template that does not render is a bug (500).
pub fn render<T: serde::Serialize>(
    state: &AppState,
    status: StatusCode,
    template: &str,
    page: &T,
) -> Result<HttpResponse, Fault> {
    let body = state
        .views
        .render(template, page)
        .map_err(|e| Fault::Internal(e.context(format!("rendering {template}"))))?;
    Ok(errors::html(status, body))
}

/// A redirect after a successful form post (POST/redirect/GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_owned()))
        .finish()
}

/// Shorthand for staff handlers.
pub type StaffResult = Result<HttpResponse, PageError>;

/// A query for a staff page: a database failure becomes the staff's 503 page.
/// [`staff_query`] for a page's reading, with the page deadline (`db::PAGE_DEADLINE`): a
/// stalled database is a prompt 503, not a wait as long as the stall.
pub async fn staff_read<T, F>(state: &AppState, job: F) -> Result<T, PageError>
where
    F: FnOnce(&mut crate::db::Conn) -> Result<T, crate::db::QueryError> + Send + 'static,
    T: Send + 'static,
{
    crate::db::run_within(&state.pool, crate::db::PAGE_DEADLINE, job)
        .await
        .map_err(PageError::staff)
}

pub async fn staff_query<T, F>(state: &AppState, job: F) -> Result<T, PageError>
where
    F: FnOnce(&mut crate::db::Conn) -> Result<T, crate::db::QueryError> + Send + 'static,
    T: Send + 'static,
{
    crate::db::run(&state.pool, job)
        .await
        .map_err(PageError::staff)
}
