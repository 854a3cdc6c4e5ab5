//! The one path by which a citizen's rating is checked and stored, shared by the HTML form and
//! the JSON API so both follow the same rules: rate limits (`ratelimit`), the signed desk token,
//! `Submission::parse`, then the batching `writer`.

pub mod ratelimit;
pub mod writer;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::db::{self, responses::PendingDesk, responses::Stored};
use crate::domain::{Channel, DeskToken, FieldError, RawSubmission, Submission};
use crate::state::AppState;
use writer::WriteError;

#[derive(Debug)]
pub enum Rejection {
    /// Malformed or forged desk token.
    BadToken,
    /// The desk's codes were revoked (key rotated) or the desk was closed.
    Revoked,
    Invalid(Vec<FieldError>),
    RateLimited(Duration),
    /// The ingest queue is full: try again in a moment (nothing was stored).
    Busy,
    /// The database failed; nothing was stored. The cause is kept for the log.
    Unavailable(anyhow::Error),
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
    let stored = state
        .writer
        .submit(PendingDesk {
            desk_id: desk.desk_id,
            key_version: desk.key_version,
            channel,
            submission,
        })
        .await
        .map_err(|e| match e {
            WriteError::Busy => Rejection::Busy,
            other => Rejection::Unavailable(other.into()),
        })?;
    match stored {
        Stored::DeskRevoked => Err(Rejection::Revoked),
        Stored::UnknownDesk => Err(Rejection::BadToken),
        other => Ok((other, desk)),
    }
}

/// Resolves a token to its desk for showing the form. The signed token is the authority here,
/// which is why this reads the desk without a staff `Scope`: the page shows only the desk's
/// public name.
pub async fn desk_for_token(
    state: &AppState,
    token: &str,
) -> Result<db::desks::DeskInfo, Rejection> {
    let t = DeskToken::verify(token, &state.key).map_err(|_| Rejection::BadToken)?;
    let desk = db::run(&state.pool, move |conn| db::desks::find(conn, t.desk_id))
        .await
        .map_err(|e| Rejection::Unavailable(e.into()))?
        .ok_or(Rejection::BadToken)?;
    if desk.key_version != t.key_version || !desk.active {
        return Err(Rejection::Revoked);
    }
    Ok(desk)
}
