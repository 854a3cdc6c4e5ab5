//! Metrics in Prometheus' text format (issue #21, point 5), served by `web::metrics` on their
//! own listen address (`SIPAS_METRICS_BIND`), never on the public one.
//!
//! Counters and histograms belong to one server (its `AppState`; a test process runs many) and
//! are recorded where things happen (the request trace, the ingest writer, the rate limiter); gauges that the database knows (the
//! outbox, held ratings) are read when the metrics are scraped. Labels are route *patterns*,
//! statuses and fixed names: never a token, an address or anything a client typed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// Upper bounds of the latency histograms, in seconds.
const SECONDS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Upper bounds of the batch-size histogram.
const SIZES: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Cumulative counts per bound, as Prometheus wants them.
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; bounds.len()];
        }
        for (b, bound) in self.buckets.iter_mut().zip(bounds) {
            if v <= *bound {
                *b += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, bound) in self.buckets.iter().zip(bounds) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {b}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Everything this process records.
#[derive(Default)]
pub struct Metrics {
    /// (method, route pattern, status) → answers.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route pattern → latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Ratings waiting in the ingest queue.
    pub queue_depth: AtomicI64,
    batch_sizes: Mutex<Histogram>,
    commit_seconds: Mutex<Histogram>,
    /// subject (client, desk, sign_in, search) → refusals.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A label value as Prometheus reads it (backslash, quote and newline escaped).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn answered(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *locked(&self.requests)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        locked(&self.latency)
            .entry(route.to_owned())
            .or_default()
            .observe(&SECONDS, seconds);
    }

    pub fn batch(&self, size: usize, commit_seconds: f64) {
        locked(&self.batch_sizes).observe(&SIZES, size as f64);
        locked(&self.commit_seconds).observe(&SECONDS, commit_seconds);
    }

    pub fn refused(&self, subject: &'static str) {
        *locked(&self.refusals).entry(subject).or_default() += 1;
    }

    /// The text of what this process recorded, then `gauges` (what the caller read of the
    /// pool and the database), each with its HELP and TYPE.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP sipas_build_info The running version.");
        let _ = writeln!(out, "# TYPE sipas_build_info gauge");
        let _ = writeln!(
            out,
            "sipas_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP sipas_http_requests_total Answers, by method, route pattern and status."
        );
        let _ = writeln!(out, "# TYPE sipas_http_requests_total counter");
        for ((method, route, status), n) in locked(&self.requests).iter() {
            let _ = writeln!(
                out,
                "sipas_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP sipas_http_request_duration_seconds Time to answer, by route pattern."
        );
        let _ = writeln!(out, "# TYPE sipas_http_request_duration_seconds histogram");
        for (route, h) in locked(&self.latency).iter() {
            h.write(
                &mut out,
                "sipas_http_request_duration_seconds",
                &format!("route=\"{}\"", label(route)),
                &SECONDS,
            );
        }
        let _ = writeln!(
            out,
            "# HELP sipas_ingest_queue_depth Ratings waiting for a writer."
        );
        let _ = writeln!(out, "# TYPE sipas_ingest_queue_depth gauge");
        let _ = writeln!(
            out,
            "sipas_ingest_queue_depth {}",
            self.queue_depth.load(Ordering::Relaxed).max(0)
        );
        let _ = writeln!(
            out,
            "# HELP sipas_ingest_batch_size Ratings stored by one statement."
        );
        let _ = writeln!(out, "# TYPE sipas_ingest_batch_size histogram");
        locked(&self.batch_sizes).write(&mut out, "sipas_ingest_batch_size", "", &SIZES);
        let _ = writeln!(
            out,
            "# HELP sipas_ingest_commit_seconds Time to store and commit one batch."
        );
        let _ = writeln!(out, "# TYPE sipas_ingest_commit_seconds histogram");
        locked(&self.commit_seconds).write(&mut out, "sipas_ingest_commit_seconds", "", &SECONDS);
        let _ = writeln!(out, "# HELP sipas_rate_limit_refusals_total Requests refused by a rate limit, by what was limited.");
        let _ = writeln!(out, "# TYPE sipas_rate_limit_refusals_total counter");
        for (subject, n) in locked(&self.refusals).iter() {
            let _ = writeln!(
                out,
                "sipas_rate_limit_refusals_total{{subject=\"{subject}\"}} {n}"
            );
        }
        let mut named = "";
        for g in gauges {
            if g.name != named {
                let _ = writeln!(out, "# HELP {} {}", g.name, g.help);
                let _ = writeln!(out, "# TYPE {} gauge", g.name);
                named = g.name;
            }
            match &g.label {
                Some((k, v)) => {
                    let _ = writeln!(out, "{}{{{k}=\"{}\"}} {}", g.name, label(v), g.value);
                }
                None => {
                    let _ = writeln!(out, "{} {}", g.name, g.value);
                }
            }
        }
        out
    }
}

/// A value read at scrape time; gauges of one name come one after the other.
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub label: Option<(&'static str, String)>,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_and_labels_are_escaped() {
        let m = Metrics::default();
        m.answered("GET", "/q/{token}", 200, 0.003);
        m.answered("GET", "/q/{token}", 200, 0.2);
        m.answered("POST", "/a\"b", 503, 20.0);
        let text = m.render(&[]);
        assert!(text.contains(
            "sipas_http_requests_total{method=\"GET\",route=\"/q/{token}\",status=\"200\"} 2"
        ));
        assert!(text.contains("route=\"/a\\\"b\""), "{text}");
        assert!(text.contains(
            "sipas_http_request_duration_seconds_bucket{route=\"/q/{token}\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "sipas_http_request_duration_seconds_bucket{route=\"/q/{token}\",le=\"0.25\"} 2"
        ));
        assert!(text.contains(
            "sipas_http_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"+Inf\"} 1"
        ));
        assert!(text.contains("sipas_http_request_duration_seconds_count{route=\"/q/{token}\"} 2"));
    }
}
