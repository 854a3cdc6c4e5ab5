//! The one path by which a citizen's rating is checked and stored, shared by the HTML form and
//! the JSON API so both follow the same rules: rate limits (`ratelimit`), the signed desk token,
//! `Submission::parse`, then the batching `writer`.

pub mod ratelimit;
pub mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::db::{self, responses::PendingDesk, responses::Stored, DbPool};
use crate::domain::{Channel, DeskToken, FieldError, FormSpec, RawSubmission, Submission};
use ratelimit::{Limited, Limiter, Subject};
use writer::{WriteError, Writer};

/// Everything a rating passes through on its way in, built once at start-up.
pub struct Ingest {
    pub pool: DbPool,
    /// Key for desk tokens.
    pub key: Vec<u8>,
    /// The desk form's questions; instruments are frozen once used, so loading once is safe.
    pub desk_form: Arc<FormSpec>,
    /// Batches desk submissions into single statements.
    pub writer: Writer,
    /// Per client address and per desk; shared by every node when configured so.
    pub limits: Arc<Limiter>,
}

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
    /// The database failed, or did not confirm the commit in time: the rating may or may not
    /// have been stored (a retry with the same id is safe). The cause is kept for the log.
    Unavailable(anyhow::Error),
}

impl From<Limited> for Rejection {
    fn from(l: Limited) -> Rejection {
        match l {
            Limited::Wait(wait) => Rejection::RateLimited(wait),
            Limited::Unavailable(e) => Rejection::Unavailable(e.context("rate limit store")),
        }
    }
}

impl Ingest {
    /// Rate limits, then parses, then stores. Nothing is written unless every check passes.
    pub async fn submit(
        &self,
        token: &str,
        raw: RawSubmission,
        client: IpAddr,
        channel: Channel,
    ) -> Result<(Stored, DeskToken), Rejection> {
        self.limits
            .take(Subject::Client(client))
            .await
            .map_err(Rejection::from)?;
        let desk = DeskToken::verify(token, &self.key).map_err(|_| Rejection::BadToken)?;
        self.limits
            .take(Subject::Desk(desk.desk_id))
            .await
            .map_err(Rejection::from)?;
        let submission = Submission::parse(raw, &self.desk_form).map_err(Rejection::Invalid)?;
        let stored = self
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
    pub async fn desk_for_token(&self, token: &str) -> Result<db::desks::DeskInfo, Rejection> {
        let t = DeskToken::verify(token, &self.key).map_err(|_| Rejection::BadToken)?;
        let desk = db::run(&self.pool, move |conn| db::desks::find(conn, t.desk_id))
            .await
            .map_err(|e| Rejection::Unavailable(e.into()))?
            .ok_or(Rejection::BadToken)?;
        if desk.key_version != t.key_version || !desk.active || !desk.agency_active {
            return Err(Rejection::Revoked);
        }
        Ok(desk)
    }
}
