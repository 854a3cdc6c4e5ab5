//! The fieldwork steps without fields: start, replace lost invitations, close, purge contacts.

use super::*;

// ---- fieldwork ----

pub async fn start(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn start(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::start_fieldwork(c, a, id, &[14, 28]).map(drop)
    }
    simple_step(&state, &admin, id.into_inner(), start, "started#fieldwork").await
}

pub async fn replace(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn replace(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::replace_lost(c, a, id).map(drop)
    }
    simple_step(
        &state,
        &admin,
        id.into_inner(),
        replace,
        "replaced#fieldwork",
    )
    .await
}

/// A step without fields (start, replace, close, purge): done, back to the wave with a notice
/// (`done` is the notice's code and the part of the page to show); refused, the page again
/// with the reason.
async fn simple_step(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    step: fn(&mut db::Conn, &db::audit::Actor, i32) -> survey::Result<()>,
    done: &str,
) -> StaffResult {
    let actor = admin.0.actor();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(step(c, &actor, id))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/admin/waves/{id}?done={done}"))),
        Err(e) => {
            let shown = Shown {
                fieldwork_errors: vec![step_error(e)?],
                ..Shown::default()
            };
            wave_page(state, admin, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

pub async fn close(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    simple_step(
        &state,
        &admin,
        id.into_inner(),
        survey::close_wave,
        "closed#results",
    )
    .await
}

pub async fn purge(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    fn purge(c: &mut db::Conn, a: &db::audit::Actor, id: i32) -> survey::Result<()> {
        survey::purge_contacts(c, a, id).map(drop)
    }
    simple_step(&state, &admin, id.into_inner(), purge, "purged#results").await
}
