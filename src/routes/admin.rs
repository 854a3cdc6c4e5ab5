//! Staff pages: sign-in, the desk list, each desk's printable poster, key rotation.
//!
//! Every page checks the session first, and every desk is read through a query that applies
//! the user's scope (`db::desks::find_visible`), so a URL with another agency's desk id gives
//! 404, not the poster. Forms carry CSRF tokens bound to the session.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::client_ip;
use crate::db::{self, desks::DeskInfo, users::User};
use crate::domain::session::{self, Session};
use crate::i18n::Lang;
use crate::posters;
use crate::qr;
use crate::state::AppState;
use crate::views::Chrome;

const SESSION_COOKIE: &str = "sipas_session";
const LOGIN_COOKIE: &str = "sipas_login";
const SESSION_HOURS: i64 = 8;

/// A hash of a random password, checked when the user does not exist so that a wrong username
/// takes as long as a wrong password.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let mut pw = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut pw);
        let pw: String = pw.iter().map(|b| format!("{b:02x}")).collect();
        session::hash_password(&pw).unwrap_or_default()
    })
    .clone()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The signed-in user and their session cookie's value, if the session is valid.
async fn current_user(req: &HttpRequest, state: &AppState) -> Option<(User, String)> {
    let value = req.cookie(SESSION_COOKIE)?.value().to_owned();
    let s = Session::decode(&value, &state.key, now())?;
    let user = db::run(&state.pool, move |c| db::users::by_id(c, s.user_id))
        .await
        .ok()??;
    (user.session_epoch == s.epoch).then_some((user, value))
}

fn to_login(req: &HttpRequest) -> HttpResponse {
    let next = serde_urlencoded::to_string([("next", req.path())]).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/login?{next}")))
        .finish()
}

fn secure(state: &AppState) -> bool {
    state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

#[derive(Serialize)]
struct LoginPage<'a> {
    #[serde(flatten)]
    chrome: Chrome,
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
    login_name: &'a str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only our own admin pages are valid targets after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains("\\") => {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
    username: &str,
) -> HttpResponse {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let csrf = session::csrf_token(&state.key, &format!("login:{nonce}"));
    let page = LoginPage {
        chrome: Chrome::new(Lang::Vi),
        csrf: &csrf,
        next,
        error,
        login_name: username,
    };
    let cookie = Cookie::build(LOGIN_COOKIE, nonce)
        .path("/admin")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(1))
        .finish();
    let mut resp = super::render(state, status, "admin_login.html", &page);
    let _ = resp.add_cookie(&cookie);
    resp
}

#[get("/admin/login")]
pub async fn login_form(state: web::Data<AppState>, q: web::Query<NextQuery>) -> HttpResponse {
    login_page(
        &state,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        None,
        "",
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

#[post("/admin/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_lowercase();
    if let Err(wait) = state
        .login_limiter
        .take(&client_ip(&req, &state.settings), std::time::Instant::now())
    {
        let mut resp = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            Some("Quá nhiều lần đăng nhập. Vui lòng thử lại sau ít phút."),
            &username,
        );
        let _ = resp.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(wait.as_secs().max(1)),
        );
        return resp;
    }
    let nonce = req
        .cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if nonce.is_empty() || !session::csrf_ok(&state.key, &format!("login:{nonce}"), &form.csrf) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            Some("Phiên đăng nhập đã hết hạn. Vui lòng nhập lại."),
            &username,
        );
    }
    let lookup = username.clone();
    let user = db::run(&state.pool, move |c| db::users::by_username(c, &lookup)).await;
    let user = match user {
        Ok(u) => u,
        Err(e) => {
            return unavailable(&state, &e, "sign-in lookup failed");
        }
    };
    let password = form.password.clone();
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(dummy_hash);
    let ok = web::block(move || session::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match user {
        Some(u) if ok => {
            let s = Session {
                user_id: u.id,
                epoch: u.session_epoch,
                expires: now() + SESSION_HOURS * 3600,
            };
            tracing::info!(user_id = u.id, "signed in");
            let cookie = Cookie::build(SESSION_COOKIE, s.encode(&state.key))
                .path("/admin")
                .http_only(true)
                .secure(secure(&state))
                .same_site(SameSite::Strict)
                .max_age(CookieDuration::hours(SESSION_HOURS))
                .finish();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(cookie)
                .finish()
        }
        _ => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("Sai tên đăng nhập hoặc mật khẩu."),
            &username,
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

#[post("/admin/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if let Some((_, value)) = current_user(&req, &state).await {
        if !session::csrf_ok(&state.key, &value, &form.csrf) {
            return super::citizen::error_page(
                &state,
                Lang::Vi,
                StatusCode::FORBIDDEN,
                "Yêu cầu không hợp lệ (CSRF).",
            );
        }
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/admin").finish();
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .cookie(gone)
        .finish()
}

#[derive(Serialize)]
struct DeskRow {
    desk: DeskInfo,
    url: String,
}

#[derive(Serialize)]
struct DesksPage<'a> {
    #[serde(flatten)]
    chrome: Chrome,
    username: &'a str,
    csrf: &'a str,
    desks: Vec<DeskRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    rotated: Option<i32>,
}

#[get("/admin")]
pub async fn desks(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<NoticeQuery>,
) -> HttpResponse {
    let Some((user, session)) = current_user(&req, &state).await else {
        return to_login(&req);
    };
    let scope = user.scope();
    let list = match db::run(&state.pool, move |c| db::desks::list_visible(c, scope)).await {
        Ok(l) => l,
        Err(e) => {
            return unavailable(&state, &e, "listing desks failed");
        }
    };
    let base = state.settings.public_base();
    let rows = list
        .into_iter()
        .map(|desk| DeskRow {
            url: qr::desk_url(&base, &desk, &state.key),
            desk,
        })
        .collect();
    let csrf = session::csrf_token(&state.key, &session);
    let page = DesksPage {
        chrome: Chrome::new(Lang::Vi),
        username: &user.username,
        csrf: &csrf,
        desks: rows,
        notice: q
            .rotated
            .map(|id| format!("Đã thu hồi mã QR cũ của quầy {id}. Hãy in áp phích mới.")),
    };
    super::render(&state, StatusCode::OK, "admin_desks.html", &page)
}

async fn visible_desk(state: &AppState, user: &User, id: i32) -> Result<DeskInfo, HttpResponse> {
    let scope = user.scope();
    match db::run(&state.pool, move |c| db::desks::find_visible(c, scope, id)).await {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(super::citizen::error_page(
            state,
            Lang::Vi,
            StatusCode::NOT_FOUND,
            "Không tìm thấy quầy này.",
        )),
        Err(e) => Err(unavailable(state, &e, "reading a desk failed")),
    }
}

#[get("/admin/desks/{id}/poster")]
pub async fn poster(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i32>,
) -> HttpResponse {
    let Some((user, _)) = current_user(&req, &state).await else {
        return to_login(&req);
    };
    let desk = match visible_desk(&state, &user, *id).await {
        Ok(d) => d,
        Err(resp) => return resp,
    };
    let url = qr::desk_url(&state.settings.public_base(), &desk, &state.key);
    match posters::poster_html(&state.views, &desk, &url) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = ?e, "poster failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[post("/admin/desks/{id}/rotate-key")]
pub async fn rotate_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i32>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let Some((user, session)) = current_user(&req, &state).await else {
        return to_login(&req);
    };
    if !session::csrf_ok(&state.key, &session, &form.csrf) {
        return super::citizen::error_page(
            &state,
            Lang::Vi,
            StatusCode::FORBIDDEN,
            "Yêu cầu không hợp lệ (CSRF). Vui lòng tải lại trang.",
        );
    }
    let desk = match visible_desk(&state, &user, *id).await {
        Ok(d) => d,
        Err(resp) => return resp,
    };
    let desk_id = desk.id;
    match db::run(&state.pool, move |c| db::desks::rotate_key(c, desk_id)).await {
        Ok(_) => {
            tracing::info!(user_id = user.id, desk_id, "desk key rotated");
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/admin?rotated={desk_id}")))
                .finish()
        }
        Err(e) => unavailable(&state, &e, "rotating a key failed"),
    }
}

/// A database failure on a staff page: logged with its cause, a plain Vietnamese 503 shown.
fn unavailable(state: &AppState, e: &dyn std::fmt::Display, what: &str) -> HttpResponse {
    tracing::error!(error = %e, "{what}");
    super::citizen::error_page(
        state,
        Lang::Vi,
        StatusCode::SERVICE_UNAVAILABLE,
        Lang::Vi.texts().internal,
    )
}
