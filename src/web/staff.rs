//! Staff pages: sign-in, the desk list, each desk's printable poster, key rotation.
//!
//! Sign-in and CSRF are checked once for the whole scope by `guard::staff_guard`; every desk
//! is read through a query that applies the user's scope (`db::desks::find_visible`), so a URL
//! with another agency's desk id gives 404, not the poster.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use rand::RngCore;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::{StaffUser, SESSION_COOKIE};
use super::{client_ip, errors, render, see_other, staff_query, StaffResult};
use crate::auth::{csrf, password, session};
use crate::db::{self, desks::DeskInfo, users::User};
use crate::desks::{posters, qr};
use crate::ingest::ratelimit::{Limited, Subject};
use crate::state::AppState;
use crate::views::staff::{DeskRow, DesksPage, LoginPage};
use crate::views::{Chrome, DeskView, Lang};

const LOGIN_COOKIE: &str = "sipas_login";

/// A hash of a random password, checked when the user does not exist so that a wrong username
/// takes as long as a wrong password.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password::hash_password(&random_hex(24)).unwrap_or_default())
        .clone()
}

fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn staff_cookie<'c>(
    state: &AppState,
    name: &'c str,
    value: String,
    hours: i64,
) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/admin")
        .http_only(true)
        .secure(state.settings.https())
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(hours))
        .finish()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after signing in: a path of this site's admin pages, written only with the
/// characters a URL path and query may hold (so it can never break the `Location` header or
/// lead elsewhere); anything else — another site, a line break, a space, a backslash, a dot
/// segment, even percent-encoded — is the start page.
fn safe_next(next: Option<&str>) -> String {
    const START: &str = "/admin";
    let Some(n) = next else {
        return START.to_owned();
    };
    let path = n.split(['?', '#']).next().unwrap_or("");
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%?#".contains(c);
    let escapes_ok = n
        .split('%')
        .skip(1)
        .all(|rest| rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    let lower = path.to_ascii_lowercase();
    let ok = n.len() <= 2_000
        && (path == START || path.starts_with("/admin/"))
        && n.chars().all(allowed)
        && escapes_ok
        && !path.split('/').any(|seg| seg == "." || seg == "..")
        // Browsers read %2e as a dot in a path segment, and %2f / %5c as separators.
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !lower.contains("%5c");
    if ok {
        n.to_owned()
    } else {
        START.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_admin_paths_in_plain_url_characters_are_followed_after_sign_in() {
        for good in [
            "/admin",
            "/admin/desks/3/poster",
            "/admin/dashboard?agency=2&from=2026-01-01",
            "/admin/waves/1#results",
            "/admin/dashboard?q=Th%E1%BB%A7",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "/admin\r\nSet-Cookie: x=1",
            "/admin\n",
            "/admin/ x",
            "//evil.example",
            "https://evil.example/admin",
            "/administrator",
            "/admin/../public",
            "/admin/%2e%2e/public",
            "/admin/%2F%2Fevil",
            "/admin\\evil",
            "/admin/%zz",
            "/admin/%",
            "/admin/Thủ",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/admin", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/admin");
    }
}

/// The sign-in page, with a fresh pre-session nonce (cookie) and the CSRF token bound to it.
fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
    username: &str,
) -> StaffResult {
    let nonce = random_hex(16);
    let csrf = csrf::token(&state.key, &format!("login:{nonce}"));
    let page = LoginPage {
        chrome: Chrome::new(Lang::Vi),
        csrf: &csrf,
        next,
        error,
        login_name: username,
    };
    let mut resp = render(state, status, "admin_login.html", &page).map_err(PageError::staff)?;
    resp.add_cookie(&staff_cookie(state, LOGIN_COOKIE, nonce, 1))
        .map_err(|e| PageError::staff(Fault::Internal(e.into())))?;
    Ok(resp)
}

pub async fn login_form(state: web::Data<AppState>, q: web::Query<NextQuery>) -> StaffResult {
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

/// Why a sign-in was refused; each shows the sign-in page again with its own message.
enum Refusal {
    /// Too many attempts from this address.
    TooMany(std::time::Duration),
    /// Too many failures for this account name, from anywhere.
    AccountWait(std::time::Duration),
    Expired,
    WrongCredentials,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> StaffResult {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_lowercase();
    let too_many = |message: String, wait: std::time::Duration| -> StaffResult {
        let mut resp = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            Some(&message),
            &username,
        )?;
        // The same header as every other rate limit (see `errors`).
        Fault::RateLimited(wait).headers(&mut resp);
        Ok(resp)
    };
    match check_login(&state, &req, &form, &username).await? {
        Ok(user) => {
            let id = session::new_id();
            let hash = session::id_hash(&id).expect("a new id has the issued shape");
            let timing = state.settings.session_timing;
            let (absolute, idle) = (timing.absolute().as_secs_f64(), timing.idle().as_secs_f64());
            let user_id = user.id;
            staff_query(&state, move |c| {
                db::sessions::start(c, &user, &hash, absolute, idle)
            })
            .await?;
            tracing::info!(user_id, "signed in");
            let hours = (timing.absolute.as_secs() / 3600).max(1) as i64;
            let cookie = staff_cookie(&state, SESSION_COOKIE, id, hours);
            let mut resp = see_other(&next);
            resp.add_cookie(&cookie)
                .map_err(|e| PageError::staff(Fault::Internal(e.into())))?;
            Ok(resp)
        }
        Err(Refusal::TooMany(wait)) => too_many(
            "Quá nhiều lần đăng nhập. Vui lòng thử lại sau ít phút.".to_owned(),
            wait,
        ),
        Err(Refusal::AccountWait(wait)) => too_many(
            format!(
                "Tài khoản này vừa bị nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau {} giây.",
                wait.as_secs().max(1)
            ),
            wait,
        ),
        Err(Refusal::Expired) => login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            Some("Phiên đăng nhập đã hết hạn. Vui lòng nhập lại."),
            &username,
        ),
        Err(Refusal::WrongCredentials) => login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("Sai tên đăng nhập hoặc mật khẩu."),
            &username,
        ),
    }
}

/// How failed sign-ins of one account slow the next: five tries at once (the fifth starts the
/// wait), then one after 1 s, 2 s, 4 s …
/// up to a minute between tries — at most 60 guesses an hour per account from any number of
/// addresses (ASVS 2.2.1 allows 100), and a person whose name is being guessed waits at most
/// a minute.
pub const ACCOUNT_BACKOFF: db::sessions::Backoff = db::sessions::Backoff {
    waits_from: 5,
    first_wait_secs: 1.0,
    max_wait_secs: 60.0,
};

/// Rate limit per address, then the pre-session CSRF token, then an attempt reserved on the
/// account's back-off (counted before the password is checked, so concurrent guesses cannot
/// outrun the count), then the password (always hashed, so a wrong username takes as long as
/// a wrong password). A failure counts against the account name whether or not it exists.
async fn check_login(
    state: &AppState,
    req: &HttpRequest,
    form: &LoginForm,
    username: &str,
) -> Result<Result<User, Refusal>, PageError> {
    let ip = client_ip(req, &state.settings);
    match state.limits.take(Subject::SignIn(ip)).await {
        Ok(()) => {}
        Err(Limited::Wait(wait)) => return Ok(Err(Refusal::TooMany(wait))),
        Err(Limited::Unavailable(e)) => return Err(PageError::staff(Fault::database(e))),
    }
    let nonce = req
        .cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if nonce.is_empty() || !csrf::verify(&state.key, &format!("login:{nonce}"), &form.csrf) {
        return Ok(Err(Refusal::Expired));
    }
    // Longer names are no account's (the database allows 64 characters) and are not counted.
    let countable = (1..=64).contains(&username.chars().count());
    if countable {
        let name = username.to_owned();
        let attempt = staff_query(state, move |c| {
            db::sessions::reserve_attempt(c, &name, &ACCOUNT_BACKOFF)
        })
        .await?;
        if let db::sessions::Attempt::Wait(wait) = attempt {
            return Ok(Err(Refusal::AccountWait(
                std::time::Duration::from_secs_f64(wait.ceil()),
            )));
        }
    }
    let lookup = username.to_owned();
    let user = staff_query(state, move |c| db::users::by_username(c, &lookup)).await?;
    let given = form.password.clone();
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(dummy_hash);
    let ok = web::block(move || password::verify_password(&given, &hash))
        .await
        .unwrap_or(false);
    match user {
        // The attempt was counted as a failure when it was reserved; starting the session
        // forgets it.
        // A one-stop system's account calls the API with its token; it never signs in.
        Some(u) if ok && u.active && u.role.is_staff() => Ok(Ok(u)),
        _ => Ok(Err(Refusal::WrongCredentials)),
    }
}

/// Signing out ends the session on the server (on every node), then forgets the cookie.
pub async fn logout(state: web::Data<AppState>, staff: StaffUser) -> StaffResult {
    let hash = staff.session_hash();
    staff_query(&state, move |c| db::sessions::end(c, &hash)).await?;
    tracing::info!(user_id = staff.user.id, "signed out");
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/admin").finish();
    gone.make_removal();
    let mut resp = see_other("/admin/login");
    resp.add_cookie(&gone)
        .map_err(|e| PageError::staff(Fault::Internal(e.into())))?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    rotated: Option<i32>,
    done: Option<String>,
}

pub async fn desks(
    state: web::Data<AppState>,
    staff: StaffUser,
    q: web::Query<NoticeQuery>,
) -> StaffResult {
    let scope = staff.user.scope();
    let list = staff_query(&state, move |c| db::desks::list_visible(c, scope)).await?;
    let base = state.settings.public_base();
    let rows = list
        .iter()
        .map(|desk| DeskRow {
            url: qr::desk_url(&base, desk, &state.key),
            desk: DeskView::from(desk),
        })
        .collect();
    let page = DesksPage {
        shell: staff.frame(&state.key, Lang::Vi),
        desks: rows,
        notice: match (q.rotated, q.done.as_deref()) {
            (Some(id), _) => Some(format!(
                "Đã thu hồi mã QR cũ của quầy {id}. Hãy in áp phích mới."
            )),
            (None, Some("created")) => Some("Đã thêm quầy. Hãy in áp phích cho quầy mới.".into()),
            (None, Some("updated")) => {
                Some("Đã lưu thay đổi. Hãy in lại áp phích nếu tên quầy đổi.".into())
            }
            (None, Some("disabled")) => {
                Some("Quầy đã ngừng hoạt động: mã QR của quầy thôi nhận đánh giá.".into())
            }
            (None, Some("enabled")) => Some("Quầy đã hoạt động trở lại.".into()),
            _ => None,
        },
        may_act: staff.user.role.may_act(),
    };
    render(&state, StatusCode::OK, "admin_desks.html", &page).map_err(PageError::staff)
}

/// The desk, if this user may see it; otherwise 404, as if it did not exist.
async fn visible_desk(state: &AppState, staff: &StaffUser, id: i32) -> Result<DeskInfo, PageError> {
    let scope = staff.user.scope();
    staff_query(state, move |c| db::desks::find_visible(c, scope, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound).saying("Không tìm thấy quầy này."))
}

pub async fn poster(
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<i32>,
) -> StaffResult {
    let desk = visible_desk(&state, &staff, *id).await?;
    let url = qr::desk_url(&state.settings.public_base(), &desk, &state.key);
    let html = posters::poster_html(state.views, &desk, &url)
        .map_err(|e| PageError::staff(Fault::Internal(e)))?;
    Ok(errors::html(StatusCode::OK, html))
}

pub async fn rotate_key(
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<i32>,
) -> StaffResult {
    if !staff.user.role.may_act() {
        return Err(PageError::staff(Fault::NotAllowed));
    }
    let desk_id = visible_desk(&state, &staff, *id).await?.id;
    let actor = staff.actor();
    staff_query(&state, move |c| db::desks::rotate_key(c, &actor, desk_id)).await?;
    tracing::info!(user_id = staff.user.id, desk_id, "desk key rotated");
    Ok(see_other(&format!("/admin?rotated={desk_id}")))
}
