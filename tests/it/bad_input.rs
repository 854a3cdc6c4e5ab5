//! Every bad input of issue #2 point 6 gets a clear answer and stores nothing.

use crate::helpers::{sid, TestApp, SECRET};
use sipas::domain::DeskToken;

/// (name, token, form fields, expected status, expected words in the answer)
type Case<'a> = (&'a str, String, Vec<(&'a str, String)>, u16, &'a str);

#[test]
fn bad_form_submissions_store_nothing_and_say_why_in_vietnamese() {
    let app = TestApp::spawn();
    let token = app.token();
    let forged = DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 1,
    }
    .sign(b"not the server's key");
    let unknown_desk = DeskToken {
        desk_id: 999_999,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    let long_comment = "ý".repeat(2001);
    let cases: Vec<Case> = vec![
        (
            "unknown token",
            "garbage".into(),
            vec![("submission_id", sid()), ("a.F1", "5".into())],
            404,
            "không hợp lệ",
        ),
        (
            "forged token",
            forged,
            vec![("submission_id", sid()), ("a.F1", "5".into())],
            404,
            "không hợp lệ",
        ),
        (
            "unknown desk",
            unknown_desk,
            vec![("submission_id", sid()), ("a.F1", "5".into())],
            404,
            "không hợp lệ",
        ),
        (
            "value above range",
            token.clone(),
            vec![("submission_id", sid()), ("a.F1", "6".into())],
            422,
            "từ 1 đến 5",
        ),
        (
            "value below range",
            token.clone(),
            vec![("submission_id", sid()), ("a.F1", "0".into())],
            422,
            "từ 1 đến 5",
        ),
        (
            "value not a number",
            token.clone(),
            vec![("submission_id", sid()), ("a.F1", "good".into())],
            422,
            "từ 1 đến 5",
        ),
        (
            "unknown item",
            token.clone(),
            vec![("submission_id", sid()), ("a.F9", "5".into())],
            422,
            "không có trong phiếu",
        ),
        (
            "criterion not on the desk form",
            token.clone(),
            vec![("submission_id", sid()), ("a.F1.1", "5".into())],
            422,
            "không có trong phiếu",
        ),
        (
            "oversize comment",
            token.clone(),
            vec![
                ("submission_id", sid()),
                ("a.F1", "5".into()),
                ("comment", long_comment),
            ],
            422,
            "2000 ký tự",
        ),
        (
            "no submission id",
            token.clone(),
            vec![("a.F1", "5".into())],
            422,
            "mã lượt gửi",
        ),
        (
            "bad submission id",
            token.clone(),
            vec![("submission_id", "123".into()), ("a.F1", "5".into())],
            422,
            "mã lượt gửi",
        ),
        (
            "no answer",
            token.clone(),
            vec![("submission_id", sid())],
            422,
            "ít nhất một câu hỏi",
        ),
        (
            "bad respondent kind",
            token.clone(),
            vec![
                ("submission_id", sid()),
                ("a.F1", "5".into()),
                ("respondent_kind", "robot".into()),
            ],
            422,
            "cá nhân",
        ),
        (
            "one valid, one invalid answer",
            token.clone(),
            vec![
                ("submission_id", sid()),
                ("a.F1", "5".into()),
                ("a.F2", "9".into()),
            ],
            422,
            "từ 1 đến 5",
        ),
    ];
    for (name, token, fields, status, message) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = app.post_form(&token, &fields);
        assert_eq!(resp.status().as_u16(), status, "{name}");
        let body = resp.text().unwrap().to_lowercase();
        assert!(body.contains(&message.to_lowercase()), "{name}: {body}");
        assert_eq!(app.responses(), 0, "{name} stored a response");
        assert_eq!(app.answers(), 0, "{name} stored an answer");
    }
}

#[test]
fn malformed_bodies_wrong_types_and_oversize_requests_store_nothing() {
    let app = TestApp::spawn();
    let path = format!("/q/{}", app.token());
    let send = |ct: &str, body: Vec<u8>| app.post_raw(&path, ct, body);

    let r = send("application/json", br#"{"a.F1": 5}"#.to_vec());
    assert_eq!(r.status(), 415);
    assert!(r.text().unwrap().contains("trang đánh giá"));

    let r = send(
        "application/x-www-form-urlencoded",
        b"a.F1=5&submission_id=%ZZ%".to_vec(),
    );
    assert!(matches!(r.status().as_u16(), 400 | 422), "{}", r.status());

    let r = send("application/x-www-form-urlencoded", vec![b'a'; 70 * 1024]);
    assert_eq!(r.status(), 413);
    assert!(r.text().unwrap().contains("quá lớn"));

    assert_eq!(app.responses(), 0);
}

#[test]
fn the_honeypot_looks_successful_and_stores_nothing() {
    let app = TestApp::spawn();
    let token = app.token();
    let s = sid();
    let r = app.post_form(
        &token,
        &[
            ("submission_id", s.as_str()),
            ("a.F1", "5"),
            ("website", "http://spam.example"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("Cảm ơn"));
    assert_eq!(app.responses(), 0);
}

#[test]
fn a_forged_token_cannot_even_show_the_form() {
    let app = TestApp::spawn();
    let forged = DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 1,
    }
    .sign(b"guess");
    let r = app
        .http
        .get(format!("{}/q/{forged}", app.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("Mã QR không hợp lệ"));
}

#[test]
fn an_unknown_address_gets_a_vietnamese_page() {
    let app = TestApp::spawn();
    let r = app
        .http
        .get(format!("{}/no/such/page", app.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("quét mã QR"));
}
