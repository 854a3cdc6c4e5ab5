//! What a wave prints and downloads: invitation letters and the sample file.

use super::*;

// ---- letters ----

#[derive(Deserialize)]
pub struct LettersQuery {
    sender: Option<String>,
    without_email: Option<String>,
}

/// The invitation letters, one A4 page each, to print from the browser.
pub async fn letters(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<LettersQuery>,
) -> StaffResult {
    let id = id.into_inner();
    let sender: String = q
        .sender
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Sở Nội vụ")
        .chars()
        .take(200)
        .collect();
    let without_email = q.without_email.is_some();
    let actor = admin.0.actor();
    let views = state.views;
    let key = state.key.clone();
    let base = state.settings.public_base();
    let made = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        let request = survey::letters::LetterRequest {
            wave_id: id,
            sender: &sender,
            without_email,
            base_url: &base,
            today: crate::results::periods::today_in_vietnam(),
        };
        Ok(survey::letters::letters_html(
            c, views, &key, &actor, &request,
        ))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    match made {
        Ok((html, _)) => Ok(actix_web::HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(html)),
        Err(e) => {
            step_error(e)?;
            Err(PageError::staff(Fault::NotFound))
        }
    }
}

// ---- the sample, for download ----

pub async fn sample(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(i32, String)>,
) -> StaffResult {
    let (id, ext) = path.into_inner();
    let format = export::format_of(&ext)?;
    let sheet = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(survey::sample_sheet(c, id))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    // A wave without a sample (or no wave) has nothing to download.
    let sheet = match sheet {
        Ok(s) => s,
        Err(e) => {
            step_error(e)?;
            return Err(PageError::staff(Fault::NotFound));
        }
    };
    export::download(&sheet, format, crate::web::lang::staff_lang(&req))
}
