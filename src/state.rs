//! What every request handler shares. Built once by `startup::Application::build`.

use crate::config::Settings;
use crate::db::DbPool;
use crate::ingest::Ingest;
use crate::views::Views;

pub struct AppState {
    pub settings: Settings,
    pub pool: DbPool,
    /// Key for desk tokens and sessions (from `SIPAS_SECRET`, or generated and kept in the
    /// database locally).
    pub key: Vec<u8>,
    pub views: &'static Views,
    /// The citizen's ratings: rate limits, parsing, the batching writer.
    pub ingest: Ingest,
    /// Rate limits per client, desk and signing-in address (the same `Limiter` as `ingest`'s),
    /// in memory or shared by every node.
    pub limits: std::sync::Arc<crate::ingest::ratelimit::Limiter>,
    /// The sums of final days that dashboards and rankings reuse (`results::sums`).
    pub past_sums: std::sync::Arc<crate::results::sums::PastSums>,
    /// This node's outbox worker, when it runs one (`SIPAS_SMTP_HOST` set).
    pub outbox: Option<std::sync::Arc<crate::mail::worker::Health>>,
    /// Stops this node's outbox worker when the server (and so this state) is gone.
    pub outbox_stop: Option<StopOnDrop>,
}

/// Sets a thread's stop flag when dropped.
pub struct StopOnDrop(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
