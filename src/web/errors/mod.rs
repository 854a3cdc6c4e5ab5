//! # The error policy
//!
//! Every fault that ends a request is a [`Fault`]: what went wrong, said once, whatever the
//! door. The door decides only the form of the answer:
//!
//! - **citizen pages** (`/q/…`, any other page) answer an HTML page in the reader's language
//!   (Vietnamese unless `lang=en`), through [`PageError`];
//! - **staff pages** (`/admin…`) answer an HTML page in Vietnamese, through [`PageError`];
//! - **the API** (`/api/…`) answers an RFC 9457 problem document
//!   (`application/problem+json`), through [`ApiProblem`].
//!
//! The status, `Retry-After` and `Allow` come from the fault alone ([`Fault::status`]), so the
//! same fault has the same status at every door:
//!
//! | fault | status | extra header |
//! |---|---|---|
//! | `BadToken`: desk token malformed, forged, or for no desk | 404 | |
//! | `Revoked`: the desk's codes were revoked or the desk closed | 410 | |
//! | `BadReceipt`: receipt token malformed, forged, or for no receipt | 404 | |
//! | `ReceiptExpired`: the receipt's last day has passed | 410 | |
//! | `ReceiptUsed`: the receipt gave its rating already | 409 | |
//! | `Invalid`: fields of a submission are wrong | 422 | |
//! | `RateLimited` | 429 | `Retry-After` |
//! | `Busy`: the ingest queue is full, nothing stored | 503 | `Retry-After: 1` |
//! | `Unavailable`: the database is unreachable, the pool had no connection in time, a statement passed its deadline (`SIPAS_STATEMENT_TIMEOUT_SECS`), a deadlock or serialization conflict, a read-only standby (a rating may or may not have been stored) | 503 | `Retry-After: 5` |
//! | `TimedOut`: the request's body arrived too slowly and was cut off | 408 | `Connection: close` |
//! | `Internal`: a bug — a constraint violated, a query that does not fit the schema, a step that failed for any other reason, a template that does not render: retrying will not help | 500 | |
//! | `NotFound` (unknown path, or a path segment that does not parse) | 404 | |
//! | `MethodNotAllowed` | 405 | `Allow` |
//! | `BadRequest` (a body or query that does not parse) | 400 | |
//! | `TooLarge` | 413 | |
//! | `UnsupportedMediaType` | 415 | |
//! | `Forbidden` (a form without a valid CSRF token) | 403 | |
//! | `NotAllowed` (the role may read but not change this) | 403 | |
//! | `SignIn` (a staff page without a valid session) | 303 to `/admin/login?next=…` | `Location` |
//!
//! Which of the two a failure below the door is, is decided in one place, [`Fault::database`]
//! (with `db::is_transient` for what only `db/` can tell); a handler never picks 503 by hand.
//! Steps that can refuse return a typed error — `survey::StepError` (a refusal with its
//! reason, or a fault), `results::ResultsError` (not found, a refused parameter, the database),
//! the registry's and publishing's `Refused` — which the page shows or converts here; no handler
//! tells a refusal from a fault by downcasting.
//!
//! Messages never echo the input back (a path segment, a body) and never show a cause. The
//! cause of a 5xx is logged once, with its whole chain, when the response is built; 4xx are the
//! client's business and are not logged. A database failure tells staff that the page could not
//! be loaded, and tells a citizen that the rating was not saved: each audience hears what
//! happened to them.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::db::DbError;
use crate::domain::FieldError;
use crate::ingest::writer::WriteError;
use crate::ingest::Rejection;
use crate::views::citizen::{ErrorPage, Link};
use crate::views::{Chrome, Lang, Views};

/// What went wrong, independent of who asked.
#[derive(Debug)]
pub enum Fault {
    BadToken,
    Revoked,
    BadReceipt,
    ReceiptExpired,
    ReceiptUsed,
    Invalid(Vec<FieldError>),
    RateLimited(Duration),
    Busy,
    Unavailable(anyhow::Error),
    /// The body did not arrive within its deadline (a slow or stalled sender).
    TimedOut,
    Internal(anyhow::Error),
    NotFound,
    MethodNotAllowed(&'static str),
    BadRequest,
    TooLarge,
    UnsupportedMediaType,
    Forbidden,
    /// Signed in, but the role may not do this (a viewer asking to change something).
    NotAllowed,
    SignIn {
        next: String,
    },
    /// The read API without a valid bearer token or session.
    Unauthenticated,
}

impl Fault {
    /// The one place a failure below the door is classified: the database (or the rate-limit
    /// store) away, busy or past its statement deadline is `Unavailable` (503, retry later);
    /// anything else — a constraint, a query that does not fit the schema, a bug in a step —
    /// is `Internal` (500: retrying will not help).
    pub fn database(e: impl Into<anyhow::Error>) -> Fault {
        let e = e.into();
        if is_transient(&e) {
            Fault::Unavailable(e)
        } else {
            Fault::Internal(e)
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Fault::BadToken | Fault::BadReceipt | Fault::NotFound => StatusCode::NOT_FOUND,
            Fault::Revoked | Fault::ReceiptExpired => StatusCode::GONE,
            Fault::ReceiptUsed => StatusCode::CONFLICT,
            Fault::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Fault::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Fault::Busy | Fault::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Fault::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Fault::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Fault::BadRequest => StatusCode::BAD_REQUEST,
            Fault::TimedOut => StatusCode::REQUEST_TIMEOUT,
            Fault::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Fault::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Fault::Forbidden | Fault::NotAllowed => StatusCode::FORBIDDEN,
            Fault::SignIn { .. } => StatusCode::SEE_OTHER,
            Fault::Unauthenticated => StatusCode::UNAUTHORIZED,
        }
    }

    /// Seconds a client should wait before retrying, where waiting helps.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Fault::RateLimited(wait) => Some(wait.as_secs().max(1)),
            Fault::Busy => Some(1),
            Fault::Unavailable(_) => Some(5),
            _ => None,
        }
    }

    fn cause(&self) -> Option<&anyhow::Error> {
        match self {
            Fault::Unavailable(e) | Fault::Internal(e) => Some(e),
            _ => None,
        }
    }

    /// Headers every door adds for this fault.
    pub fn headers(&self, resp: &mut HttpResponse) {
        let h = resp.headers_mut();
        if let Some(secs) = self.retry_after() {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Fault::Unauthenticated = self {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sipas\""),
            );
        }
        if let Fault::TimedOut = self {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Fault::MethodNotAllowed(allow) = self {
            h.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Fault::SignIn { next } = self {
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            if let Ok(v) = HeaderValue::from_str(&format!("/admin/login?{query}")) {
                h.insert(header::LOCATION, v);
            }
        }
    }

    /// Logs the cause of a server-side fault, once, with its chain.
    fn log(&self) {
        if let Some(cause) = self.cause() {
            tracing::error!(status = self.status().as_u16(), "request failed: {cause:#}");
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What actix logs at debug level: the kind, never an input or a cause's text.
        write!(f, "{} {}", self.status().as_u16(), self.api_detail())
    }
}

impl From<Rejection> for Fault {
    fn from(r: Rejection) -> Fault {
        match r {
            Rejection::BadToken => Fault::BadToken,
            Rejection::Revoked => Fault::Revoked,
            Rejection::BadReceipt => Fault::BadReceipt,
            Rejection::ReceiptExpired => Fault::ReceiptExpired,
            Rejection::ReceiptUsed => Fault::ReceiptUsed,
            Rejection::Invalid(errors) => Fault::Invalid(errors),
            Rejection::RateLimited(wait) => Fault::RateLimited(wait),
            Rejection::Busy => Fault::Busy,
            Rejection::Unavailable(e) => Fault::database(e),
        }
    }
}

impl From<DbError> for Fault {
    fn from(e: DbError) -> Fault {
        Fault::database(e)
    }
}

impl From<crate::results::ResultsError> for Fault {
    fn from(e: crate::results::ResultsError) -> Fault {
        use crate::results::ResultsError as E;
        match e {
            E::NotFound => Fault::NotFound,
            E::Database(e) => Fault::database(e),
            E::Analysis(e) => Fault::Internal(e.into()),
            E::Invalid(errors) => Fault::Invalid(errors),
            E::Other(e) => Fault::database(e),
        }
    }
}

impl From<crate::survey::StepError> for Fault {
    /// A refusal that reaches a door unhandled is the client's to mend (422, with its reason);
    /// a fault is classified.
    fn from(e: crate::survey::StepError) -> Fault {
        match e {
            crate::survey::StepError::Refused(why) => {
                Fault::Invalid(vec![crate::domain::FieldError::new("step", why.vi, why.en)])
            }
            crate::survey::StepError::Fault(e) => Fault::database(e),
        }
    }
}

/// The first cause in the chain that knows what it is decides.
fn is_transient(e: &anyhow::Error) -> bool {
    e.chain()
        .find_map(|cause| {
            crate::db::is_transient(cause)
                .or_else(|| {
                    cause
                        .downcast_ref::<WriteError>()
                        .and_then(WriteError::is_transient)
                })
                .or_else(|| cause.is::<redis::RedisError>().then_some(true))
        })
        .unwrap_or(false)
}

/// Who reads an HTML error page.
#[derive(Clone, Copy, Debug)]
pub enum Audience {
    Citizen(Lang),
    Staff,
}

/// A fault answered as an HTML page.
#[derive(Debug)]
pub struct PageError {
    pub fault: Fault,
    pub audience: Audience,
    /// A more precise message than the fault's own, e.g. "no such desk".
    pub message: Option<Cow<'static, str>>,
    /// The query parameters a staff page refused, and the page again without them (every
    /// other filter kept), offered as the way back.
    pub refused: Vec<String>,
    pub retry: Option<String>,
}

impl PageError {
    pub fn citizen(lang: Lang, fault: impl Into<Fault>) -> PageError {
        PageError {
            fault: fault.into(),
            audience: Audience::Citizen(lang),
            message: None,
            refused: Vec::new(),
            retry: None,
        }
    }

    pub fn staff(fault: impl Into<Fault>) -> PageError {
        PageError {
            fault: fault.into(),
            audience: Audience::Staff,
            message: None,
            refused: Vec::new(),
            retry: None,
        }
    }

    pub fn saying(mut self, message: &'static str) -> PageError {
        self.message = Some(Cow::Borrowed(message));
        self
    }

    /// A fault of a staff page's query: refused parameters become a 400 page that names the
    /// fields in Vietnamese; anything else keeps its status.
    pub fn for_staff(fault: Fault) -> PageError {
        match fault {
            Fault::Invalid(errors) => {
                let said = errors
                    .iter()
                    .map(|e| e.message_vi.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut e = PageError::staff(Fault::BadRequest).saying_owned(said);
                e.refused = errors.into_iter().map(|e| e.field).collect();
                e
            }
            other => PageError::staff(other),
        }
    }

    /// Offers `here` (the page's path and query) again without the refused parameters, so a
    /// mistyped filter does not lose the others. (A reversed period refuses `from` and `to`.)
    pub fn keeping_filters(mut self, here: &str) -> PageError {
        if self.refused.is_empty() {
            return self;
        }
        let (path, query) = here.split_once('?').unwrap_or((here, ""));
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        // A reversed period is refused as `from`; its `to` goes with it.
        let dropped = |k: &str| {
            self.refused
                .iter()
                .any(|r| r == k || (r == "from" && k == "to"))
        };
        let kept: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| !dropped(k)).collect();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        self.retry = Some(if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        });
        self
    }

    /// As `saying`, for a message made for this request (e.g. naming a field).
    pub fn saying_owned(mut self, message: String) -> PageError {
        self.message = Some(Cow::Owned(message));
        self
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fault.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.fault.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.fault.log();
        let status = self.fault.status();
        let mut resp = if let Fault::SignIn { .. } = self.fault {
            HttpResponse::build(status).finish()
        } else {
            let (lang, title, message, back) = match self.audience {
                Audience::Citizen(lang) => (
                    lang,
                    self.fault.citizen_title(lang),
                    self.fault.citizen_message(lang),
                    None,
                ),
                Audience::Staff => (
                    Lang::Vi,
                    self.fault.staff_title(),
                    self.fault.staff_message(),
                    Some(match &self.retry {
                        Some(href) => Link {
                            href,
                            label: "← Quay lại trang, giữ các bộ lọc khác",
                        },
                        None => STAFF_HOME,
                    }),
                ),
            };
            let page = ErrorPage {
                chrome: Chrome::new(lang),
                title,
                message: self.message.as_deref().unwrap_or(message),
                status: status.as_u16(),
                back,
            };
            render_error(status, &page)
        };
        self.fault.headers(&mut resp);
        resp
    }
}

const STAFF_HOME: Link<'static> = Link {
    href: "/admin",
    label: "← Về trang quản trị",
};

/// The error page, built without the app's state so that any error can use it.
fn render_error(status: StatusCode, page: &ErrorPage) -> HttpResponse {
    match Views::shared().and_then(|v| v.render("error.html", page)) {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!("rendering the error page failed: {e:#}");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(page.message.to_owned())
        }
    }
}

/// An HTML response that no cache keeps.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A fault answered as an RFC 9457 problem document.
#[derive(Debug)]
pub struct ApiProblem(pub Fault);

impl<F: Into<Fault>> From<F> for ApiProblem {
    fn from(f: F) -> ApiProblem {
        ApiProblem(f.into())
    }
}

impl fmt::Display for ApiProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiProblem {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let status = self.0.status();
        let errors: Vec<Value> = match &self.0 {
            Fault::Invalid(errors) => errors
                .iter()
                .map(|e| json!({ "field": e.field, "message": e.message_en, "message_vi": e.message_vi }))
                .collect(),
            _ => Vec::new(),
        };
        let body = json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.0.api_detail(),
            "errors": errors,
        });
        let mut resp = HttpResponse::build(status)
            .content_type("application/problem+json")
            .body(body.to_string());
        self.0.headers(&mut resp);
        resp
    }
}

/// The door a request came through, from its path.
pub fn door_of(req: &HttpRequest) -> Door {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        Door::Api
    } else if path == "/admin" || path.starts_with("/admin/") {
        Door::Staff
    } else {
        let lang = req
            .query_string()
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="));
        Door::Citizen(Lang::parse(lang))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    Citizen(Lang),
    Staff,
    Api,
}

/// The fault answered in the form of the request's door: used where the framework, not a
/// handler, meets the fault (unknown paths, wrong methods, extractors that cannot parse).
pub fn at_door(req: &HttpRequest, fault: Fault) -> actix_web::Error {
    // Refused fields are named on a page too, in the reader's language.
    let said = |fault: &Fault, english: bool| match fault {
        Fault::Invalid(errors) => Some(
            errors
                .iter()
                .map(|e| {
                    if english {
                        e.message_en.as_str()
                    } else {
                        e.message_vi.as_str()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    };
    match door_of(req) {
        Door::Api => ApiProblem(fault).into(),
        Door::Staff => {
            let message = said(&fault, false);
            let page = PageError::staff(fault);
            match message {
                Some(m) => page.saying_owned(m).into(),
                None => page.into(),
            }
        }
        Door::Citizen(lang) => {
            let message = said(&fault, lang == Lang::En);
            let page = PageError::citizen(lang, fault);
            match message {
                Some(m) => page.saying_owned(m).into(),
                None => page.into(),
            }
        }
    }
}

mod messages;
#[cfg(test)]
mod tests;
