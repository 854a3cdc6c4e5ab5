//! The annual survey's pages for Home Affairs administrators: the waves, and where one stands
//! (its frame per agency and its stored design). The steps themselves run from the command
//! line for now (`sipas wave`, `sipas frame`).

use actix_web::http::StatusCode;
use actix_web::web;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::{render, staff_query, StaffResult};
use crate::db;
use crate::state::AppState;
use crate::survey::WaveState;
use crate::views::survey::{DesignLine, WaveLine, WavePage, WavesPage};
use crate::views::{percent, Chrome, Lang};

fn state_of(s: &str) -> WaveState {
    WaveState::parse(s).unwrap_or(WaveState::Draft)
}

pub async fn waves(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    let (list, counts) = staff_query(&state, |c| {
        Ok((db::waves::list(c)?, db::waves::frame_counts(c)?))
    })
    .await?;
    let page = WavesPage {
        chrome: Chrome::new(Lang::Vi),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
        waves: list
            .into_iter()
            .map(|w| WaveLine {
                frame_units: counts.get(&w.id).copied().unwrap_or(0),
                id: w.id,
                name: w.name,
                year: w.year,
                state: state_of(&w.state).label_vi(),
            })
            .collect(),
    };
    render(&state, StatusCode::OK, "admin_waves.html", &page).map_err(PageError::staff)
}

pub async fn wave(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> StaffResult {
    let id = id.into_inner();
    let found = staff_query(&state, move |c| {
        let Some(w) = db::waves::find(c, id)? else {
            return Ok(None);
        };
        Ok(Some((
            w,
            db::frame::count(c, id)?,
            db::waves::frame_by_agency(c, id)?,
            db::waves::design_strata(c, id)?,
        )))
    })
    .await?;
    let Some((w, frame_units, frame, design)) = found else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let st = state_of(&w.state);
    let page = WavePage {
        chrome: Chrome::new(Lang::Vi),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
        id: w.id,
        name: w.name,
        year: w.year,
        state: st.label_vi(),
        next_step: st.next_step_vi(),
        frame_units,
        frame,
        design: design
            .into_iter()
            .map(|(agency, d)| DesignLine {
                agency,
                population: d.population,
                respondents: d.respondents,
                invited: d.invited,
                margin: d
                    .margin
                    .map_or("–".to_owned(), |m| format!("±{}%", percent(m, Lang::Vi))),
            })
            .collect(),
    };
    render(&state, StatusCode::OK, "admin_wave.html", &page).map_err(PageError::staff)
}
