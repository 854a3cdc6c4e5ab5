//! Token buckets per client address, per desk and per signing-in address.
//!
//! One node keeps them in its memory (the default: no extra service to run). Several nodes
//! behind one load balancer must share them, or each would allow its own share again:
//! `SIPAS_RATE_STORE=postgres` keeps them in an UNLOGGED table, `redis` (with
//! `SIPAS_REDIS_URL`) in Redis with a script that refills and takes atomically. A shared
//! bucket is named by a keyed hash (HMAC) of what it limits, so no client address is written
//! anywhere; in memory they live for at most a few minutes, and never in logs.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{RateLimit, RateStore, Settings};
use crate::db::{self, DbPool};
use crate::domain::signing;

const PRUNE_ABOVE: usize = 50_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct Buckets<K> {
    limit: RateLimit,
    map: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(limit: RateLimit) -> Self {
        Buckets {
            limit,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token, or says how long to wait for the next one.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let per_sec = self.limit.per_minute / 60.0;
        let burst = f64::from(self.limit.burst);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > PRUNE_ABOVE {
            // A full bucket carries no information: drop it.
            map.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec < burst
            });
        }
        let bucket = map.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
        }
    }
}

/// What a bucket limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A citizen's submissions from one address (desk form, API, invitation form).
    Client(IpAddr),
    /// Submissions to one desk, from anywhere.
    Desk(i32),
    /// Sign-in attempts from one address.
    SignIn(IpAddr),
    /// Comment searches of one staff account (by user id).
    Search(i32),
}

impl Subject {
    fn name(&self) -> String {
        match self {
            Subject::Client(ip) => format!("client:{ip}"),
            Subject::Desk(id) => format!("desk:{id}"),
            Subject::SignIn(ip) => format!("sign-in:{ip}"),
            Subject::Search(user) => format!("search:{user}"),
        }
    }
}

/// Why a take did not pass.
#[derive(Debug)]
pub enum Limited {
    /// Over the limit: try again after this long.
    Wait(Duration),
    /// The shared store did not answer; nothing can be decided (or stored) now.
    Unavailable(anyhow::Error),
}

/// The rate limits of one node, in its memory or shared with the others.
pub struct Limiter {
    clients: RateLimit,
    desks: RateLimit,
    sign_ins: RateLimit,
    searches: RateLimit,
    store: Store,
    /// The server's metrics: refusals by what was limited.
    metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// The buckets of one node's memory.
struct MemoryBuckets {
    clients: Buckets<IpAddr>,
    desks: Buckets<i32>,
    sign_ins: Buckets<IpAddr>,
    searches: Buckets<i32>,
}

enum Store {
    Memory(Box<MemoryBuckets>),
    Postgres {
        pool: DbPool,
        key: Vec<u8>,
    },
    Redis {
        pool: r2d2::Pool<redis::Client>,
        key: Vec<u8>,
    },
}

const BUCKET_DOMAIN: &[u8] = b"sipas/rate-bucket/v1";

/// Refill and take in one step, on the server's clock. KEYS[1] the bucket, ARGV burst and rate
/// per second; returns {1 if taken else 0, tokens left as a string}.
const REDIS_TAKE: &str = r#"
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = tonumber(b[1]) or burst
local u = tonumber(b[2]) or now
t = math.min(burst, t + math.max(0, now - u) * rate)
local ok = 0
if t >= 1 then t = t - 1; ok = 1 end
redis.call('HSET', KEYS[1], 't', tostring(t), 'u', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {ok, tostring(t)}
"#;

/// The longest a request waits for a shared rate-limit store (PostgreSQL, Redis) before it is answered
/// 503 with Retry-After: a bucket is one row's update, so anything longer is a stall.
pub const SHARED_STORE_DEADLINE: Duration = Duration::from_secs(2);

impl Limiter {
    /// The store the settings name; `key` names shared buckets (the service's secret).
    pub fn new(
        settings: &Settings,
        pool: &DbPool,
        key: &[u8],
        metrics: std::sync::Arc<crate::metrics::Metrics>,
    ) -> anyhow::Result<Limiter> {
        let store = match &settings.rate_store {
            RateStore::Memory => Store::Memory(Box::new(MemoryBuckets {
                clients: Buckets::new(settings.rate_per_client),
                desks: Buckets::new(settings.rate_per_desk),
                sign_ins: Buckets::new(settings.rate_login),
                searches: Buckets::new(settings.rate_search),
            })),
            RateStore::Postgres => Store::Postgres {
                pool: pool.clone(),
                key: key.to_vec(),
            },
            RateStore::Redis(url) => {
                let client = redis::Client::open(url.as_str())?;
                let pool = r2d2::Pool::builder()
                    .max_size(8)
                    .min_idle(Some(0))
                    .connection_timeout(Duration::from_secs(2))
                    .build_unchecked(client);
                Store::Redis {
                    pool,
                    key: key.to_vec(),
                }
            }
        };
        Ok(Limiter {
            clients: settings.rate_per_client,
            desks: settings.rate_per_desk,
            sign_ins: settings.rate_login,
            searches: settings.rate_search,
            store,
            metrics,
        })
    }

    fn limit(&self, subject: &Subject) -> RateLimit {
        match subject {
            Subject::Client(_) => self.clients,
            Subject::Desk(_) => self.desks,
            Subject::SignIn(_) => self.sign_ins,
            Subject::Search(_) => self.searches,
        }
    }

    /// Takes one token for `subject`, or says how long to wait (or that nobody can say).
    pub async fn take(&self, subject: Subject) -> Result<(), Limited> {
        let name = match subject {
            Subject::Client(_) => "client",
            Subject::Desk(_) => "desk",
            Subject::SignIn(_) => "sign_in",
            Subject::Search(_) => "search",
        };
        let taken = self.take_from_store(subject).await;
        if let Err(Limited::Wait(_)) = &taken {
            self.metrics.refused(name);
        }
        taken
    }

    async fn take_from_store(&self, subject: Subject) -> Result<(), Limited> {
        let limit = self.limit(&subject);
        let per_sec = limit.per_minute / 60.0;
        let burst = f64::from(limit.burst);
        let wait =
            |tokens: f64| Limited::Wait(Duration::from_secs_f64((1.0 - tokens).max(0.0) / per_sec));
        match &self.store {
            Store::Memory(b) => {
                let now = Instant::now();
                match subject {
                    Subject::Client(ip) => b.clients.take(&ip, now),
                    Subject::Desk(id) => b.desks.take(&id, now),
                    Subject::SignIn(ip) => b.sign_ins.take(&ip, now),
                    Subject::Search(user) => b.searches.take(&user, now),
                }
                .map_err(Limited::Wait)
            }
            Store::Postgres { pool, key } => {
                let bucket = bucket_key(key, &subject);
                let prune = rand::random::<u16>() == 0;
                let (allowed, tokens) = db::run_within(pool, SHARED_STORE_DEADLINE, move |c| {
                    if prune {
                        db::ratelimit::prune(c)?;
                    }
                    db::ratelimit::take(c, &bucket, burst, per_sec)
                })
                .await
                .map_err(|e| Limited::Unavailable(e.into()))?;
                if allowed {
                    Ok(())
                } else {
                    Err(wait(tokens))
                }
            }
            Store::Redis { pool, key } => {
                let bucket = bucket_key(key, &subject);
                let pool = pool.clone();
                let call = tokio::task::spawn_blocking(move || -> anyhow::Result<(i64, String)> {
                    let mut conn = pool.get()?;
                    let name = format!("sipas:rate:{}", hex(&bucket));
                    Ok(redis::Script::new(REDIS_TAKE)
                        .key(name)
                        .arg(burst)
                        .arg(per_sec)
                        .invoke(&mut *conn)?)
                });
                let taken = tokio::time::timeout(SHARED_STORE_DEADLINE, call)
                    .await
                    // A stall of the store, like one of the database: a prompt 503.
                    .map_err(|_| {
                        Limited::Unavailable(db::DbError::Stalled(SHARED_STORE_DEADLINE).into())
                    })?
                    .map_err(|e| Limited::Unavailable(e.into()))?
                    .map_err(Limited::Unavailable)?;
                let tokens: f64 = taken.1.parse().unwrap_or(0.0);
                if taken.0 == 1 {
                    Ok(())
                } else {
                    Err(wait(tokens))
                }
            }
        }
    }
}

fn bucket_key(key: &[u8], subject: &Subject) -> [u8; 16] {
    let tag = signing::tag(key, BUCKET_DOMAIN, subject.name().as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag[..16]);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_waits_for_the_refill() {
        let b = Buckets::new(RateLimit {
            per_minute: 60.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take(&"k", t0).is_ok());
        }
        let wait = b.take(&"k", t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(b.take(&"other", t0).is_ok(), "keys are independent");
        assert!(b.take(&"k", t0 + Duration::from_millis(1001)).is_ok());
    }
}
