//! A person's digest settings from the link in every digest (`/mail-settings/{token}`): no
//! sign-in — the signed link names the account and can change only its cadence and language —
//! and the one-click unsubscribe of mail programs (`POST …/off`, RFC 8058). A GET never
//! changes anything, so a link scanner that opens the message changes nothing either.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::errors::{Fault, PageError};
use super::{client_ip, render};
use crate::db::{self, audit::Actor, digests::Cadence};
use crate::domain::mail_settings_token::MailSettingsToken;
use crate::ingest::ratelimit::{Limited, Subject};
use crate::state::AppState;
use crate::views::registry::Choice;
use crate::views::Lang;

type PageResult = Result<HttpResponse, PageError>;

#[derive(Serialize)]
struct SettingsPage {
    lang: &'static str,
    title: &'static str,
    saved: Option<&'static str>,
    account_line: String,
    token: String,
    cadence_label: &'static str,
    cadences: Vec<Choice>,
    cadence: &'static str,
    lang_label: &'static str,
    mail_lang: String,
    save_label: &'static str,
    note: &'static str,
}

fn cadence_label(c: Cadence, lang: Lang) -> &'static str {
    match (c, lang) {
        (Cadence::Weekly, Lang::Vi) => "Hằng tuần (sáng thứ Hai)",
        (Cadence::Monthly, Lang::Vi) => "Hằng tháng (sáng ngày 1)",
        (Cadence::Off, Lang::Vi) => "Không nhận bản tin và cảnh báo",
        (Cadence::Weekly, Lang::En) => "Weekly (Monday morning)",
        (Cadence::Monthly, Lang::En) => "Monthly (the morning of the 1st)",
        (Cadence::Off, Lang::En) => "No digests or alerts",
    }
}

/// The account a link names, or the page a wrong or stale link gets (the same for both, so a
/// link tells nothing about accounts it does not name).
async fn account(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
) -> Result<db::digests::Choice, PageError> {
    // The sign-in bucket of the address, not the citizens' rating one: staff at a one-stop
    // centre share its address with the desks' kiosks.
    let ip = client_ip(req, &state.settings);
    state
        .limits
        .take(Subject::SignIn(ip))
        .await
        .map_err(|l| match l {
            Limited::Wait(wait) => PageError::citizen(Lang::Vi, Fault::RateLimited(wait)).saying(
                "Quá nhiều yêu cầu từ địa chỉ này. Vui lòng thử lại sau ít phút. / Too many requests: please try again in a few minutes.",
            ),
            Limited::Unavailable(e) => PageError::citizen(Lang::Vi, Fault::Unavailable(e)),
        })?;
    let not_found = || {
        PageError::citizen(Lang::Vi, Fault::NotFound)
            .saying("Đường dẫn cài đặt thư không đúng hoặc đã hết hiệu lực.")
    };
    let id = MailSettingsToken::verify(token, &state.key)
        .ok_or_else(not_found)?
        .user_id;
    db::run(&state.pool, move |c| db::digests::choice_of(c, id))
        .await
        .map_err(|e| PageError::citizen(Lang::Vi, e))?
        .filter(|a| a.active)
        .ok_or_else(not_found)
}

fn page(
    state: &AppState,
    status: StatusCode,
    token: String,
    a: &db::digests::Choice,
    saved: bool,
) -> PageResult {
    let lang = Lang::parse(Some(&a.lang));
    let vi = lang == Lang::Vi;
    let cadence = a.cadence();
    let body = SettingsPage {
        lang: lang.code(),
        title: if vi {
            "Cài đặt bản tin SIPAS"
        } else {
            "SIPAS digest settings"
        },
        saved: saved.then_some(if vi { "Đã lưu." } else { "Saved." }),
        account_line: if vi {
            format!("Tài khoản: {}", a.username)
        } else {
            format!("Account: {}", a.username)
        },
        token,
        cadence_label: if vi {
            "Nhận bản tin"
        } else {
            "Receive the digest"
        },
        cadences: Cadence::ALL
            .iter()
            .map(|c| Choice::new(c.as_str().to_owned(), cadence_label(*c, lang).to_owned()))
            .collect(),
        cadence: cadence.as_str(),
        lang_label: if vi {
            "Ngôn ngữ của thư"
        } else {
            "Language of the mail"
        },
        mail_lang: a.lang.clone(),
        save_label: if vi { "Lưu" } else { "Save" },
        note: if vi {
            "Cảnh báo (chỉ số giảm có ý nghĩa thống kê, không đạt mục tiêu) được gửi cùng người nhận bản tin. Địa chỉ thư do quản trị viên Sở Nội vụ thay đổi."
        } else {
            "Alerts (an index falling significantly, a target not met) go to those who receive the digest. Home Affairs' administrators change the address."
        },
    };
    render(state, status, "mail_settings.html", &body).map_err(|f| PageError::citizen(lang, f))
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let a = account(&state, &req, &token).await?;
    page(&state, StatusCode::OK, token.into_inner(), &a, false)
}

/// GET of the one-click address: the settings page, with "off" chosen for the person to save.
pub async fn show_off(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let mut a = account(&state, &req, &token).await?;
    a.choose(Cadence::Off);
    page(&state, StatusCode::OK, token.into_inner(), &a, false)
}

#[derive(Deserialize)]
pub struct SettingsForm {
    digest: Option<String>,
    lang: Option<String>,
}

pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> PageResult {
    let a = account(&state, &req, &token).await?;
    let refused = || {
        PageError::citizen(Lang::parse(Some(&a.lang)), Fault::BadRequest)
            .saying("Vui lòng chọn một cách nhận bản tin và một ngôn ngữ. / Please choose how often and a language.")
    };
    let cadence = form
        .digest
        .as_deref()
        .and_then(Cadence::parse)
        .ok_or_else(refused)?;
    let lang = match form.lang.as_deref() {
        Some("vi") => "vi",
        Some("en") => "en",
        _ => return Err(refused()),
    };
    let saved = store(&state, &a, cadence, lang).await?;
    page(&state, StatusCode::OK, token.into_inner(), &saved, true)
}

/// One-click unsubscribe (RFC 8058): the mail program posts `List-Unsubscribe=One-Click`.
pub async fn off(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let a = account(&state, &req, &token).await?;
    let lang = a.lang.clone();
    let saved = store(&state, &a, Cadence::Off, &lang).await?;
    page(&state, StatusCode::OK, token.into_inner(), &saved, true)
}

async fn store(
    state: &AppState,
    a: &db::digests::Choice,
    cadence: Cadence,
    lang: &str,
) -> Result<db::digests::Choice, PageError> {
    let (id, lang, username) = (a.user_id, lang.to_owned(), a.username.clone());
    db::run(&state.pool, move |c| {
        // Whoever holds the link (the person, or anyone a digest was forwarded to): the log
        // says it came through the link.
        let actor = Actor {
            user_id: Some(id),
            name: format!("{username} (liên kết trong thư)"),
        };
        db::digests::set_choice(c, &actor, id, cadence, &lang, None)?;
        db::digests::choice_of(c, id)
    })
    .await
    .map_err(|e| PageError::citizen(Lang::Vi, e))?
    .ok_or_else(|| PageError::citizen(Lang::Vi, Fault::NotFound))
}
