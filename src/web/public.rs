//! The public results (`/public`, no sign-in): every published period, each agency's indices
//! with intervals and n, the snapshot to download, and how to check it. Every page checks the
//! whole chain and says so plainly if a stored snapshot was altered.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::render;
use crate::db::{self, publications::Publication};
use crate::domain::period_kind;
use crate::results::publication::{self, verify_chain, AgencyResult, Integrity};
use crate::state::AppState;
use crate::views::public::{AgencyRow, ListPage, PeriodPage, PublicationRow};
use crate::views::{Chrome, Lang};

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Every publication with the result of checking it against its hash and the chain.
pub(super) async fn checked(state: &AppState) -> Result<Vec<(Publication, Integrity)>, Fault> {
    let all = db::run(&state.pool, db::publications::list).await?;
    let status = verify_chain(all.iter().map(|p| {
        (
            p.body.as_str(),
            p.sha256.as_str(),
            p.previous_sha256.as_deref(),
        )
    }));
    Ok(all.into_iter().zip(status).collect())
}

/// What a channel is called on the public pages.
fn channel_label(channel: &str, lang: Lang) -> String {
    match (channel, lang) {
        ("desk_qr", Lang::Vi) => "Đánh giá qua mã QR tại quầy".into(),
        ("desk_qr", Lang::En) => "Ratings by QR code at the desk".into(),
        ("annual_sample", Lang::Vi) => "Khảo sát mẫu hằng năm".into(),
        ("annual_sample", Lang::En) => "Annual sample survey".into(),
        (other, _) => other.into(),
    }
}

fn row(p: &Publication, integrity: Integrity, lang: Lang) -> PublicationRow {
    let name = match lang {
        Lang::Vi => period_kind::name_vi(p.period_from, p.period_to),
        Lang::En => period_kind::name_en(p.period_from, p.period_to),
    };
    PublicationRow {
        id: p.id,
        name,
        from: p.period_from.format("%d/%m/%Y").to_string(),
        to: p.period_to.format("%d/%m/%Y").to_string(),
        channel: channel_label(&p.channel, lang),
        instrument: p.instrument.clone(),
        published_at: (p.published_at + chrono::Duration::hours(7))
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        sha256: p.sha256.clone(),
        previous_sha256: p.previous_sha256.clone(),
        integrity,
    }
}

/// `/phuong-phap`: the methodology page, public.
pub async fn methodology(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let page = crate::views::public::MethodologyPage {
        chrome: Chrome::new(Lang::Vi),
        vietnamese_only: true,
    };
    render(&state, StatusCode::OK, "methodology.html", &page)
        .map_err(|f| PageError::citizen(Lang::Vi, f))
}

pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = Lang::parse(q.lang.as_deref());
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let all = checked(&state).await.map_err(on_page)?;
    let page = ListPage {
        chrome: Chrome::new(lang),
        publications: all
            .iter()
            .rev()
            .map(|(p, i)| row(p, i.clone(), lang))
            .collect(),
    };
    render(&state, StatusCode::OK, "public_list.html", &page).map_err(on_page)
}

#[derive(Deserialize)]
struct StoredSnapshot {
    method: String,
    agencies: Vec<AgencyResult>,
}

pub async fn period(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, PageError> {
    let lang = Lang::parse(q.lang.as_deref());
    let on_page = |f: Fault| PageError::citizen(lang, f);
    let all = checked(&state).await.map_err(on_page)?;
    let (p, integrity) = all
        .into_iter()
        .find(|(p, _)| p.id == *id)
        .ok_or_else(|| on_page(Fault::NotFound))?;
    // An altered body may not even parse: the page then shows the warning and no numbers.
    let snapshot: Option<StoredSnapshot> = serde_json::from_str(&p.body).ok();
    let factor_names: Vec<String> = snapshot
        .as_ref()
        .and_then(|s| s.agencies.first())
        .map(|a| {
            a.factors
                .iter()
                .map(|f| match lang {
                    Lang::Vi => f.name_vi.clone(),
                    Lang::En => f.name_en.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = PeriodPage {
        chrome: Chrome::new(lang),
        method: snapshot
            .as_ref()
            .map(|s| match lang {
                Lang::Vi => publication::method_vi(&s.method).to_owned(),
                Lang::En => s.method.clone(),
            })
            .unwrap_or_default(),
        agencies: snapshot
            .map(|s| s.agencies.iter().map(|a| AgencyRow::of(a, lang)).collect())
            .unwrap_or_default(),
        columns: std::iter::once("SIPAS".to_owned())
            .chain(factor_names.iter().cloned())
            .collect(),
        factor_names,
        publication: row(&p, integrity, lang),
    };
    render(&state, StatusCode::OK, "public_period.html", &page).map_err(on_page)
}

/// The stored bytes, exactly: their SHA-256 is the published hash.
pub async fn snapshot(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let id = *id;
    let p = db::run(&state.pool, move |c| db::publications::find(c, id))
        .await
        .map_err(|e| PageError::citizen(Lang::Vi, e))?
        .ok_or_else(|| PageError::citizen(Lang::Vi, Fault::NotFound))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"sipas-publication-{id}.json\""),
        ))
        .body(p.body))
}
