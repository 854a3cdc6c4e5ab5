//! One error policy (src/web/errors/mod.rs): the same fault has the same status at every door; the
//! API always answers problem documents; pages answer HTML in their reader's language; nothing
//! echoes the input back.

use reqwest::blocking::Response;
use serde_json::{json, Value};
use sipas::domain::{DeskToken, Role};

use crate::helpers::{add_user, sid, Browser, TestApp, SECRET};

fn assert_problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().unwrap();
    assert_eq!(p["status"], status);
    assert!(p["detail"].is_string() && p["title"].is_string());
    p
}

fn assert_page(r: Response, status: u16, words: &str) -> String {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let body = r.text().unwrap();
    assert!(body.contains(words), "{words:?} not in {body}");
    body
}

fn api_submission(token: &str) -> Value {
    json!({ "submission_id": sid(), "desk_token": token, "answers": { "F1": 4 } })
}

#[test]
fn unknown_paths_and_wrong_methods_answer_in_the_form_of_their_door() {
    let app = TestApp::spawn();
    let get = |path: &str| app.http.get(format!("{}{path}", app.base)).send().unwrap();
    let p = assert_problem(get("/api/v2/nothing"), 404);
    assert_eq!(p["errors"], json!([]));
    assert_problem(get("/api"), 404);

    let r = get("/api/v1/responses");
    assert_eq!(r.headers()["allow"], "POST");
    assert_problem(r, 405);
    let r = app
        .http
        .delete(format!("{}/api/openapi.json", app.base))
        .send()
        .unwrap();
    assert_eq!(r.headers()["allow"], "GET");
    assert_problem(r, 405);

    let r = app
        .http
        .put(format!("{}/q/{}", app.base, app.token()))
        .send()
        .unwrap();
    assert_eq!(r.headers()["allow"], "GET, POST");
    assert_page(r, 405, "quét mã QR");
    assert_page(get("/no/such/page?lang=en"), 404, "scan the QR code");
    assert_page(get("/no/such/page"), 404, "Không tìm thấy trang");
}

#[test]
fn a_bad_or_revoked_desk_token_has_one_status_at_both_doors() {
    let app = TestApp::spawn();
    let forged = DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 1,
    }
    .sign(b"not the server's key");
    for token in ["garbage", forged.as_str()] {
        assert_page(
            app.http
                .get(format!("{}/q/{token}", app.base))
                .send()
                .unwrap(),
            404,
            "Mã QR không hợp lệ",
        );
        assert_page(
            app.post_form(token, &[("submission_id", &sid()), ("a.F1", "4")]),
            404,
            "Mã QR không hợp lệ",
        );
        let p = assert_problem(app.post_json(&api_submission(token)), 404);
        assert_eq!(p["detail"], "desk_token is not a valid desk token");
    }

    let old = app.token();
    sipas::db::desks::rotate_key(
        &mut app.db.conn(),
        &crate::helpers::test_actor(),
        app.fixture.desk_id,
    )
    .unwrap();
    assert_page(
        app.post_form(&old, &[("submission_id", &sid()), ("a.F1", "4")]),
        410,
        "hết hiệu lực",
    );
    assert_problem(app.post_json(&api_submission(&old)), 410);
    assert_eq!(app.responses(), 0);
    let current = DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 2,
    }
    .sign(SECRET.as_bytes());
    assert_eq!(app.post_json(&api_submission(&current)).status(), 201);
}

#[test]
fn a_rate_limit_answers_429_with_retry_after_at_both_doors() {
    let app = TestApp::spawn_with(|s| {
        s.rate_per_client = sipas::config::RateLimit {
            per_minute: 1.0,
            burst: 1,
        };
    });
    let token = app.token();
    assert_eq!(app.post_json(&api_submission(&token)).status(), 201);
    let form = app.post_form(&token, &[("submission_id", &sid()), ("a.F1", "4")]);
    let api = app.post_json(&api_submission(&token));
    let wait = |r: &Response| -> u64 {
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!((1..=60).contains(&wait(&form)) && (1..=60).contains(&wait(&api)));
    assert_page(form, 429, "thử lại");
    assert_problem(api, 429);
    assert_eq!(app.responses(), 1);
}

#[test]
fn framework_parse_errors_follow_the_policy_and_echo_nothing() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    let probe = "zz<probe>zz";

    // A path segment that is not a number names no desk.
    let body = assert_page(
        staff.get(&format!("/admin/desks/{probe}/poster")),
        404,
        "Không tìm thấy",
    );
    assert!(!body.contains("probe") && !body.contains("parse"), "{body}");
    assert!(
        body.contains("Về trang quản trị"),
        "staff get a way back: {body}"
    );
    // A query value of the wrong type.
    let body = assert_page(
        staff.get(&format!("/admin?rotated={probe}")),
        400,
        "Yêu cầu không hợp lệ",
    );
    assert!(!body.contains("probe"), "{body}");
    // A form without its fields.
    let body = assert_page(
        Browser::new(&app).post("/admin/login", &[("username", probe)]),
        400,
        "Yêu cầu không hợp lệ",
    );
    assert!(!body.contains("probe"), "{body}");
    // A JSON body that does not parse, or has another shape.
    for bad in [
        format!("{{\"submission_id\": \"{probe}"),
        format!("{{\"{probe}\": 1}}"),
        "[]".to_owned(),
    ] {
        let r = app.post_raw("/api/v1/responses", "application/json", bad);
        let p = assert_problem(r, 400);
        assert!(!p.to_string().contains("probe"), "{p}");
    }
    assert_eq!(app.responses(), 0);
}

#[test]
fn an_unreachable_database_is_503_with_retry_after_and_each_audience_hears_what_happened() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    let token = app.token();
    app.db.cut_off();

    let r = staff.get("/admin");
    assert_eq!(r.headers()["retry-after"], "5");
    let body = assert_page(r, 503, "cơ sở dữ liệu tạm thời không phản hồi");
    assert!(
        !body.contains("đánh giá"),
        "staff are not told about a rating: {body}"
    );

    let r = app.post_form(&token, &[("submission_id", &sid()), ("a.F1", "4")]);
    assert_eq!(r.headers()["retry-after"], "5");
    // The commit may have happened after all: never "not saved", always "send it again".
    assert_page(r, 503, "có thể chưa được lưu");
    let p = assert_problem(app.post_json(&api_submission(&token)), 503);
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("may not have been stored; send it again with the same submission_id"));
    app.db.reachable();
    assert_eq!(staff.get("/admin").status(), 200, "back once it is back");
}

#[test]
fn a_statement_past_its_deadline_is_503_and_frees_the_worker() {
    let app = TestApp::spawn_with(|s| s.statement_timeout = std::time::Duration::from_secs(1));
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    // Another session holds the agencies table for longer than the deadline.
    let lock = app.db.lock("agencies");
    let started = std::time::Instant::now();
    let r = staff.get("/admin/agencies");
    let waited = started.elapsed();
    drop(lock);
    assert_eq!(r.headers()["retry-after"], "5");
    assert_page(r, 503, "cơ sở dữ liệu tạm thời không phản hồi");
    assert!(
        waited < std::time::Duration::from_secs(10),
        "answered after {waited:?}"
    );
    assert_eq!(staff.get("/admin/agencies").status(), 200);
}

#[test]
fn a_query_that_does_not_fit_the_schema_is_a_500_that_shows_no_cause_and_no_retry() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    let token = app.token();
    // The desks table disappears from under the running service: no retry will find it.
    app.db.exec("ALTER TABLE desks RENAME TO desks_elsewhere");

    let r = staff.get("/admin");
    assert!(r.headers().get("retry-after").is_none());
    let body = assert_page(r, 500, "Lỗi hệ thống");
    assert!(!body.contains("desks"), "no cause is shown: {body}");

    let r = app.post_form(&token, &[("submission_id", &sid()), ("a.F1", "4")]);
    assert!(r.headers().get("retry-after").is_none());
    assert_page(r, 500, "có thể chưa được lưu");
    let p = assert_problem(app.post_json(&api_submission(&token)), 500);
    assert!(!p.to_string().contains("desks"), "{p}");
}

#[test]
fn a_violated_constraint_is_a_500_and_changes_nothing() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    // A rule the code does not know about refuses every new agency, as a bug would — at
    // commit, after the change and its audit row were both written: the audit row must go
    // with the change it records.
    app.db.exec(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         RAISE EXCEPTION 'refused by test' USING ERRCODE = 'check_violation'; END $$",
    );
    app.db.exec(
        "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON agencies \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()",
    );
    let before = app.db.count("SELECT count(*) AS n FROM audit_log");
    let level = app
        .db
        .count("SELECT id::int8 AS n FROM agency_levels WHERE code = 'province'")
        .to_string();
    let csrf = staff.csrf();
    let r = staff.post(
        "/admin/agencies",
        &[
            ("csrf", csrf.as_str()),
            ("code", "SO.TP"),
            ("name", "Sở Tư pháp"),
            ("level", &level),
        ],
    );
    assert!(r.headers().get("retry-after").is_none());
    let body = assert_page(r, 500, "Lỗi hệ thống");
    assert!(!body.contains("refused by test"), "{body}");
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM agencies WHERE code = 'SO.TP'"),
        0
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log"),
        before,
        "a change that fails leaves no audit row"
    );
}
