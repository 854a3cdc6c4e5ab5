//! The JSON API follows the same rules as the form.

use serde_json::{json, Value};

use crate::helpers::{sid, TestApp};

fn valid(app: &TestApp) -> Value {
    json!({
        "submission_id": sid(),
        "desk_token": app.token(),
        "respondent_kind": "individual",
        "procedure_code": "1.001234",
        "answers": { "F1": 5, "F2": 4, "F3": null, "OVERALL": 4 },
        "comment": "Nhanh gọn."
    })
}

#[test]
fn a_kiosk_submission_is_created_once_and_replays_are_acknowledged() {
    let app = TestApp::spawn();
    let body = valid(&app);
    let first = app.post_json(&body);
    assert_eq!(first.status(), 201);
    let first: Value = first.json().unwrap();
    assert_eq!(first["status"], "created");
    assert_eq!(first["id"], body["submission_id"]);
    let again = app.post_json(&body);
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().unwrap()["status"], "duplicate");
    assert_eq!(app.responses(), 1);
    assert_eq!(app.answers(), 4);
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM responses WHERE channel = 'kiosk' AND procedure_code = '1.001234'"),
        1
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM answers WHERE value IS NULL"),
        1
    );
}

#[test]
fn bad_api_requests_get_problem_documents_and_store_nothing() {
    let app = TestApp::spawn();
    let mut cases: Vec<(&str, Value, u16, &str)> = Vec::new();
    let mut v = valid(&app);
    v["answers"]["F1"] = json!(7);
    cases.push(("out of range", v, 422, "answers.F1"));
    let mut v = valid(&app);
    v["answers"]["NOPE"] = json!(3);
    cases.push(("unknown item", v, 422, "answers.NOPE"));
    let mut v = valid(&app);
    v["answers"]["F1"] = json!(4.5);
    cases.push(("fractional score", v, 422, "answers.F1"));
    let mut v = valid(&app);
    v["answers"]["F1"] = json!("5");
    cases.push(("score as text", v, 422, "answers.F1"));
    let mut v = valid(&app);
    v["comment"] = json!("a".repeat(2001));
    cases.push(("oversize comment", v, 422, "comment"));
    let mut v = valid(&app);
    v["desk_token"] = json!("AAAAAQABAAAAAAAAAAAAAA");
    cases.push(("forged token", v, 404, ""));
    let mut v = valid(&app);
    v["extra"] = json!(1);
    cases.push(("unknown field", v, 400, ""));
    let mut v = valid(&app);
    v["answers"] = json!({});
    cases.push(("no answers", v, 422, "answers"));
    let mut v = valid(&app);
    v["channel"] = json!("paper");
    cases.push(("channel not allowed", v, 422, "channel"));
    let mut v = valid(&app);
    v["procedure_code"] = json!("DROP TABLE; --");
    cases.push(("bad procedure code", v, 422, "procedure_code"));

    for (name, body, status, field) in cases {
        let r = app.post_json(&body);
        assert_eq!(r.status().as_u16(), status, "{name}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
        let p: Value = r.json().unwrap();
        assert_eq!(p["status"], status, "{name}");
        if !field.is_empty() {
            let fields: Vec<&str> = p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{name}: {fields:?}");
        }
        assert_eq!(app.responses(), 0, "{name} stored a response");
    }

    let r = app.post_raw("/api/v1/responses", "application/json", "{not json");
    assert_eq!(r.status(), 400);
    let r = app.post_raw("/api/v1/responses", "text/plain", "hello");
    assert_eq!(r.status(), 415);
    assert_eq!(app.responses(), 0);
}

#[test]
fn the_openapi_document_describes_the_endpoint() {
    let app = TestApp::spawn();
    let doc: Value = app
        .http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let post = &doc["paths"]["/api/v1/responses"]["post"];
    for status in [
        "201", "200", "400", "404", "405", "410", "413", "415", "422", "429", "503",
    ] {
        assert!(
            post["responses"][status].is_object(),
            "status {status} documented"
        );
    }
    let required: Vec<&str> = doc["components"]["schemas"]["Submission"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["submission_id", "answers"]);
    // And exactly one of the two tokens: a desk's or a dossier's receipt's.
    let one_of: Vec<&str> = doc["components"]["schemas"]["Submission"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|branch| branch["required"][0].as_str().unwrap())
        .collect();
    assert_eq!(one_of, ["desk_token", "receipt_token"]);
}

#[test]
fn the_api_takes_exactly_the_documented_spellings_and_echoes_the_canonical_id() {
    let app = TestApp::spawn();
    let mut body = valid(&app);
    let id = sid();
    body["submission_id"] = json!(id.to_uppercase());
    let r = app.post_json(&body);
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().unwrap()["id"], id, "echoed in lower case");
    for (field, value) in [
        ("submission_id", json!(format!("{{{id}}}"))),
        ("submission_id", json!(id.replace('-', ""))),
        ("respondent_kind", json!("organization")),
        ("procedure_code", json!(" 1.001234")),
        ("channel", json!("Kiosk")),
    ] {
        let mut b = valid(&app);
        b[field] = value.clone();
        let r = app.post_json(&b);
        assert_eq!(r.status(), 422, "{field}: {value}");
        assert_eq!(r.json::<Value>().unwrap()["errors"][0]["field"], field);
    }
    let mut null_channel = valid(&app);
    null_channel["channel"] = Value::Null;
    assert_eq!(
        app.post_json(&null_channel).status(),
        400,
        "null is not a string"
    );
    assert_eq!(app.responses(), 1, "nothing else stored");
}

#[test]
fn both_doors_refuse_invalid_utf8_and_store_comments_in_nfc() {
    let app = TestApp::spawn();
    let token = app.token();
    // Invalid UTF-8: refused whole at both doors, nothing stored.
    let json_body = format!(
        r#"{{"submission_id":"{}","desk_token":"{token}","answers":{{"F1":5}},"comment":"x"#,
        sid()
    );
    let mut bad_json = json_body.into_bytes();
    bad_json.extend_from_slice(b"\xff\"}");
    assert_eq!(
        app.post_raw("/api/v1/responses", "application/json", bad_json)
            .status(),
        400
    );
    let form = format!("submission_id={}&a.F1=5&comment=x%FF", sid());
    assert_eq!(
        app.post_raw(
            &format!("/q/{token}"),
            "application/x-www-form-urlencoded",
            form
        )
        .status(),
        400
    );
    assert_eq!(app.responses(), 0);

    // The same comment typed with combining marks, through each door: stored once each, in NFC.
    let decomposed = "Thu\u{309} tu\u{323}c nhanh";
    let mut b = valid(&app);
    b["comment"] = json!(decomposed);
    assert_eq!(app.post_json(&b).status(), 201);
    let id = sid();
    let r = app.post_form(
        &token,
        &[
            ("submission_id", &id),
            ("a.F1", "4"),
            ("comment", decomposed),
        ],
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM responses WHERE comment = 'Thủ tục nhanh'"),
        2
    );
}
