//! The one guard of the staff pages: everything under `/admin` except sign-in passes through
//! [`staff_guard`], which turns away anyone without a valid session (303 to the sign-in page)
//! and every POST without the session's CSRF token (403), before any handler runs. Handlers
//! take the signed-in user as a [`StaffUser`] argument and repeat none of this.

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::errors::{Fault, PageError};
use crate::auth::{csrf, session};
use crate::db::{self, audit::Actor, users::User};
use crate::domain::Role;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sipas_session";

/// The signed-in staff member of this request, put there by [`staff_guard`].
#[derive(Clone)]
pub struct StaffUser {
    pub user: User,
    /// The session cookie's value: what this session's CSRF tokens are bound to.
    session: String,
    /// What the database stores of it (to end it).
    session_hash: [u8; 32],
    /// The path asked for, for the navigation's current tab.
    path: String,
    /// An operator's warning for administrators (several nodes, limits in memory).
    notice: Option<String>,
}

impl StaffUser {
    /// This user, as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.username)
    }

    /// What the database stores of this session's id (to end it).
    pub fn session_hash(&self) -> [u8; 32] {
        self.session_hash
    }

    /// The CSRF token for forms on this user's pages.
    pub fn csrf_token(&self, key: &[u8]) -> String {
        csrf::token(key, &self.session)
    }

    /// The frame of a staff page for this reader.
    pub fn frame(&self, key: &[u8], lang: crate::views::Lang) -> crate::views::StaffFrame {
        crate::views::StaffFrame {
            chrome: crate::views::Chrome::new(lang),
            username: self.user.username.clone(),
            csrf: self.csrf_token(key),
            is_admin: self.user.role == crate::domain::Role::Admin,
            current: crate::views::current_tab(&self.path),
            notice: self.notice.clone(),
        }
    }
}

impl FromRequest for StaffUser {
    type Error = PageError;
    type Future = Ready<Result<StaffUser, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Missing only if a handler was mounted outside the guard: fail closed.
        ready(req.extensions().get::<StaffUser>().cloned().ok_or_else(|| {
            PageError::staff(Fault::Internal(anyhow::anyhow!(
                "staff handler for {} mounted outside the staff guard",
                req.path()
            )))
        }))
    }
}

pub async fn staff_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Refusals are answered here, as responses, so the headers middleware above sees them.
    let refuse = |req: ServiceRequest, e: PageError| {
        let resp = actix_web::ResponseError::error_response(&e);
        Ok(req.into_response(resp).map_into_right_body())
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered by startup");
    let staff = match signed_in(req.request(), &state).await {
        Ok(Some(staff)) => staff,
        Ok(None) => {
            // Come back to the same page after signing in; a form post cannot be replayed.
            let next = if req.method() == Method::GET {
                req.path().to_owned()
            } else {
                "/admin".to_owned()
            };
            return refuse(req, PageError::staff(Fault::SignIn { next }));
        }
        Err(e) => return refuse(req, e),
    };
    if req.method() != Method::GET && req.method() != Method::HEAD && is_multipart(req.request()) {
        // A file upload is streamed to its handler, not read here: its token rides in the
        // query string (`?csrf=`; pages send no Referer, so it does not leak).
        if !csrf_query_ok(req.query_string(), &state.key, &staff.session) {
            return refuse(req, PageError::staff(Fault::Forbidden));
        }
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        let body = match req.extract::<web::Payload>().await {
            Ok(payload) => super::read_body(payload).await.map_err(PageError::staff),
            Err(_) => Err(PageError::staff(Fault::BadRequest)),
        };
        let body = match body {
            Ok(body) => body,
            Err(e) => return refuse(req, e),
        };
        if !csrf_field_ok(&body, &state.key, &staff.session) {
            return refuse(req, PageError::staff(Fault::Forbidden));
        }
        req.set_payload(Payload::from(body));
    }
    req.extensions_mut().insert(staff);
    Ok(next.call(req).await?.map_into_left_body())
}

/// The user of a live session (not ended, not idle too long, not past its absolute end, of an
/// active account), looked up in the database on every request so that an ended session ends
/// on every node at once.
pub(super) async fn signed_in(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<StaffUser>, PageError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let value = cookie.value().to_owned();
    let Some(hash) = session::id_hash(&value) else {
        return Ok(None);
    };
    let idle = state.settings.session_timing.idle().as_secs_f64();
    let user = db::run_within(&state.pool, db::LOOKUP_DEADLINE, move |c| {
        db::sessions::touch(c, &hash, idle)
    })
    .await
    .map_err(PageError::staff)?;
    Ok(user.map(|user| StaffUser {
        notice: (user.role == crate::domain::Role::Admin)
            .then(|| state.peers.warning_vi())
            .flatten(),
        user,
        session: value,
        session_hash: hash,
        path: req.path().to_owned(),
    }))
}

fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn csrf_query_ok(query: &str, key: &[u8], session: &str) -> bool {
    csrf_field_ok(query.as_bytes(), key, session)
}

fn csrf_field_ok(body: &[u8], key: &[u8], session: &str) -> bool {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf"))
        .is_some_and(|(_, token)| csrf::verify(key, session, &token))
}

/// A signed-in Home Affairs administrator. Anyone else is answered 404, as if the
/// administration pages did not exist.
pub struct AdminUser(pub StaffUser);

impl FromRequest for AdminUser {
    type Error = PageError;
    type Future = Ready<Result<AdminUser, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = match StaffUser::from_request(req, payload).into_inner() {
            Ok(s) => s,
            Err(e) => return ready(Err(e)),
        };
        ready(if staff.user.role == Role::Admin {
            Ok(AdminUser(staff))
        } else {
            Err(PageError::staff(Fault::NotFound))
        })
    }
}
