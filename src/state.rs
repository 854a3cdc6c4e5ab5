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
    /// The other nodes on this database, as the heartbeat last saw them.
    pub peers: std::sync::Arc<Peers>,
    /// What this server recorded for `/metrics`.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// Sets a thread's stop flag when dropped.
pub struct StopOnDrop(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What this node knows of the other nodes on its database, from its heartbeat
/// (`db::nodes`, every ten seconds, on a thread `startup` starts).
#[derive(Debug)]
pub struct Peers {
    /// This process's random id (its row in `nodes`).
    pub id: String,
    /// Where this node keeps rate limits: `memory`, `postgres` or `redis`.
    pub rate_store: &'static str,
    others: std::sync::atomic::AtomicI64,
    others_in_memory: std::sync::atomic::AtomicI64,
}

impl Peers {
    pub fn new(rate_store: &'static str) -> Peers {
        Peers {
            id: format!("{:016x}", rand::random::<u64>()),
            rate_store,
            others: Default::default(),
            others_in_memory: Default::default(),
        }
    }

    pub fn saw(&self, seen: crate::db::nodes::Seen) {
        use std::sync::atomic::Ordering::Relaxed;
        self.others.store(seen.others, Relaxed);
        self.others_in_memory.store(seen.others_in_memory, Relaxed);
    }

    /// Live nodes besides this one, at the last heartbeat.
    pub fn others(&self) -> i64 {
        self.others.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether some node counts rate limits on its own while others serve the same database:
    /// each such node gives every client and desk its whole allowance.
    fn limits_split(&self) -> bool {
        let in_memory = self
            .others_in_memory
            .load(std::sync::atomic::Ordering::Relaxed);
        (self.rate_store == "memory" && self.others() > 0) || in_memory > 0
    }

    /// For operators (logs, `/health/ready`), when the limits are split.
    pub fn warning_en(&self) -> Option<String> {
        self.limits_split().then(|| {
            format!(
                "WARNING: {} other live node(s) share this database while rate limits are kept in a node's own memory (this node: {}): each such node gives every client and desk its full allowance. Set SIPAS_RATE_STORE=postgres or SIPAS_REDIS_URL on every node.",
                self.others(),
                self.rate_store
            )
        })
    }

    /// For Home Affairs' administrators (a line on every staff page), when the limits are split.
    pub fn warning_vi(&self) -> Option<String> {
        self.limits_split().then(|| {
            format!(
                "Cảnh báo vận hành: có {} máy chủ SIPAS khác đang chạy trên cùng cơ sở dữ liệu nhưng giới hạn tần suất được giữ trong bộ nhớ riêng của máy chủ, nên mỗi máy chủ cho mỗi người dùng và mỗi quầy trọn hạn mức. Cần đặt SIPAS_RATE_STORE=postgres hoặc SIPAS_REDIS_URL trên mọi máy chủ.",
                self.others()
            )
        })
    }
}
