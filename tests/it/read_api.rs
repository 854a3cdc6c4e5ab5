//! The read API: bearer tokens made by `sipas api-token` (shown once, stored hashed, revocable,
//! dead with their user), the same scope as the pages, and the same numbers as the raw rows and
//! the ranking CSV.

use serde_json::Value;
use sipas::db::instruments::{load_form, Form};
use sipas::db::results::{answers_in_period, Period};
use sipas::domain::{DeskToken, Role};
use sipas::results::desk;
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{add_user, agency_with_desk, run, sid, Browser, TestApp, SECRET};

fn create_token(app: &TestApp, user: &str) -> String {
    let (code, out, err) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", user, "--label", "test"]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    out.trim().to_owned()
}

fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::blocking::Response {
    let mut r = app.http.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().unwrap()
}

fn json(r: reqwest::blocking::Response) -> Value {
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{a} is not a number"));
    assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
}

#[test]
fn tokens_read_as_their_user_and_stop_when_revoked_or_the_user_is_disabled() {
    let app = TestApp::spawn();
    let (_, _) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    let (_, _) = agency_with_desk(&app.db, "OTHER", None);
    add_user(&app.db, "child.viewer", Role::Viewer, Some("CHILD"));
    add_user(&app.db, "boss", Role::Admin, None);
    let viewer = create_token(&app, "child.viewer");
    let boss = create_token(&app, "boss");
    assert!(viewer.starts_with("sipas_"));
    // Only the hash is stored.
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE token_sha256 = sha256('{viewer}'::bytea)"
        )),
        1
    );
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE encode(token_sha256, 'escape') LIKE '%{}%'",
            &viewer[6..20]
        )),
        0
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'api_token.create'"),
        2
    );

    let codes = |v: &Value| -> Vec<String> {
        v["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes(&json(get(&app, "/api/v1/agencies", Some(&viewer)))),
        ["CHILD"]
    );
    assert_eq!(
        codes(&json(get(&app, "/api/v1/agencies", Some(&boss)))),
        ["CHILD", "OTHER", "T1"]
    );
    // Outside the scope: 404, like a page.
    assert_eq!(
        get(&app, "/api/v1/agencies/T1/indices", Some(&viewer)).status(),
        404
    );
    assert_eq!(
        get(&app, "/api/v1/agencies/CHILD/indices", Some(&viewer)).status(),
        200
    );

    // No token, a malformed one, a forged one: 401 with a challenge, as problem documents.
    // The last character changed: well formed, but no such token.
    let last = if boss.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &boss[..48]);
    for bad in [None, Some("nonsense"), Some(forged.as_str())] {
        let r = get(&app, "/api/v1/agencies", bad);
        assert_eq!(r.status(), 401, "{bad:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"sipas\"");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }

    // A staff session reads too, with the same scope.
    let browser = Browser::signed_in(&app, "child.viewer");
    let mine: Value = browser.get("/admin/api/v1/agencies").json().unwrap();
    assert_eq!(codes(&mine), ["CHILD"]);

    // Revoked: dead at once, and audited.
    let (code, list, _) = run(app.db.sipas().args(["api-token", "list"]), "");
    assert_eq!(code, Some(0));
    assert!(!list.contains(&viewer[6..]), "a token is never listed");
    let id = list
        .lines()
        .find(|l| l.contains("child.viewer"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    let (code, _, _) = run(app.db.sipas().args(["api-token", "revoke", &id]), "");
    assert_eq!(code, Some(0));
    assert_eq!(get(&app, "/api/v1/agencies", Some(&viewer)).status(), 401);
    let (code, _, err) = run(app.db.sipas().args(["api-token", "revoke", &id]), "");
    assert_eq!(code, Some(2), "a second revocation says so: {err}");
    // A disabled user's token is dead too.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE users SET active = false WHERE username = 'boss'"),
        &mut app.db.conn(),
    )
    .unwrap();
    assert_eq!(get(&app, "/api/v1/agencies", Some(&boss)).status(), 401);
    let (code, _, err) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "nobody"]),
        "",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("nobody"));
}

#[test]
fn indices_and_rankings_equal_the_raw_rows_and_the_pages() {
    let app = TestApp::spawn();
    let (child, child_desk) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    for i in 0..42 {
        let token = if i % 3 == 0 {
            DeskToken {
                desk_id: child_desk,
                key_version: 1,
            }
            .sign(SECRET.as_bytes())
        } else {
            app.token()
        };
        let f1 = ["5", "4", "2", "na", "3"][i % 5];
        let f2 = ["5", "3", "4"][i % 3];
        let r = app.post_form(
            &token,
            &[
                ("submission_id", &sid()),
                ("a.F1", f1),
                ("a.F2", f2),
                ("a.F3", "4"),
                ("a.F4", ["5", "1"][i % 2]),
                ("a.F5", "4"),
                ("a.OVERALL", "4"),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    add_user(&app.db, "boss", Role::Admin, None);
    let token = create_token(&app, "boss");

    let mut conn = app.db.conn();
    let form = load_form(&mut conn, "sipas-2017", Form::Desk).unwrap();
    let today = today_in_vietnam();
    let period = Period {
        from: today,
        to: today,
        channel: "desk_qr".into(),
        instrument_id: form.instrument_id,
    };
    let mut raw = answers_in_period(&mut conn, app.fixture.agency_id, &period).unwrap();
    raw.extend(answers_in_period(&mut conn, child, &period).unwrap());
    raw.sort_by_key(|r| r.0);
    let (report, n) = desk::report(&form, &raw).unwrap().unwrap();

    let got = json(get(
        &app,
        &format!("/api/v1/agencies/T1/indices?from={today}&to={today}"),
        Some(&token),
    ));
    assert_eq!(got["responses"], n);
    let overall = report.overall.unwrap();
    close(&got["overall"]["estimate"], overall.estimate);
    close(&got["overall"]["ci_low"], overall.ci_low);
    close(&got["overall"]["ci_high"], overall.ci_high);
    assert_eq!(got["overall"]["n"], overall.n);
    let items = got["items"].as_array().unwrap();
    assert_eq!(items.len(), form.questions.len());
    for (i, item) in report.items.iter().enumerate() {
        let e = item.index.unwrap();
        assert_eq!(items[i]["code"], form.questions[i].code);
        close(&items[i]["estimate"], e.estimate);
        close(&items[i]["ci_low"], e.ci_low);
        close(&items[i]["ci_high"], e.ci_high);
        close(&items[i]["missing_rate"], item.missing_rate);
        assert_eq!(items[i]["n"], item.valid_n);
        assert_eq!(items[i]["method"], "desk-clustered-logit");
        // What the interval is made of (issue #18, point 1): two agencies of one desk each,
        // so two clusters, every stratum lonely, df = desks − 1.
        close(&items[i]["se"], e.se);
        assert_eq!(items[i]["df"], 1.0);
        match e.deff {
            Some(d) => close(&items[i]["deff"], d),
            // Everyone satisfied: no variance to compare with.
            None => assert!(items[i]["deff"].is_null() && e.estimate == 1.0),
        }
    }
    let factors = got["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 5);
    for (f, e) in report.factors.iter().enumerate() {
        close(&factors[f]["estimate"], e.unwrap().estimate);
        close(&factors[f]["ci_high"], e.unwrap().ci_high);
    }
    // The unit below has 14 ratings: suppressed, no number.
    let small = json(get(
        &app,
        &format!("/api/v1/agencies/CHILD/indices?from={today}&to={today}"),
        Some(&token),
    ));
    assert_eq!(small["responses"], 14);
    assert_eq!(small["overall"]["suppressed"], true);
    assert!(small["overall"]["estimate"].is_null());

    // The ranking as the CSV gives it: same units, ranks and seed.
    let ranking = json(get(
        &app,
        &format!("/api/v1/rankings?level=unit&from={today}&to={today}"),
        Some(&token),
    ));
    let browser = Browser::signed_in(&app, "boss");
    let csv = browser
        .get(&format!(
            "/admin/ranking.csv?level=unit&from={today}&to={today}"
        ))
        .text()
        .unwrap();
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.contains("CHILD") && line.contains("not_ranked"),
        "{line}"
    );
    // The seed column (the 16th) holds the API's seed.
    let record = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(&record[15], ranking["seed"].to_string());
    assert_eq!(ranking["not_ranked"][0]["code"], "CHILD");
    assert_eq!(ranking["ranked"].as_array().unwrap().len(), 0);
    // Each missing rate is computed (issue #18, point 7): ranked on F1, asked "no opinion" one
    // time in five, the province's and the small unit's equal the indices' F1 item.
    let on_f1 = json(get(
        &app,
        &format!("/api/v1/rankings?level=unit&measure=F1&from={today}&to={today}"),
        Some(&token),
    ));
    let f1_missing = items[0]["missing_rate"].as_f64().unwrap();
    assert!(f1_missing > 0.1, "{f1_missing}");
    close(&on_f1["province"]["missing_rate"], f1_missing);
    close(
        &on_f1["not_ranked"][0]["missing_rate"],
        small["items"][0]["missing_rate"].as_f64().unwrap(),
    );

    // A level the province does not have is not found; refused parameters are named; the
    // query is read exactly as documented (each parameter once, none empty, dates in range);
    // two dates the wrong way round bound the same period.
    let r = get(&app, "/api/v1/rankings?level=nope", Some(&token));
    assert_eq!(r.status(), 404);
    for (query, status, field) in [
        ("level=unit&level=unit", 400, None),
        ("level=", 422, Some("level")),
        ("period=decade", 422, Some("period")),
        ("from=1999-12-31", 422, Some("from")),
        ("seed=+1", 422, Some("seed")),
        ("seed=01", 422, Some("seed")),
    ] {
        let r = get(&app, &format!("/api/v1/rankings?{query}"), Some(&token));
        assert_eq!(r.status(), status, "{query}");
        let body: Value = r.json().unwrap();
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["field"], field, "{query}");
        }
    }
    let forwards = json(get(
        &app,
        &format!("/api/v1/rankings?level=unit&from=2026-01-01&to={today}"),
        Some(&token),
    ));
    let backwards = json(get(
        &app,
        &format!("/api/v1/rankings?level=unit&from={today}&to=2026-01-01"),
        Some(&token),
    ));
    assert_eq!(forwards, backwards);
    let r = get(
        &app,
        "/api/v1/agencies/T1/indices?from=2026-99-01",
        Some(&token),
    );
    assert_eq!(r.status(), 422);
    let body: Value = r.json().unwrap();
    assert_eq!(body["errors"][0]["field"], "from");

    // Publications are public and canonical ids only.
    let list = json(get(&app, "/api/v1/publications", None));
    assert_eq!(list["publications"].as_array().unwrap().len(), 0);
    assert_eq!(get(&app, "/api/v1/publications/01", None).status(), 404);
    assert_eq!(get(&app, "/api/v1/publications/1", None).status(), 404);

    // Every read path is in the OpenAPI document.
    let spec = json(get(&app, "/api/openapi.json", None));
    for path in [
        "/api/v1/agencies",
        "/api/v1/agencies/{code}/indices",
        "/api/v1/rankings",
        "/api/v1/publications",
        "/api/v1/publications/{id}",
    ] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} documented");
    }
}
