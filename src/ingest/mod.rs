//! The one path by which a citizen's rating is checked and stored, shared by the HTML form and
//! the JSON API so both follow the same rules: rate limits (`ratelimit`), the signed desk token,
//! `Submission::parse`, then the batching `writer`.

pub mod ratelimit;
pub mod screening;
pub mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::db::receipts::{RatingOutcome, ReceiptForm};
use crate::db::{self, responses::PendingDesk, responses::Stored, DbPool};
use crate::domain::receipt::ReceiptToken;
use crate::domain::screening::fill_flag;
pub use crate::domain::screening::Arrival;
use crate::domain::{Channel, DeskToken, FieldError, FormSpec, RawSubmission, Submission};
use crate::results::rollup;
use ratelimit::{Limited, Limiter, Subject};
use writer::{WriteError, Writer};

/// The stripe of the aggregates that ratings by receipt add to, apart from the writer
/// threads' own (0, 1, …), so that neither waits for the other's row locks.
const RECEIPT_SHARD: i16 = 1000;

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
    /// How ratings without a receipt are screened.
    pub screening: crate::config::Screening,
}

#[derive(Debug)]
pub enum Rejection {
    /// Malformed or forged desk token.
    BadToken,
    /// Malformed or forged receipt token, a receipt that does not exist, or one of a closed
    /// agency.
    BadReceipt,
    /// The receipt's last day has passed.
    ReceiptExpired,
    /// The receipt gave its rating already.
    ReceiptUsed,
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
        arrival: Arrival,
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
        let flags = if self.screening.enabled {
            let now = chrono::Utc::now().timestamp();
            let min = self.screening.min_fill_seconds;
            fill_flag(&self.key, &arrival, submission.id, now, min)
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let stored = self
            .writer
            .submit(PendingDesk {
                desk_id: desk.desk_id,
                key_version: desk.key_version,
                channel,
                submission,
                flags,
                client: (channel == Channel::DeskQr).then_some(client),
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

    /// Rate limits, then checks the receipt's signature and the answers, then stores the rating
    /// with the receipt's nullifier in one transaction (`db::receipts::rate`), answering only
    /// after it committed, within the writers' deadline.
    pub async fn submit_receipt(
        &self,
        token: &str,
        raw: RawSubmission,
        client: IpAddr,
    ) -> Result<Stored, Rejection> {
        self.limits
            .take(Subject::Client(client))
            .await
            .map_err(Rejection::from)?;
        let receipt = ReceiptToken::verify(token, &self.key).ok_or(Rejection::BadReceipt)?;
        let submission = Submission::parse(raw, &self.desk_form).map_err(Rejection::Invalid)?;
        let form = Arc::clone(&self.desk_form);
        let nullifier = receipt.nullifier(&self.key);
        let today = crate::results::periods::today_in_vietnam();
        let work = db::run(&self.pool, move |c| {
            let cells =
                |stored: &[&PendingDesk]| rollup::deltas(&form, stored).map_err(|e| e.to_string());
            db::receipts::rate(
                c,
                &form,
                receipt.receipt_id,
                &nullifier,
                today,
                submission,
                &cells,
                RECEIPT_SHARD,
            )
        });
        let outcome = match tokio::time::timeout(writer::ACK_DEADLINE, work).await {
            Err(_) => return Err(Rejection::Unavailable(WriteError::TooSlow.into())),
            Ok(Err(e)) => return Err(Rejection::Unavailable(e.into())),
            Ok(Ok(o)) => o,
        };
        match outcome {
            RatingOutcome::Stored(stored) => Ok(stored),
            RatingOutcome::Unknown => Err(Rejection::BadReceipt),
            RatingOutcome::Expired => Err(Rejection::ReceiptExpired),
            RatingOutcome::Used => Err(Rejection::ReceiptUsed),
        }
    }

    /// The receipt a token names, for showing its form: its agency's and desk's names, or why
    /// it cannot be used.
    pub async fn receipt_for_token(&self, token: &str) -> Result<ReceiptForm, Rejection> {
        let receipt = ReceiptToken::verify(token, &self.key).ok_or(Rejection::BadReceipt)?;
        let nullifier = receipt.nullifier(&self.key);
        let (found, used) = db::run(&self.pool, move |c| {
            Ok((
                db::receipts::form_of(c, receipt.receipt_id)?,
                db::receipts::is_used(c, &nullifier)?,
            ))
        })
        .await
        .map_err(|e| Rejection::Unavailable(e.into()))?;
        let found = found
            .filter(|f| f.agency_active)
            .ok_or(Rejection::BadReceipt)?;
        if used {
            return Err(Rejection::ReceiptUsed);
        }
        if found.expires_on < crate::results::periods::today_in_vietnam() {
            return Err(Rejection::ReceiptExpired);
        }
        Ok(found)
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
