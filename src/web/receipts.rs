//! Receipts (issue #19). For the one-stop system: `POST /api/v1/receipts` (one dossier) and
//! `POST /api/v1/receipts/batch` (up to 1,000), with a bearer token of a `system` account.
//! For the citizen: `GET/POST /r/{token}`, the desk form for one dossier, used once, and the
//! receipt's QR code at `/r/{token}/qr.svg` and `.png` (the token is the only authority).

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde_json::{json, Value};

use super::citizen::{
    messages, read_posted, render_form, thanks_page, Answers, FormFrame, LangQuery, Posted,
};
use super::errors::{ApiProblem, Fault, PageError};
use super::{client_ip, read_body, read_body_up_to, require_media_type};
use crate::auth::api_token;
use crate::db::{self, audit::Actor, users::User};
use crate::desks::qr;
use crate::desks::receipts::{self as issuing, IssueError, Issued, Issuer};
use crate::domain::api_body::{strict_json, BodyError};
use crate::domain::receipt::{self, ReceiptRequest, ReceiptToken, RequestError};
use crate::domain::{FieldError, Role};
use crate::ingest::Rejection;
use crate::results::periods::today_in_vietnam;
use crate::state::AppState;
use crate::views::Lang;

/// A one-stop system calling with its bearer token. Any other account, or a session, may
/// not issue receipts (403); no valid token is 401.
pub struct SystemCaller(pub User);

impl FromRequest for SystemCaller {
    type Error = ApiProblem;
    type Future = LocalBoxFuture<'static, Result<SystemCaller, ApiProblem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Fault::Internal(anyhow::anyhow!("AppState missing")))?;
            let digest = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(super::read_api::bearer_token)
                .and_then(api_token::digest)
                .ok_or(Fault::Unauthenticated)?;
            let user = db::run(&state.pool, move |c| db::api_tokens::user_of(c, &digest))
                .await?
                .ok_or(Fault::Unauthenticated)?;
            if user.role != Role::System {
                return Err(Fault::NotAllowed.into());
            }
            Ok(SystemCaller(user))
        })
    }
}

fn request_error(e: RequestError) -> Fault {
    match e {
        RequestError::Malformed => Fault::BadRequest,
        RequestError::Invalid(errors) => Fault::Invalid(errors),
    }
}

fn body_error(e: BodyError) -> Fault {
    match e {
        BodyError::Malformed => Fault::BadRequest,
        BodyError::Invalid(errors) => Fault::Invalid(errors),
    }
}

/// Issues `requests` for `caller` on a pooled connection.
async fn issue(
    state: &AppState,
    caller: &SystemCaller,
    requests: Vec<ReceiptRequest>,
    position: fn(usize) -> String,
) -> Result<Vec<Issued>, Fault> {
    let key = state.key.clone();
    let base = state.settings.public_base();
    let lifetime_days = state.settings.receipt_days;
    let actor = Actor::user(caller.0.id, &caller.0.username);
    let scope = caller.0.scope();
    db::run_job(&state.pool, move |c| {
        let issuer = Issuer {
            key: &key,
            base: &base,
            lifetime_days,
            today: today_in_vietnam(),
            actor: &actor,
            scope,
        };
        issuing::issue(c, &issuer, &requests, position)
    })
    .await
    .map_err(|e| match e {
        IssueError::Refused(errors) => Fault::Invalid(errors),
        IssueError::Database(e) => Fault::database(e),
    })
}

fn receipt_json(i: &Issued) -> Value {
    json!({
        "receipt_token": i.receipt_token,
        "url": i.url,
        "qr_svg_url": i.qr_svg_url,
        "qr_png_url": i.qr_png_url,
        "expires_at": i.expires_at,
    })
}

/// `POST /api/v1/receipts`: 201 with a new receipt, 200 with the dossier's existing one.
pub async fn issue_one(
    state: web::Data<AppState>,
    caller: SystemCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiProblem> {
    require_media_type(&req, "application/json")?;
    let body = read_body(payload).await?;
    let Value::Object(object) = strict_json(&body).map_err(body_error)? else {
        return Err(Fault::BadRequest.into());
    };
    let request =
        receipt::read_request(object, "", today_in_vietnam(), state.settings.receipt_days)
            .map_err(request_error)?;
    let issued = issue(&state, &caller, vec![request], |_| String::new()).await?;
    let one = &issued[0];
    let status = if one.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(receipt_json(one)))
}

/// `POST /api/v1/receipts/batch`: `{"receipts": [...]}`, every receipt or none; each answer
/// names its dossier and whether it is new.
pub async fn issue_batch(
    state: web::Data<AppState>,
    caller: SystemCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiProblem> {
    require_media_type(&req, "application/json")?;
    let body = read_body_up_to(payload, super::MAX_BATCH_BODY).await?;
    let Value::Object(mut object) = strict_json(&body).map_err(body_error)? else {
        return Err(Fault::BadRequest.into());
    };
    let Some(Value::Array(items)) = object.remove("receipts") else {
        return Err(Fault::BadRequest.into());
    };
    if !object.is_empty() {
        return Err(Fault::BadRequest.into());
    }
    if items.is_empty() || items.len() > receipt::BATCH_MAX {
        return Err(Fault::Invalid(vec![FieldError::new(
            "receipts",
            format!("Mỗi lần gửi từ 1 đến {} biên nhận.", receipt::BATCH_MAX),
            format!("receipts must hold 1 to {} receipts", receipt::BATCH_MAX),
        )])
        .into());
    }
    let today = today_in_vietnam();
    let days = state.settings.receipt_days;
    let mut requests = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, item) in items.into_iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(Fault::BadRequest.into());
        };
        match receipt::read_request(o, &format!("receipts[{k}]."), today, days) {
            Ok(r) => {
                if !seen.insert(r.dossier_code.clone()) {
                    errors.push(FieldError::new(
                        format!("receipts[{k}].dossier_code"),
                        "Mã hồ sơ này đã có ở một biên nhận trước trong cùng lần gửi.",
                        "this dossier_code appears earlier in the same batch",
                    ));
                }
                requests.push(r);
            }
            Err(RequestError::Invalid(mut e)) => errors.append(&mut e),
            Err(RequestError::Malformed) => return Err(Fault::BadRequest.into()),
        }
    }
    if !errors.is_empty() {
        return Err(Fault::Invalid(errors).into());
    }
    let issued = issue(&state, &caller, requests, |k| format!("receipts[{k}].")).await?;
    let list: Vec<Value> = issued
        .iter()
        .map(|i| {
            let mut v = receipt_json(i);
            v["dossier_code"] = json!(i.dossier_code);
            v["status"] = json!(if i.created { "created" } else { "existing" });
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "receipts": list })))
}

type PageResult = Result<HttpResponse, PageError>;

/// `GET /r/{token}`: the form for one dossier, or why it cannot be used (expired, used).
pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<LangQuery>,
) -> PageResult {
    let lang = Lang::parse(query.lang.as_deref());
    form_page(
        &state,
        lang,
        &token,
        &Answers::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /r/{token}`: stores the dossier's one rating.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
) -> PageResult {
    let (answers, lang) = match read_posted(&req, payload).await? {
        Posted::Form(answers, lang) => (answers, lang),
        Posted::Bot(lang) => {
            return thanks_page(&state, lang).map_err(|f| PageError::citizen(lang, f))
        }
    };
    if let Some(to) = answers.switch_to() {
        return form_page(&state, to, &token, &answers, Vec::new(), StatusCode::OK).await;
    }
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let ip = client_ip(&req, &state.settings);
    match state
        .ingest
        .submit_receipt(&token, answers.to_raw(), ip)
        .await
    {
        Ok(_) => thanks_page(&state, lang).map_err(on_page),
        Err(Rejection::Invalid(errors)) => {
            let messages = messages(&errors, lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_page(&state, lang, &token, &answers, messages, status).await
        }
        Err(r) => Err(on_page(r.into())),
    }
}

async fn form_page(
    state: &AppState,
    lang: Lang,
    token: &str,
    previous: &Answers,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let receipt = state
        .ingest
        .receipt_for_token(token)
        .await
        .map_err(|r| on_page(r.into()))?;
    let t = lang.texts();
    let frame = FormFrame {
        action: format!("/r/{token}"),
        heading: receipt.agency_name,
        subheading: receipt.desk_name,
        title: t.form_title,
        intro: t.receipt_intro,
        submit: t.submit,
        privacy: t.receipt_privacy,
        parts: false,
    };
    let spec = &state.ingest.desk_form;
    render_form(state, lang, spec, &frame, previous, errors, status).map_err(on_page)
}

/// `GET /r/{token}/qr.{format}`: the receipt's QR code (`svg` or `png`), for the one-stop
/// system to print on the result receipt. Only the signature is checked: the code carries
/// nothing the token does not.
pub async fn qr_code(state: web::Data<AppState>, path: web::Path<(String, String)>) -> PageResult {
    let (token, format) = path.into_inner();
    let on_page = |f: Fault| PageError::citizen(Lang::Vi, f);
    if ReceiptToken::verify(&token, &state.key).is_none() {
        return Err(on_page(Fault::BadReceipt));
    }
    let url = issuing::receipt_url(&state.settings.public_base(), &token);
    let (body, content_type) = match format.as_str() {
        "svg" => (
            qr::svg(&url)
                .map_err(|e| on_page(Fault::Internal(e)))?
                .into_bytes(),
            "image/svg+xml",
        ),
        "png" => (
            qr::png(&url).map_err(|e| on_page(Fault::Internal(e)))?,
            "image/png",
        ),
        _ => return Err(on_page(Fault::NotFound)),
    };
    Ok(HttpResponse::Ok().content_type(content_type).body(body))
}
