//! The security headers are on every response of every door — pages, downloads, the API,
//! errors, health — and HSTS only where the service is reached over HTTPS (issue #9, point 5).

use crate::helpers::{add_user, Browser, TestApp};
use sipas::domain::Role;

const EVERYWHERE: [(&str, &str); 7] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
];

fn check(resp: &reqwest::blocking::Response, what: &str, https: bool) {
    for (name, value) in EVERYWHERE {
        assert_eq!(
            resp.headers().get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name} on {what}"
        );
    }
    assert_eq!(
        resp.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        https.then_some("max-age=31536000; includeSubDomains"),
        "HSTS on {what}"
    );
    let private = what.contains("/admin") || what.contains("/s/");
    if private {
        assert_eq!(
            resp.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "cache-control on {what}"
        );
    }
}

#[test]
fn every_door_sends_the_security_headers_and_hsts_only_over_https() {
    for https in [false, true] {
        let app = TestApp::spawn_with(|s| {
            if https {
                s.public_url = Some("https://sipas.example.gov.vn".into());
            }
        });
        add_user(&app.db, "snv.admin", Role::Admin, None);
        let token = app.token();
        let anonymous = [
            "/".to_owned(),
            format!("/q/{token}"),
            "/q/not-a-token".to_owned(),
            "/s".to_owned(),
            "/s/AAAAAAAAAAAAAAAA".to_owned(),
            "/public".to_owned(),
            "/api/openapi.json".to_owned(),
            "/api/v1/agencies".to_owned(),
            "/admin/login".to_owned(),
            "/admin/dashboard".to_owned(),
            "/health/live".to_owned(),
            "/health/ready".to_owned(),
            "/nowhere".to_owned(),
        ];
        for path in &anonymous {
            let r = app.http.get(format!("{}{path}", app.base)).send().unwrap();
            check(&r, &format!("GET {path}"), https);
        }
        let bad_json = app
            .http
            .post(format!("{}/api/v1/responses", app.base))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .unwrap();
        assert_eq!(bad_json.status(), 400);
        check(&bad_json, "POST /api/v1/responses (bad JSON)", https);

        let b = Browser::new(&app);
        let signed = b.sign_in("snv.admin", crate::helpers::PASSWORD);
        check(&signed, "POST /admin/login", https);
        for path in [
            "/admin",
            "/admin/dashboard",
            "/admin/ranking.csv",
            "/admin/waves",
            "/admin/outbox",
            "/admin/audit",
            "/admin/no-such-page",
        ] {
            check(&b.get(path), &format!("GET {path} (signed in)"), https);
        }
    }
}

#[test]
fn liveness_is_the_process_and_readiness_is_the_database() {
    let app = TestApp::spawn();
    let live = app
        .http
        .get(format!("{}/health/live", app.base))
        .send()
        .unwrap();
    assert_eq!(live.status(), 200);
    for path in ["/health/ready", "/healthz"] {
        let ready = app.http.get(format!("{}{path}", app.base)).send().unwrap();
        assert_eq!(ready.status(), 200, "{path}");
        assert!(ready
            .text()
            .unwrap()
            .starts_with("ready\ndatabase: answers\n"));
    }
}

#[test]
fn without_its_database_the_node_is_live_but_not_ready_and_says_when_to_retry() {
    let app = TestApp::spawn();
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let mut admin = crate::helpers::TestDb::admin_conn();
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
    ))
    .execute(&mut admin)
    .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .unwrap();
    let started = std::time::Instant::now();
    let ready = app
        .http
        .get(format!("{}/health/ready", app.base))
        .send()
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "answered within its bound, not after the pool's timeout: {:?}",
        started.elapsed()
    );
    let live = app
        .http
        .get(format!("{}/health/live", app.base))
        .send()
        .unwrap();
    assert_eq!(live.status(), 200);
    diesel::sql_query(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .unwrap();
}

/// Every GET route registered in `src/web/mod.rs` — including any a later change adds —
/// answers with the security headers, whatever its status (read from the source, so a new
/// route is covered without editing this test).
#[test]
fn every_registered_route_sends_the_security_headers() {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap();
    let mut paths = Vec::new();
    // The scope each part of the file registers under.
    let mut prefix = "";
    for line in source.lines() {
        if line.contains("web::scope(\"/admin\")") || line.contains("fn registry_routes") {
            prefix = "/admin";
        }
        if line.contains("fn read_api_routes") {
            prefix = "/api/v1";
        }
        let Some(start) = line.find("resource(\"") else {
            continue;
        };
        let rest = &line[start + 10..];
        let Some(end) = rest.find('"') else { continue };
        let methods = &rest[end..];
        if !methods.contains("GET") {
            continue;
        }
        let raw = &rest[..end];
        let filled = raw
            .replace("{id}", "1")
            .replace("{code}", "T1")
            .replace("{format}", "csv")
            .replace("{token}", "not-a-token")
            .replace("{name}", "snv.admin")
            .replace("{what}", "results")
            .replace("{unit}", "1");
        let path = if raw.starts_with(prefix) {
            filled
        } else {
            format!("{prefix}{filled}")
        };
        paths.push(path);
    }
    assert!(paths.len() > 30, "routes found: {paths:?}");
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let b = Browser::signed_in(&app, "snv.admin");
    for path in &paths {
        let r = b.get(path);
        check(&r, &format!("GET {path} ({})", r.status()), false);
    }
}
