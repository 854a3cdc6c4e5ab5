//! Sums of the aggregates per agency and desk over periods of days, for dashboards and
//! rankings. Desks are kept apart because they are the clusters of the stream's design: a
//! report needs each desk's sums (`rollup::report_of`).
//!
//! Ratings are only ever added to today's cells, so every day before yesterday is final (until
//! a rebuild, which starts a new generation). The sums of final days are kept in memory, per
//! slice of the stream and range of days, and reused; yesterday and today are read from the
//! database at every request, so a rating shows at the next request. Two fresh days, not one:
//! this machine's clock and the database's may disagree around midnight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use crate::db::rollup::{self, Selected, Selection};
use crate::db::{Conn, QueryError};

/// Ratings and the element-wise sum of their cells' statistics.
pub type Sum = (i64, Vec<f64>);
/// One period's sums, per (agency, desk).
pub type PerDesk = HashMap<(i32, i32), Sum>;

/// What part of the stream is summed (besides the days).
pub use crate::db::slice::Slice;

type Key = (Slice, NaiveDate, NaiveDate);

struct Entry {
    sums: Arc<PerDesk>,
    bytes: usize,
    used: u64,
}

struct Inner {
    generation: i64,
    entries: HashMap<Key, Entry>,
    bytes: usize,
    clock: u64,
}

/// The sums of final days kept by this process, within a memory budget (least recently used
/// first out).
pub struct PastSums {
    budget: usize,
    inner: Mutex<Inner>,
}

impl PastSums {
    pub fn new(budget_bytes: usize) -> PastSums {
        PastSums {
            budget: budget_bytes,
            inner: Mutex::new(Inner {
                generation: i64::MIN,
                entries: HashMap::new(),
                bytes: 0,
                clock: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything if the aggregates' generation moved.
    fn observe(&self, generation: i64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
    }

    fn get(&self, key: &Key) -> Option<Arc<PerDesk>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        inner.entries.get_mut(key).map(|e| {
            e.used = now;
            Arc::clone(&e.sums)
        })
    }

    fn put(&self, generation: i64, key: Key, sums: Arc<PerDesk>) {
        let bytes = sums.values().map(|(_, v)| 48 + 8 * v.len()).sum::<usize>() + 64;
        if bytes > self.budget {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            return; // computed from an older generation
        }
        while inner.bytes + bytes > self.budget {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.bytes -= e.bytes;
            }
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.bytes += bytes;
        if let Some(old) = inner.entries.insert(key, Entry { sums, bytes, used }) {
            inner.bytes -= old.bytes;
        }
    }
}

fn add_into(target: &mut PerDesk, c: &Selected) {
    let (responses, stats) = (c.responses, c.stats.as_slice());
    let e = target
        .entry((c.agency_id, c.desk_id))
        .or_insert_with(|| (0, vec![0.0; stats.len()]));
    e.0 += responses;
    if e.1.len() == stats.len() {
        for (t, x) in e.1.iter_mut().zip(stats) {
            *t += x;
        }
    } else {
        // Cells of another layout cannot be added; the report refuses the mismatch.
        e.1 = Vec::new();
    }
}

fn selection(slice: &Slice, from: NaiveDate, to: NaiveDate) -> Selection {
    Selection {
        slice: slice.clone(),
        from,
        to,
        cuts: vec![from, to.succ_opt().unwrap_or(to)],
    }
}

/// The per-desk sums of each period `[from, to]` (inclusive) for the slice, `today` being
/// today in Vietnam.
pub fn per_period(
    conn: &mut Conn,
    cache: &PastSums,
    slice: &Slice,
    periods: &[(NaiveDate, NaiveDate)],
    today: NaiveDate,
) -> Result<Vec<PerDesk>, QueryError> {
    let generation = rollup::generation(conn)?;
    cache.observe(generation);
    let fresh_from = today.pred_opt().unwrap_or(today);
    let latest = periods.iter().map(|p| p.1).max().unwrap_or(today);
    let fresh: Vec<Selected> = if latest >= fresh_from {
        rollup::selected(conn, &selection(slice, fresh_from, latest.max(fresh_from)))?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(periods.len());
    for &(from, to) in periods {
        let mut sums = PerDesk::new();
        let final_to = to.min(fresh_from.pred_opt().unwrap_or(fresh_from));
        if from <= final_to {
            let key = (slice.clone(), from, final_to);
            let past = match cache.get(&key) {
                Some(hit) => hit,
                None => {
                    let mut loaded = PerDesk::new();
                    for c in rollup::selected(conn, &selection(slice, from, final_to))? {
                        add_into(&mut loaded, &c);
                    }
                    let loaded = Arc::new(loaded);
                    cache.put(generation, key, Arc::clone(&loaded));
                    loaded
                }
            };
            sums = (*past).clone();
        }
        for c in fresh.iter().filter(|c| c.day >= from && c.day <= to) {
            add_into(&mut sums, c);
        }
        out.push(sums);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(n: usize) -> Arc<PerDesk> {
        Arc::new(
            (0..n as i32)
                .map(|a| ((a, a), (1, vec![1.0; 10])))
                .collect(),
        )
    }

    fn key(day: u32) -> Key {
        let d = NaiveDate::from_ymd_opt(2026, 1, day).unwrap();
        (
            Slice {
                instrument_id: 1,
                agency_ids: vec![1],
                desk_id: None,
                channel: None,
                respondent_kind: None,
            },
            d,
            d,
        )
    }

    #[test]
    fn the_cache_keeps_to_its_budget_and_forgets_an_old_generation() {
        // Each entry of 10 agencies costs 10 × (48 + 80) + 64 = 1,344 bytes.
        let cache = PastSums::new(3_000);
        cache.observe(1);
        cache.put(1, key(1), sums(10));
        cache.put(1, key(2), sums(10));
        assert!(cache.get(&key(1)).is_some());
        // A third entry evicts the least recently used (day 2: day 1 was just read).
        cache.put(1, key(3), sums(10));
        assert!(cache.get(&key(2)).is_none());
        assert!(cache.get(&key(1)).is_some() && cache.get(&key(3)).is_some());
        // Sums computed under an older generation are not kept; a new generation forgets all.
        cache.put(0, key(4), sums(1));
        assert!(cache.get(&key(4)).is_none());
        cache.observe(2);
        assert!(cache.get(&key(1)).is_none());
        // Larger than the whole budget: not kept.
        cache.put(2, key(5), sums(100));
        assert!(cache.get(&key(5)).is_none());
    }
}
