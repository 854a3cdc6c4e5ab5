//! In-memory token buckets, per client address and per desk.
//!
//! One process serves a province, so process memory is the right place: no extra service to
//! run. Limits are settings (`SIPAS_RATE_PER_CLIENT`, `SIPAS_RATE_PER_DESK`). Client addresses
//! live here only, for at most a few minutes, and are never written to the database or logs.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

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
