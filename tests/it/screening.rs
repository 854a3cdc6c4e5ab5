//! Screening ratings without a receipt (issue #19, point 4): a form sent faster than it can be
//! read, or posted without the form, is held; a burst at a desk beyond its own history is held
//! whole, the earlier ratings of the burst taken back out of today's aggregates; held ratings
//! count in no index, and a rebuild from raw rows agrees with the aggregates.

use serde_json::json;
use sipas::domain::Role;

use crate::helpers::{add_user, agency_with_desk, hidden, run, sid, Browser, TestApp};

pub(crate) fn screened(min_fill_seconds: u32) -> TestApp {
    TestApp::spawn_with(|s| {
        s.screening.enabled = true;
        s.screening.min_fill_seconds = min_fill_seconds;
        // Every test client is 127.0.0.1: the one-device test has its own test; and tests run
        // at any hour: the opening-hours test has its own too.
        s.screening.client_max_per_day = 100;
        s.screening.default_hours = ALWAYS_OPEN.to_owned();
    })
}

/// Ratings of `desk` counted in today's aggregates.
pub(crate) fn counted(app: &TestApp, desk: i32) -> i64 {
    app.db.count(&format!(
        "SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily WHERE desk_id = {desk}"
    ))
}

pub(crate) fn held(app: &TestApp, reason: &str) -> i64 {
    app.db.count(&format!(
        "SELECT count(*) AS n FROM held_ratings WHERE '{reason}' = ANY(reasons) AND decision IS NULL"
    ))
}

const ALWAYS_OPEN: &str = "T2-CN 00:00-23:59";

const ANSWERS: [(&str, &str); 6] = [
    ("a.F1", "5"),
    ("a.F2", "5"),
    ("a.F3", "5"),
    ("a.F4", "5"),
    ("a.F5", "5"),
    ("a.OVERALL", "5"),
];

#[test]
fn a_form_sent_faster_than_it_can_be_read_or_without_the_form_is_held_not_counted() {
    let app = screened(2);
    let token = app.token();
    let desk = app.fixture.desk_id;
    let page = app
        .http
        .get(format!("{}/q/{token}", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let (id, rendered) = (hidden(&page, "submission_id"), hidden(&page, "rendered"));
    assert_eq!(
        rendered.len(),
        32,
        "the form carries its signed render time"
    );
    let mut fields = vec![
        ("submission_id", id.as_str()),
        ("rendered", rendered.as_str()),
        ("comment", "Nhanh quá 👍 (thử)\u{202E}"),
    ];
    fields.extend(ANSWERS);
    // At once: thanked like anyone (the sender learns nothing), held, not counted.
    let r = app.post_form(&token, &fields);
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("Cảm ơn"));
    assert_eq!(held(&app, "fast_fill"), 1);
    assert_eq!(counted(&app, desk), 0);
    let details = app.db.count(&format!(
        "SELECT (details->'fast_fill'->>'seconds')::int8 AS n FROM held_ratings WHERE response_id = '{id}'"
    ));
    assert!(
        (0..2).contains(&details),
        "the fill time is stored: {details}"
    );

    // Without the form (a script posting to the address), or with another rating's stamp.
    let mut bare = vec![("submission_id", sid())];
    bare.extend(ANSWERS.iter().map(|(k, v)| (*k, v.to_string())));
    let bare: Vec<(&str, &str)> = bare.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form(&token, &bare).status(), 200);
    let other = sid();
    let mut moved = vec![
        ("submission_id", other.as_str()),
        ("rendered", rendered.as_str()),
    ];
    moved.extend(ANSWERS);
    assert_eq!(app.post_form(&token, &moved).status(), 200);
    assert_eq!(held(&app, "no_render"), 2);
    assert_eq!(counted(&app, desk), 0);

    // Read and answered at a human pace: counted.
    let page = app
        .http
        .get(format!("{}/q/{token}", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let (id, rendered) = (hidden(&page, "submission_id"), hidden(&page, "rendered"));
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let mut fields = vec![
        ("submission_id", id.as_str()),
        ("rendered", rendered.as_str()),
    ];
    fields.extend(ANSWERS);
    assert_eq!(app.post_form(&token, &fields).status(), 200);
    assert_eq!(counted(&app, desk), 1);
    // A kiosk through the API shows no form of ours: its fill time is not judged.
    let r = app.post_json(
        &json!({"submission_id": sid(), "desk_token": token, "channel": "kiosk",
        "answers": {"F1": 4, "F2": 4, "F3": 4, "F4": 4, "F5": 4}}),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(counted(&app, desk), 2);

    // The dashboard says how many are held and why; the indices count only the two.
    add_user(&app.db, "quan.tri", Role::Admin, None);
    let browser = Browser::signed_in(&app, "quan.tri");
    let page = browser.page("/admin/dashboard");
    let line = &page[page.find("id=\"held\"").expect("the held line")..];
    let line = &line[..line.find("</p>").unwrap()];
    assert!(line.contains("<strong>3</strong>"), "{line}");
    assert!(
        line.contains("1 gửi nhanh hơn thời gian đọc phiếu"),
        "{line}"
    );
    assert!(line.contains("2 gửi thẳng tới địa chỉ phiếu"), "{line}");
    let api: serde_json::Value = browser
        .get("/admin/api/v1/agencies/T1/indices")
        .json()
        .unwrap();
    assert_eq!(api["responses"], 2, "{api}");
    // The microdata holds what the indices count: the two, not the three held.
    let csv = browser.get("/admin/microdata.csv").text().unwrap();
    assert_eq!(csv.lines().count(), 1 + 2, "{csv}");
}

#[test]
fn a_burst_at_a_quiet_desk_is_held_whole_and_taken_back_out_of_todays_cells() {
    let app = screened(5);
    let (_, quiet) = agency_with_desk(&app.db, "XA-YEN", Some(app.fixture.agency_id));
    let token = sipas::domain::DeskToken {
        desk_id: quiet,
        key_version: 1,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    // Two citizens at the quiet desk six and three minutes ago: not part of the burst.
    for minutes in [6, 3] {
        let id = sid();
        let r = app.post_json(
            &json!({"submission_id": id, "desk_token": token, "channel": "kiosk",
            "answers": {"F1": 4, "F2": 4, "F3": 3, "F4": 4, "F5": 4, "OVERALL": 4}}),
        );
        assert_eq!(r.status(), 201);
        app.db.exec(&format!(
            "UPDATE responses SET submitted_at = now() - interval '{minutes} minutes' \
             WHERE id = '{id}'"
        ));
    }
    // An honest desk next door, rating through its kiosk at a human pace.
    let honest = app.token();
    for _ in 0..3 {
        let r = app.post_json(
            &json!({"submission_id": sid(), "desk_token": honest, "channel": "kiosk",
            "answers": {"F1": 4, "F2": 3, "F3": 4, "F4": 4, "F5": 3, "OVERALL": 4}}),
        );
        assert_eq!(r.status(), 201);
    }
    // A clerk's phone: twelve ratings in a minute at a desk with no history. With the two
    // citizens, the first seven are plausible (a new desk is judged against one rating per ten
    // minutes, variance two: P(X ≥ 9) = 0.5^9 ≈ 0.002); the eighth makes ten, which is not
    // (0.5^10 < 0.001), and the burst is held whole, from where it began: the citizens before
    // it stay counted.
    let kinds = ["individual", "organisation"];
    for k in 0..12 {
        let r = app.post_json(
            &json!({"submission_id": sid(), "desk_token": token, "channel": "desk_qr",
            "respondent_kind": kinds[k % 2],
            "answers": {"F1": 5, "F2": 5, "F3": 5, "F4": 5, "F5": 5, "OVERALL": 5}}),
        );
        assert_eq!(r.status(), 201, "the clerk learns nothing");
        if k == 6 {
            assert_eq!(counted(&app, quiet), 9, "nine are plausible");
        }
    }
    assert_eq!(held(&app, "burst"), 12);
    assert_eq!(
        counted(&app, quiet),
        2,
        "the clerk's first seven taken back out, the citizens kept"
    );
    assert_eq!(
        counted(&app, app.fixture.desk_id),
        3,
        "the honest desk untouched"
    );
    let p = app.db.count(
        "SELECT (1e9 * max((details->'burst'->>'p_value')::float8))::int8 AS n FROM held_ratings",
    );
    assert!(
        p < 1_000_000,
        "each hold records its tail probability below 0.001: {p}e-9"
    );
    // The aggregates equal a rebuild from the raw rows, which leaves held ratings out.
    let before: i64 = app
        .db
        .count("SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily");
    let (code, _, err) = run(app.db.sipas().args(["rollup", "rebuild"]), "");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        app.db
            .count("SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily"),
        before
    );
    assert_eq!(counted(&app, quiet), 2);
}

/// The clerk's own held ratings do not push the citizens beside them into a burst: ratings held
/// for a reason of their own (here, posted without the form) are explained, and the burst test
/// counts only the others. Eight bare posts and three citizens make eleven in ten minutes at a
/// desk with no history (a burst at ten), but only the three citizens are unexplained.
#[test]
fn ratings_held_for_their_own_reason_do_not_make_a_burst_of_the_citizens_beside_them() {
    let app = screened(5);
    let (_, quiet) = agency_with_desk(&app.db, "XA-AN", Some(app.fixture.agency_id));
    let token = sipas::domain::DeskToken {
        desk_id: quiet,
        key_version: 1,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    for k in 0..8 {
        bare_post(&app, &token, "5");
        if k % 3 == 0 {
            let r = app.post_json(
                &json!({"submission_id": sid(), "desk_token": token, "channel": "kiosk",
                "answers": {"F1": 4, "F2": 3, "F3": 4, "F4": 5, "F5": 4, "OVERALL": 4}}),
            );
            assert_eq!(r.status(), 201);
        }
    }
    assert_eq!(held(&app, "no_render"), 8);
    assert_eq!(held(&app, "burst"), 0, "the citizens are not a burst");
    assert_eq!(counted(&app, quiet), 3);
}

/// Posts the desk form without a form of ours (held as `no_render`); returns its id.
fn bare_post(app: &TestApp, token: &str, score: &str) -> String {
    let id = sid();
    let mut fields = vec![("submission_id", id.as_str())];
    for (k, _) in ANSWERS {
        fields.push((k, score));
    }
    assert_eq!(app.post_form(token, &fields).status(), 200);
    id
}

#[test]
fn a_reviewer_releases_or_rejects_held_ratings_one_by_one_or_by_rule_and_it_is_audited() {
    let app = screened(5);
    let token = app.token();
    let desk = app.fixture.desk_id;
    let ids: Vec<String> = (0..4)
        .map(|k| bare_post(&app, &token, ["1", "2", "5", "4"][k]))
        .collect();
    // One of them was given three days ago (its day's cells are past days, read from memory).
    app.db.exec(&format!(
        "UPDATE responses SET submitted_at = submitted_at - interval '3 days' WHERE id = '{}'",
        ids[3]
    ));
    assert_eq!(counted(&app, desk), 0);
    add_user(&app.db, "quan.tri", Role::Admin, None);
    add_user(&app.db, "truong.phong", Role::Manager, Some("T1"));
    assert_eq!(
        Browser::signed_in(&app, "truong.phong")
            .get("/admin/held")
            .status(),
        404,
        "for Home Affairs' administrators only"
    );
    let admin = Browser::signed_in(&app, "quan.tri");
    let page = admin.page("/admin/held");
    assert!(
        page.contains("<strong>4</strong> lượt đánh giá đang bị giữ lại"),
        "{page}"
    );
    assert!(page.contains(
        "gửi thẳng tới địa chỉ phiếu mà không mở phiếu (không có dấu thời gian của phiếu)"
    ));
    let csrf = hidden(&page, "csrf");
    let generation = || app.db.count("SELECT generation AS n FROM rollup_state");
    let before = generation();

    // One by one: the rating of three days ago joins its day's cell; nodes forget past sums.
    let r = admin.post(
        "/admin/held",
        &[("csrf", &csrf), ("decision", "release"), ("id", &ids[3])],
    );
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("done=released-1"));
    assert_eq!(counted(&app, desk), 1);
    assert!(generation() > before);
    // By rule: every rating held for that reason in the period, rejected — still stored.
    let r = admin.post(
        "/admin/held",
        &[
            ("csrf", &csrf),
            ("decision", "reject"),
            ("reason", "no_render"),
        ],
    );
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("done=rejected-3"));
    assert_eq!(counted(&app, desk), 1);
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM responses"),
        4,
        "nothing deleted"
    );
    // A decision is final: releasing them now changes nothing.
    let r = admin.post(
        "/admin/held",
        &[("csrf", &csrf), ("decision", "release"), ("id", &ids[0])],
    );
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("done=released-0"));
    assert_eq!(counted(&app, desk), 1);
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('held.released', 'held.rejected')"),
        3
    );
    // Without the CSRF token nothing changes; a bad decision or date is refused.
    assert_eq!(
        admin
            .post("/admin/held", &[("decision", "release"), ("id", &ids[1])])
            .status(),
        403
    );
    assert_eq!(
        admin
            .post(
                "/admin/held",
                &[("csrf", &csrf), ("decision", "xoá"), ("id", &ids[1])]
            )
            .status(),
        400
    );
    assert_eq!(
        admin
            .post(
                "/admin/held",
                &[
                    ("csrf", &csrf),
                    ("decision", "release"),
                    ("from", "7/12/2026")
                ]
            )
            .status(),
        422
    );
    // The aggregates equal a rebuild from the raw rows: the released one counted, the rest not.
    let (code, _, err) = run(app.db.sipas().args(["rollup", "rebuild"]), "");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(counted(&app, desk), 1);
}

#[test]
fn one_phone_past_the_days_limit_at_a_desk_has_all_its_ratings_there_held_and_no_address_kept() {
    let app = TestApp::spawn_with(|s| {
        s.screening.enabled = true;
        s.screening.client_max_per_day = 3;
        s.screening.default_hours = ALWAYS_OPEN.to_owned();
        // Each request names its phone's address, as the province's proxy would.
        s.trust_proxy = true;
    });
    let token = app.token();
    let desk = app.fixture.desk_id;
    // Yesterday's salt and marks, left over: the day's first rating deletes them.
    app.db.exec(
        "INSERT INTO client_salts VALUES (current_date - 1, decode(repeat('ab', 32), 'hex'))",
    );
    let rate = |address: &str| {
        let r = app
            .http
            .post(format!("{}/api/v1/responses", app.base))
            .header("x-forwarded-for", address)
            .json(
                &json!({"submission_id": sid(), "desk_token": token, "channel": "desk_qr",
                "answers": {"F1": 5, "F2": 5, "F3": 5, "F4": 5, "F5": 5, "OVERALL": 5}}),
            )
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "the phone learns nothing");
    };
    for phone in ["203.113.1.10", "2001:ee0:4f::7", "14.161.2.33"] {
        rate(phone);
    }
    // The clerk's phone: three are within the limit, the fourth holds all four, and the rest.
    for k in 0..6 {
        rate("113.160.9.9");
        if k == 2 {
            assert_eq!(counted(&app, desk), 6);
        }
    }
    assert_eq!(held(&app, "one_client"), 6);
    assert_eq!(counted(&app, desk), 3, "the three honest phones");
    assert_eq!(
        app.db
            .count("SELECT (details->'one_client'->>'ratings_today')::int8 AS n FROM held_ratings ORDER BY n DESC LIMIT 1"),
        6
    );
    // Only today's salt; the marks hold a keyed hash, never an address.
    assert_eq!(app.db.count("SELECT count(*) AS n FROM client_salts"), 1);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM client_salts WHERE day < current_date"),
        0
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM client_marks"), 9);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM client_marks WHERE encode(client, 'escape') LIKE '%113.160%' \
             OR client = sha256('113.160.9.9'::bytea)"
        ),
        0
    );
    // A kiosk shares its address with everyone who uses it: not judged as one device (at a
    // desk of its own, whose few ratings are no burst).
    let (_, kiosk_desk) = agency_with_desk(&app.db, "KIOSK", Some(app.fixture.agency_id));
    let kiosk = sipas::domain::DeskToken {
        desk_id: kiosk_desk,
        key_version: 1,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    for _ in 0..5 {
        let r = app
            .http
            .post(format!("{}/api/v1/responses", app.base))
            .header("x-forwarded-for", "10.0.0.5")
            .json(
                &json!({"submission_id": sid(), "desk_token": kiosk, "channel": "kiosk",
                "answers": {"F1": 4, "F2": 4, "F3": 4, "F4": 4, "F5": 4}}),
            )
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    assert_eq!(counted(&app, kiosk_desk), 5);
}

#[test]
fn a_rating_outside_its_desks_opening_hours_is_held_and_the_hours_are_set_on_the_desks_page() {
    let app = screened(5);
    let desk = app.fixture.desk_id;
    let token = app.token();
    add_user(&app.db, "quan.tri", Role::Admin, None);
    let admin = Browser::signed_in(&app, "quan.tri");
    let page = admin.page(&format!("/admin/desks/{desk}"));
    let csrf = hidden(&page, "csrf");
    let code = hidden_value(&page, "code");
    let name = hidden_value(&page, "name");
    let set = |hours: &str| {
        admin.post(
            &format!("/admin/desks/{desk}"),
            &[
                ("csrf", &csrf),
                ("code", &code),
                ("name", &name),
                ("opening_hours", hours),
            ],
        )
    };
    // Mistyped hours are refused by the part that is wrong, in Vietnamese; nothing changes.
    let r = set("T2-T6 07:30-11:30; T8 13:00-17:00\u{202E}");
    assert_eq!(r.status(), 422);
    let text = r.text().unwrap();
    assert!(
        text.contains("Giờ làm việc: “T8”: ngày phải là T2, T3, T4, T5, T6, T7 hoặc CN"),
        "{text}"
    );
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM desks WHERE id = {desk} AND opening_hours IS NOT NULL"
        )),
        0
    );
    // Open only on a day that is not today (in Vietnam): a rating now is after hours.
    let today = sipas::web::filters::today_in_vietnam();
    let other = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
        [(chrono::Datelike::weekday(&today).num_days_from_monday() as usize + 2) % 7];
    assert_eq!(set(&format!("{other} 07:00-08:00")).status(), 303);
    let kiosk = || {
        let r = app.post_json(
            &json!({"submission_id": sid(), "desk_token": token, "channel": "kiosk",
            "answers": {"F1": 5, "F2": 5, "F3": 4, "F4": 5, "F5": 4, "OVERALL": 5}}),
        );
        assert_eq!(r.status(), 201);
    };
    kiosk();
    assert_eq!(held(&app, "after_hours"), 1);
    assert_eq!(counted(&app, desk), 0);
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM held_ratings WHERE details->'after_hours'->>'hours' LIKE '% 07:00-08:00'"),
        1
    );
    // Back to the default hours (here: always open): counted.
    assert_eq!(set("").status(), 303);
    kiosk();
    assert_eq!(counted(&app, desk), 1);
    assert!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'desk.update' AND after->>'opening_hours' LIKE '% 07:00-08:00'") == 1,
        "the change of hours is audited"
    );
}

/// The value of a text input of a page.
fn hidden_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).expect(name);
    let rest = &html[at..];
    let v = &rest[rest.find("value=\"").unwrap() + 7..];
    v[..v.find('"').unwrap()].to_owned()
}
