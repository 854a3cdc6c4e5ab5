//! `/metrics` (issue #21, point 5): on its own address only, in Prometheus' text format as
//! `promtool check metrics` reads it, with what happened: answers by route pattern and status,
//! latencies, ingest batches, rate-limit refusals, the outbox and held ratings.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::TestApp;
use sipas::config::RateLimit;

fn promtool(args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn metrics_answer_on_their_own_address_and_promtool_reads_them() {
    let app = TestApp::spawn_with(|s| {
        s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        s.rate_per_desk = RateLimit {
            per_minute: 60.0,
            burst: 3,
        };
    });
    let metrics = app.metrics_base.clone().expect("a metrics address");
    // Ratings, some past the desk's limit; a page that does not exist.
    let token = app.token();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = app.post_form(
            &token,
            &[("submission_id", &crate::helpers::sid()), ("a.F1", "4")],
        );
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(
        app.http
            .get(format!("{}/khong-co-trang-nay/%E2%80%AE", app.base))
            .send()
            .unwrap()
            .status(),
        404
    );
    // Never on the public address.
    assert_eq!(
        app.http
            .get(format!("{}/metrics", app.base))
            .send()
            .unwrap()
            .status(),
        404
    );
    let r = app.http.get(format!("{metrics}/metrics")).send().unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    let (ok, said) = promtool(&["check", "metrics"], &text);
    assert!(ok, "promtool: {said}\n{text}");
    for line in [
        "sipas_http_requests_total{method=\"POST\",route=\"/q/{token}\",status=\"200\"} 3",
        "sipas_http_requests_total{method=\"POST\",route=\"/q/{token}\",status=\"429\"} 2",
        "sipas_http_requests_total{method=\"GET\",route=\"-\",status=\"404\"}",
        "sipas_rate_limit_refusals_total{subject=\"desk\"}",
        "sipas_http_request_duration_seconds_count{route=\"/q/{token}\"}",
        "sipas_ingest_batch_size_count",
        "sipas_outbox_messages{status=\"queued\"} 0",
        "sipas_held_ratings 0",
        "sipas_database_up 1",
        "sipas_build_info{version=",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    // The path a client typed is not a label: only route patterns are.
    assert!(
        !text.contains("khong-co-trang-nay") && !text.contains(&token),
        "{text}"
    );
}

#[test]
fn the_example_alerting_rules_are_valid() {
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/alerts.yml");
    let (ok, said) = promtool(&["check", "rules", rules.to_str().unwrap()], "");
    assert!(ok, "{said}");
    assert!(said.contains("SUCCESS: 4 rules found"), "{said}");
}
