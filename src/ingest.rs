//! The one path by which a citizen's rating is checked and stored, shared by the HTML form and
//! the JSON API so both follow the same rules.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::db::{self, responses::Stored};
use crate::domain::{Channel, DeskToken, FieldError, RawSubmission, Submission};
use crate::state::AppState;

#[derive(Debug)]
pub enum Rejection {
    /// Malformed or forged desk token.
    BadToken,
    /// The desk's codes were revoked (key rotated) or the desk was closed.
    Revoked,
    Invalid(Vec<FieldError>),
    RateLimited(Duration),
    Internal(anyhow::Error),
}

/// Rate limits, then parses, then stores. Nothing is written unless every check passes.
pub async fn submit(
    state: &AppState,
    token: &str,
    raw: RawSubmission,
    client: IpAddr,
    channel: Channel,
) -> Result<(Stored, DeskToken), Rejection> {
    let now = Instant::now();
    state
        .per_client
        .take(&client, now)
        .map_err(Rejection::RateLimited)?;
    let desk = DeskToken::verify(token, &state.key).map_err(|_| Rejection::BadToken)?;
    state
        .per_desk
        .take(&desk.desk_id, now)
        .map_err(Rejection::RateLimited)?;
    let submission = Submission::parse(raw, &state.desk_form).map_err(Rejection::Invalid)?;
    let instrument_id = state.desk_form.instrument_id;
    let stored = db::run(&state.pool, move |conn| {
        db::responses::insert_desk_submission(
            conn,
            desk.desk_id,
            desk.key_version,
            instrument_id,
            channel,
            &submission,
        )
    })
    .await
    .map_err(|e| Rejection::Internal(e.into()))?;
    match stored {
        Stored::DeskRevoked => Err(Rejection::Revoked),
        Stored::UnknownDesk => Err(Rejection::BadToken),
        other => Ok((other, desk)),
    }
}

/// Resolves a token to its desk for showing the form: `None` for forged or revoked tokens.
pub async fn desk_for_token(
    state: &AppState,
    token: &str,
) -> Result<db::desks::DeskInfo, Rejection> {
    let t = DeskToken::verify(token, &state.key).map_err(|_| Rejection::BadToken)?;
    let desk = db::run(&state.pool, move |conn| db::desks::find(conn, t.desk_id))
        .await
        .map_err(|e| Rejection::Internal(e.into()))?
        .ok_or(Rejection::BadToken)?;
    if desk.key_version != t.key_version || !desk.active {
        return Err(Rejection::Revoked);
    }
    Ok(desk)
}
