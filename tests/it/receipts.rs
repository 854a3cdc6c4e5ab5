//! Receipts (issue #19): a one-stop system issues one single-use rating link per dossier
//! through the API (its agencies only, idempotent per dossier), a citizen rates once on the
//! form or through the API, two phones racing on one receipt get one rating, and a copy of
//! every table cannot join a rating to its dossier.

use serde_json::{json, Value};
use sipas::domain::Role;
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{
    add_user, agency_with_desk, hidden, run, sid, Browser, TempDir, TestApp, PASSWORD,
};

/// A system account for `agency` made with the command line, and its API token.
pub(crate) fn system_token(app: &TestApp, name: &str, agency: &str) -> String {
    let (code, _, err) = run(
        app.db
            .sipas()
            .args(["user", name, "--role", "system", "--agency", agency]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", name, "--label", "một cửa"]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    out.trim().to_owned()
}

fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::blocking::Response {
    app.http
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .unwrap()
}

fn now_in_vietnam() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%Y-%m-%dT%H:%M:%S+07:00")
        .to_string()
}

fn receipt(dossier: &str, agency: &str) -> Value {
    json!({
        "dossier_code": dossier,
        "agency_code": agency,
        "procedure_code": "1.001234",
        "returned_at": now_in_vietnam(),
    })
}

fn token_of(v: &Value) -> String {
    v["receipt_token"].as_str().unwrap().to_owned()
}

fn rating(token_field: (&str, &str), id: &str) -> Value {
    json!({
        "submission_id": id,
        token_field.0: token_field.1,
        "answers": {"F1": 5, "F2": 4, "F3": 4, "F4": 5, "F5": 3},
        "comment": "Cán bộ hướng dẫn tận tình (hồ sơ đất đai) 👍",
    })
}

#[test]
fn a_system_issues_receipts_for_its_agencies_only_and_the_same_dossier_gets_the_same_receipt() {
    let app = TestApp::spawn();
    let (dept, dept_desk) = agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let (_other, _) = agency_with_desk(&app.db, "SO-KHAC", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua.sotp", "SO-TP");

    let mut body = receipt("000.00.17.H12-261207-0001", "SO-TP");
    body["desk_id"] = json!(dept_desk);
    let r = post(&app, "/api/v1/receipts", &token, &body);
    assert_eq!(r.status(), 201);
    let first: Value = r.json().unwrap();
    let t = token_of(&first);
    assert_eq!(t.len(), 24);
    let url = first["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/r/{t}", app.base));
    assert!(
        url.len() <= app.base.len() + 27,
        "short enough for an SMS: {url}"
    );
    assert_eq!(first["qr_svg_url"], format!("{url}/qr.svg"));
    let expires =
        chrono::NaiveDate::parse_from_str(&first["expires_at"].as_str().unwrap()[..10], "%Y-%m-%d")
            .unwrap();
    assert_eq!(
        (expires - today_in_vietnam()).num_days(),
        30,
        "the default lifetime"
    );
    // The same dossier again: the same receipt, 200, nothing new stored.
    let again = post(&app, "/api/v1/receipts", &token, &body);
    assert_eq!(again.status(), 200);
    assert_eq!(token_of(&again.json().unwrap()), t);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM receipts"), 1);
    // The dossier code is stored only as a keyed hash.
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipts WHERE dossier_hash = sha256('000.00.17.H12-261207-0001'::bytea)"),
        0
    );

    // Another agency, outside the system's scope: refused by name, like one that does not exist.
    let r = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0002", "SO-KHAC"),
    );
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["errors"][0]["field"], "agency_code", "{problem}");
    let r = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0002", "KHONG-CO"),
    );
    assert_eq!(r.status(), 422);
    // A desk of another agency is refused; no desk places the receipt at the agency's
    // "not at a desk" desk, created disabled so that no poster exists for it.
    let mut wrong_desk = receipt("H12-0003", "SO-TP");
    wrong_desk["desk_id"] = json!(app.fixture.desk_id);
    let r = post(&app, "/api/v1/receipts", &token, &wrong_desk);
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().unwrap()["errors"][0]["field"], "desk_id");
    let r = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0004", "SO-TP"),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(
        app.db.count(&format!("SELECT count(*) AS n FROM desks WHERE agency_id = {dept} AND code = 'KHONG-QUA-QUAY' AND NOT active")),
        1
    );

    // A batch is all or nothing, each problem named by its position.
    let bad = json!({"receipts": [
        receipt("H12-0100", "SO-TP"),
        {"dossier_code": "hồ sơ 101", "agency_code": "SO-TP", "returned_at": now_in_vietnam()},
        receipt("H12-0102", "SO-KHAC"),
    ]});
    let r = post(&app, "/api/v1/receipts/batch", &token, &bad);
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["receipts[1].dossier_code"], "{problem}");
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipts"),
        2,
        "nothing of a refused batch"
    );
    let refused_in_db =
        json!({"receipts": [receipt("H12-0100", "SO-TP"), receipt("H12-0102", "SO-KHAC")]});
    let r = post(&app, "/api/v1/receipts/batch", &token, &refused_in_db);
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().unwrap()["errors"][0]["field"],
        "receipts[1].agency_code"
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipts"),
        2,
        "nothing of a refused batch"
    );
    let good = json!({"receipts": [receipt("H12-0100", "SO-TP"), receipt("000.00.17.H12-261207-0001", "SO-TP")]});
    let r = post(&app, "/api/v1/receipts/batch", &token, &good);
    assert_eq!(r.status(), 200);
    let list: Value = r.json().unwrap();
    assert_eq!(list["receipts"][0]["status"], "created");
    assert_eq!(list["receipts"][1]["status"], "existing");
    assert_eq!(token_of(&list["receipts"][1]), t);

    // The system's token reads nothing; a reader's token issues nothing; the account never
    // signs in to the pages.
    let r = app
        .http
        .get(format!("{}/api/v1/agencies", app.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    add_user(&app.db, "doc.gia", Role::Viewer, Some("SO-TP"));
    let (_, viewer_token, _) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "doc.gia"]),
        "",
    );
    let r = post(
        &app,
        "/api/v1/receipts",
        viewer_token.trim(),
        &receipt("H12-0200", "SO-TP"),
    );
    assert_eq!(r.status(), 403);
    let r = app
        .http
        .post(format!("{}/api/v1/receipts", app.base))
        .json(&receipt("H12-0200", "SO-TP"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = Browser::new(&app).sign_in("motcua.sotp", PASSWORD);
    assert_ne!(r.status(), 303, "a system account cannot sign in");
}

#[test]
fn a_receipt_rates_once_on_the_form_or_through_the_api_and_a_retry_is_thanked() {
    let app = TestApp::spawn();
    let (dept, desk) = agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let mut body = receipt("H12-0001", "SO-TP");
    body["desk_id"] = json!(desk);
    let issued: Value = post(&app, "/api/v1/receipts", &token, &body)
        .json()
        .unwrap();
    let t = token_of(&issued);

    // The form shows the agency and desk, and says how the rating is kept apart.
    let form = app.http.get(format!("{}/r/{t}", app.base)).send().unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().unwrap();
    assert!(html.contains("Cơ quan SO-TP") && html.contains("Quầy của SO-TP"));
    assert!(html.contains("không gắn với hồ sơ"));
    let id = hidden(&html, "submission_id");
    let fields = [
        ("submission_id", id.as_str()),
        ("a.F1", "5"),
        ("a.F2", "4"),
        ("a.F3", "4"),
        ("a.F4", "5"),
        ("a.F5", "2"),
        (
            "comment",
            "Thủ tục nhanh, nhưng phải chờ\u{00a0}lâu ở quầy (số 3) 😊",
        ),
    ];
    let r = app
        .http
        .post(format!("{}/r/{t}", app.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // Stored once, as an ordinary rating of the receipt channel at the receipt's desk.
    assert_eq!(
        app.db.count(&format!("SELECT count(*) AS n FROM responses WHERE channel = 'receipt_qr' AND agency_id = {dept} AND desk_id = {desk}")),
        1
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipt_nullifiers"),
        1
    );
    assert_eq!(
        app.db.count(&format!("SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily WHERE channel = 'receipt_qr' AND desk_id = {desk}")),
        1,
        "the aggregates count it in the same transaction"
    );
    // A retry of the same form (same submission id) is thanked and changes nothing.
    let r = app
        .http
        .post(format!("{}/r/{t}", app.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // Another rating of the same receipt: a clear page, nothing stored.
    let again = app.http.get(format!("{}/r/{t}", app.base)).send().unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().unwrap().contains("Hồ sơ này đã được đánh giá"));
    let other = sid();
    let r = app.post_json(&rating(("receipt_token", &t), &other));
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.text().unwrap().contains("used already"));
    let r = app.post_json(&rating(("receipt_token", &t), &id));
    assert_eq!(
        r.status(),
        200,
        "the first submission's id replayed through the API is a duplicate"
    );
    assert_eq!(r.json::<Value>().unwrap()["status"], "duplicate");
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM responses WHERE channel = 'receipt_qr'"),
        1
    );

    // Through the API: 201, the channel is the receipt's whatever the kiosk says.
    let second: Value = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0002", "SO-TP"),
    )
    .json()
    .unwrap();
    let t2 = token_of(&second);
    let id2 = sid();
    let r = app.post_json(&rating(("receipt_token", &t2), &id2));
    assert_eq!(r.status(), 201);
    let r = app.post_json(&rating(("receipt_token", &t2), &id2));
    assert_eq!(r.status(), 200);
    // A desk token and a receipt token at once, a forged receipt, an expired one.
    let mut both = rating(("receipt_token", &t2), &sid());
    both["desk_token"] = json!(app.token());
    assert_eq!(app.post_json(&both).status(), 422);
    let forged = format!("{}A", &t2[..23]);
    assert_eq!(
        app.post_json(&rating(("receipt_token", &forged), &sid()))
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(format!("{}/r/{forged}", app.base))
            .send()
            .unwrap()
            .status(),
        404
    );
    let third: Value = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0003", "SO-TP"),
    )
    .json()
    .unwrap();
    let t3 = token_of(&third);
    app.db.exec("UPDATE receipts SET returned_on = current_date - 40, expires_on = current_date - 10 WHERE expires_on >= current_date AND id = (SELECT max(id) FROM receipts)");
    assert_eq!(
        app.post_json(&rating(("receipt_token", &t3), &sid()))
            .status(),
        410
    );
    let page = app.http.get(format!("{}/r/{t3}", app.base)).send().unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().unwrap().contains("hết hạn"));
}

#[test]
fn two_phones_racing_on_one_receipt_store_one_rating() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    for round in 0..3 {
        let issued: Value = post(
            &app,
            "/api/v1/receipts",
            &token,
            &receipt(&format!("H12-RACE-{round}"), "SO-TP"),
        )
        .json()
        .unwrap();
        let t = token_of(&issued);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..12)
                .map(|k| {
                    let app = &app;
                    let t = &t;
                    s.spawn(move || {
                        if k % 2 == 0 {
                            app.post_json(&rating(("receipt_token", t), &sid()))
                                .status()
                                .as_u16()
                        } else {
                            let fields = [
                                ("submission_id", sid()),
                                ("a.F1", "4".into()),
                                ("a.F2", "4".into()),
                                ("a.F3", "3".into()),
                                ("a.F4", "5".into()),
                                ("a.F5", "4".into()),
                            ];
                            app.http
                                .post(format!("{}/r/{t}", app.base))
                                .form(&fields)
                                .send()
                                .unwrap()
                                .status()
                                .as_u16()
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won = statuses.iter().filter(|s| **s == 201 || **s == 200).count();
        assert_eq!(won, 1, "round {round}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| [200, 201, 409].contains(s)),
            "{statuses:?}"
        );
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM responses WHERE channel = 'receipt_qr'"),
        3
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipt_nullifiers"),
        3
    );
}

/// The unlinkability claim, attacked: with a copy of every table (and the dossier codes and
/// receipt tokens the attacker was shown), no value of any table joins a rating to a receipt
/// or a dossier.
#[test]
fn a_copy_of_every_table_cannot_join_a_rating_to_its_dossier() {
    let app = TestApp::spawn();
    let (_, desk) = agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let mut tokens = Vec::new();
    let dossiers: Vec<String> = (0..6)
        .map(|k| format!("000.00.17.H12-261207-{k:04}"))
        .collect();
    for d in &dossiers {
        let mut b = receipt(d, "SO-TP");
        b["desk_id"] = json!(desk);
        tokens.push(token_of(
            &post(&app, "/api/v1/receipts", &token, &b).json().unwrap(),
        ));
    }
    let mut rated = Vec::new();
    for t in tokens.iter().step_by(2) {
        let id = sid();
        assert_eq!(
            app.post_json(&rating(("receipt_token", t), &id)).status(),
            201
        );
        rated.push(id);
    }
    let mut c = app.db.conn();
    // Every table, every row, as text.
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        row: String,
    }
    let tables: Vec<Name> = diesel::RunQueryDsl::load(
        diesel::sql_query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"),
        &mut c,
    )
    .unwrap();
    assert!(tables.iter().any(|t| t.name == "receipt_nullifiers"));
    let mut dump = Vec::new();
    for t in &tables {
        let rows: Vec<Row> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT row_to_json(x)::text AS row FROM \"{}\" x",
                t.name
            )),
            &mut c,
        )
        .unwrap();
        dump.extend(rows.into_iter().map(|r| (t.name.clone(), r.row)));
    }
    // No dossier code, no receipt token, and no common hash of either is anywhere.
    use sha2::Digest;
    for secret in dossiers.iter().chain(&tokens) {
        let hex: String = sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for (table, row) in &dump {
            assert!(!row.contains(secret.as_str()), "{table} holds {secret}");
            assert!(!row.contains(&hex), "{table} holds the SHA-256 of {secret}");
        }
    }
    // A rating's row holds nothing of a receipt: try every column of a receipt against every
    // column of a rating as a join key (the agency and desk aside, which every receipt of a
    // desk shares): none pairs the ratings one-to-one with receipts.
    let receipts: Vec<Value> = dump
        .iter()
        .filter(|(t, _)| t == "receipts")
        .map(|(_, r)| serde_json::from_str(r).unwrap())
        .collect();
    let ratings: Vec<Value> = dump
        .iter()
        .filter(|(t, r)| t == "responses" && r.contains("receipt_qr"))
        .map(|(_, r)| serde_json::from_str(r).unwrap())
        .collect();
    assert_eq!(ratings.len(), 3);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    for k in keys(&receipts[0]) {
        if ["agency_id", "desk_id"].contains(&k.as_str()) {
            continue;
        }
        for rk in keys(&ratings[0]) {
            let mut joined = std::collections::HashSet::new();
            for r in &ratings {
                let hits: Vec<usize> = (0..receipts.len())
                    .filter(|&i| !r[&rk].is_null() && receipts[i][&k] == r[&rk])
                    .collect();
                if let [one] = hits[..] {
                    joined.insert(one);
                }
            }
            assert!(
                joined.len() < ratings.len(),
                "responses.{rk} joins receipts.{k}"
            );
        }
    }
    for rec in &receipts {
        // Days only, and nothing about use.
        assert_eq!(
            rec.as_object().unwrap().keys().collect::<Vec<_>>(),
            // serde_json's maps are sorted by key.
            [
                "agency_id",
                "desk_id",
                "dossier_hash",
                "expires_on",
                "id",
                "procedure_code",
                "returned_on",
            ]
        );
    }
    // The rating did not copy the receipt's procedure code either (it narrows the crowd).
    assert!(ratings.iter().all(|r| r["procedure_code"].is_null()));
    // The nullifiers: one column, no dossier, desk, agency or time; and none of them is a
    // receipt's id or dossier hash in any spelling.
    let nullifiers: Vec<Value> = dump
        .iter()
        .filter(|(t, _)| t == "receipt_nullifiers")
        .map(|(_, r)| serde_json::from_str(r).unwrap())
        .collect();
    assert_eq!(nullifiers.len(), 3);
    for n in &nullifiers {
        assert_eq!(n.as_object().unwrap().len(), 1);
        for rec in &receipts {
            assert_ne!(n["nullifier"], rec["dossier_hash"]);
        }
    }
    // No foreign key or column ties responses to receipts or nullifiers.
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'responses' AND (column_name LIKE '%receipt%' OR column_name LIKE '%dossier%' OR column_name LIKE '%nullifier%')"),
        0
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND (conrelid = 'receipt_nullifiers'::regclass OR confrelid = 'receipt_nullifiers'::regclass)"),
        0
    );
    // The audit log does not time-stamp receipts one by one.
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'receipt%'"),
        0
    );
    // The three ratings are a cell below the minimum n: the API gives their count, no number.
    assert_eq!(rated.len(), 3);
    add_user(&app.db, "quan.tri", Role::Admin, None);
    let (_, reader, _) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "quan.tri"]),
        "",
    );
    let today = today_in_vietnam();
    let got: Value = app
        .http
        .get(format!(
            "{}/api/v1/agencies/SO-TP/indices?from={today}&to={today}&channel=receipt_qr",
            app.base
        ))
        .bearer_auth(reader.trim())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["responses"], 3, "{got}");
    assert_eq!(got["overall"]["suppressed"], true, "{got}");
    assert!(got["overall"]["estimate"].is_null());
}

#[test]
fn receipts_import_is_all_or_nothing_with_each_problem_by_line_and_column() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    agency_with_desk(&app.db, "SO-KHAC", Some(app.fixture.agency_id));
    let (code, _, err) = run(
        app.db
            .sipas()
            .args(["user", "motcua", "--role", "system", "--agency", "SO-TP"]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let dir = TempDir::new("receipts");
    let today = today_in_vietnam();
    let bad = format!(
        "\u{feff}dossier_code,agency_code,desk_id,procedure_code,returned_at\r\n\
         H12-0001,SO-TP,,1.001234,{today}T08:00:00+07:00\r\n\
         hồ sơ số 2,SO-TP,x,,{today}T08:00:00+07:00\r\n\
         H12-0001,SO-TP,,,{today}T09:00:00+07:00\r\n\
         H12-0004,SO-TP,,,ngày 7/12\r\n"
    );
    std::fs::write(dir.join("bad.csv"), &bad).unwrap();
    let (code, out, err) = run(
        app.db
            .sipas()
            .arg("receipts")
            .arg("import")
            .arg(dir.join("bad.csv"))
            .args(["--system", "motcua"]),
        "",
    );
    assert_eq!(code, Some(2), "{out}{err}");
    for expected in [
        "line 3, column desk_id",
        "line 3, column dossier_code",
        "line 4, column dossier_code: the same dossier is on line 2",
        "line 5, column returned_at",
    ] {
        assert!(err.contains(expected), "{expected} in {err}");
    }
    assert_eq!(app.db.count("SELECT count(*) AS n FROM receipts"), 0);
    // An agency outside the system's scope is refused by line, after reading, and nothing is
    // issued either.
    let outside = format!(
        "dossier_code,agency_code,desk_id,procedure_code,returned_at\n\
         H12-0001,SO-TP,,,{today}T08:00:00+07:00\n\
         H12-0002,SO-KHAC,,,{today}T08:00:00+07:00\n"
    );
    std::fs::write(dir.join("outside.csv"), &outside).unwrap();
    let (code, _, err) = run(
        app.db
            .sipas()
            .arg("receipts")
            .arg("import")
            .arg(dir.join("outside.csv"))
            .args(["--system", "motcua"]),
        "",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("line 3: agency_code"), "{err}");
    assert_eq!(app.db.count("SELECT count(*) AS n FROM receipts"), 0);
    // A good file: every receipt, written as CSV, and the URLs rate.
    let good = format!(
        "dossier_code,agency_code,desk_id,procedure_code,returned_at\n\
         H12-0001,SO-TP,,1.001234,{today}T08:00:00+07:00\n\
         H12-0002,SO-TP,,,{today}T10:30:00+07:00\n"
    );
    std::fs::write(dir.join("good.csv"), &good).unwrap();
    let (code, out, err) = run(
        app.db
            .sipas()
            .arg("receipts")
            .arg("import")
            .arg(dir.join("good.csv"))
            .args(["--system", "motcua"])
            .env("SIPAS_PUBLIC_URL", &app.base),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "H12-0001");
    assert_eq!(&rows[0][1], "created");
    let url = &rows[1][3];
    assert!(url.starts_with(&format!("{}/r/", app.base)));
    assert_eq!(app.http.get(url).send().unwrap().status(), 200);
    // The same file again: the same receipts.
    let (_, again, _) = run(
        app.db
            .sipas()
            .arg("receipts")
            .arg("import")
            .arg(dir.join("good.csv"))
            .args(["--system", "motcua"])
            .env("SIPAS_PUBLIC_URL", &app.base),
        "",
    );
    let again: Vec<csv::StringRecord> = csv::Reader::from_reader(again.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(&again[1][1], "existing");
    assert_eq!(&again[1][2], &rows[1][2]);
}

#[test]
fn a_receipts_qr_code_decodes_to_its_url() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let issued: Value = post(
        &app,
        "/api/v1/receipts",
        &token,
        &receipt("H12-0001", "SO-TP"),
    )
    .json()
    .unwrap();
    let png = app
        .http
        .get(issued["qr_png_url"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&png.bytes().unwrap())
        .unwrap()
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(
        grids[0].decode().unwrap().1,
        issued["url"].as_str().unwrap()
    );
    let svg = app
        .http
        .get(issued["qr_svg_url"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(svg.status(), 200);
    assert!(svg.text().unwrap().starts_with("<svg"));
    let t = token_of(&issued);
    let forged = format!("{}A", &t[..23]);
    assert_eq!(
        app.http
            .get(format!("{}/r/{forged}/qr.png", app.base))
            .send()
            .unwrap()
            .status(),
        404
    );
}

/// Issues `n` receipts for `agency` in one batch and returns their tokens.
pub(crate) fn issue_many(app: &TestApp, token: &str, agency: &str, n: usize) -> Vec<String> {
    let body = json!({"receipts": (0..n)
        .map(|k| receipt(&format!("{agency}-766-{k:04}"), agency))
        .collect::<Vec<_>>()});
    let r = post(app, "/api/v1/receipts/batch", token, &body);
    assert_eq!(r.status(), 200);
    let list: Value = r.json().unwrap();
    list["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(token_of)
        .collect()
}

pub(crate) fn rate_with(app: &TestApp, receipt_token: &str, answers: Value) {
    let r = app.post_json(&json!({
        "submission_id": sid(),
        "receipt_token": receipt_token,
        "answers": answers,
    }));
    assert_eq!(r.status(), 201);
}

#[test]
fn decision_766s_rate_and_the_response_rate_show_per_agency_month_and_desk() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    agency_with_desk(&app.db, "SO-NHO", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let small_token = system_token(&app, "motcua.nho", "SO-NHO");
    // SO-TP: 40 dossiers handled, 32 rated: 26 satisfied, 2 neutral, 3 unsatisfied by the
    // overall question, 1 unsatisfied by its mean (overall left at "no opinion").
    let tokens = issue_many(&app, &token, "SO-TP", 40);
    let all = |v: i64| json!({"F1": v, "F2": v, "F3": v, "F4": v, "F5": v, "OVERALL": v});
    for t in &tokens[..26] {
        rate_with(&app, t, all(5));
    }
    for t in &tokens[26..28] {
        rate_with(&app, t, all(3));
    }
    for t in &tokens[28..31] {
        rate_with(
            &app,
            t,
            json!({"F1": 4, "F2": 4, "F3": 3, "F4": 3, "F5": 3, "OVERALL": 2}),
        );
    }
    rate_with(
        &app,
        &tokens[31],
        json!({"F1": 2, "F2": 2, "F3": 1, "F4": 3, "F5": 2, "OVERALL": null}),
    );
    // SO-NHO: 6 handled, 5 rated — below the minimum n, so how satisfied stays hidden.
    let small = issue_many(&app, &small_token, "SO-NHO", 6);
    for t in &small[..2] {
        rate_with(&app, t, all(1));
    }
    for t in &small[2..5] {
        rate_with(&app, t, all(4));
    }
    // A desk-poster rating is not a dossier.
    assert_eq!(
        app.post_json(
            &json!({"submission_id": sid(), "desk_token": app.token(), "answers": all(1)})
        )
        .status(),
        201
    );

    add_user(&app.db, "quan.tri", Role::Admin, None);
    let (_, reader, _) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "quan.tri"]),
        "",
    );
    let today = today_in_vietnam();
    let indices = |code: &str| -> Value {
        app.http
            .get(format!(
                "{}/api/v1/agencies/{code}/indices?from={today}&to={today}",
                app.base
            ))
            .bearer_auth(reader.trim())
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let got = indices("SO-TP");
    // (40 − 4) ÷ 40, and 32 ÷ 40.
    assert_eq!(got["dossier_satisfaction_rate"], 0.9, "{got}");
    assert_eq!(got["receipt_response_rate"], 0.8, "{got}");
    assert_eq!(
        got["receipts"],
        json!({"issued": 40, "rated": 32, "not_rated": 8, "satisfied": 26, "unsatisfied": 4, "suppressed": false})
    );
    let small_got = indices("SO-NHO");
    assert!(
        small_got["dossier_satisfaction_rate"].is_null(),
        "{small_got}"
    );
    assert!((small_got["receipt_response_rate"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    assert!(small_got["receipts"]["unsatisfied"].is_null());
    assert_eq!(small_got["receipts"]["suppressed"], true);

    // The page: the province sees each agency, the month, and each stream's index.
    let browser = Browser::signed_in(&app, "quan.tri");
    let page = browser.page(&format!("/admin/dashboard?from={today}&to={today}"));
    let section = &page[page.find("id=\"ho-so\"").expect("the section")..];
    let by_agency = &section[section.find("dossiers-by-agency").unwrap()..];
    let so_tp = &by_agency[by_agency.find("SO-TP").unwrap()..];
    let so_tp = &so_tp[..so_tp.find("</tr>").unwrap()];
    assert!(
        so_tp.contains("<td>40</td><td>32</td><td>4</td><td>80,00%</td><td>90,00%</td>"),
        "{so_tp}"
    );
    let so_nho = &by_agency[by_agency.find("SO-NHO").unwrap()..];
    let so_nho = &so_nho[..so_nho.find("</tr>").unwrap()];
    assert!(
        so_nho.contains("<td>6</td><td>5</td><td>—</td><td>83,33%</td><td>—</td>"),
        "{so_nho}"
    );
    // The month: 46 handled, 37 rated, 6 unsatisfied → (46 − 6) ÷ 46.
    // (Tera writes the slash as an entity.)
    let month = today.format("%m&#x2F;%Y").to_string();
    let by_month = &section[section.find("dossiers-by-month").unwrap()..];
    let row = &by_month[by_month.find(&format!("<td>{month}</td>")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains(
            "<td>46</td><td>37</td><td>29</td><td>6</td><td>9</td><td>80,43%</td><td>86,96%</td>"
        ),
        "{row}"
    );
    let streams = &section[section.find("id=\"streams\"").unwrap()..];
    let receipt_row = &streams[streams.find("Biên nhận hồ sơ").unwrap()..];
    assert!(receipt_row[..receipt_row.find("</tr>").unwrap()].contains("<td>37</td>"));

    // The download gives the same counts, month by desk, month, and the period.
    let csv = browser
        .get(&format!(
            "/admin/dashboard/dossiers.csv?from={today}&to={today}"
        ))
        .text()
        .unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    let last = rows.last().unwrap();
    assert_eq!(&last[1], "all");
    assert_eq!(&last[3], "46");
    assert_eq!(&last[4], "37");
    assert_eq!(&last[6], "6");
    assert_eq!(&last[8], "80.43");
    assert_eq!(&last[9], "86.96");
    let nho_desk = rows.iter().find(|r| &r[0] == "SO-NHO").unwrap();
    assert_eq!(&nho_desk[6], "", "below the minimum n");
    assert_eq!(&nho_desk[10], "suppressed");
    let xlsx = browser.get(&format!(
        "/admin/dashboard/dossiers.xlsx?from={today}&to={today}"
    ));
    assert_eq!(xlsx.status(), 200);
}

#[test]
fn the_same_dossier_code_at_two_agencies_is_two_dossiers_and_tells_neither_about_the_other() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    agency_with_desk(&app.db, "SO-KHAC", Some(app.fixture.agency_id));
    let a = system_token(&app, "motcua.a", "SO-TP");
    let b = system_token(&app, "motcua.b", "SO-KHAC");
    let first = post(&app, "/api/v1/receipts", &a, &receipt("H12-0001", "SO-TP"));
    assert_eq!(first.status(), 201);
    // The other agency's system neither learns of it nor is kept from issuing its own.
    let second = post(
        &app,
        "/api/v1/receipts",
        &b,
        &receipt("H12-0001", "SO-KHAC"),
    );
    assert_eq!(second.status(), 201);
    assert_ne!(
        token_of(&first.json().unwrap()),
        token_of(&second.json().unwrap())
    );
}

#[test]
fn overlapping_batches_and_first_receipts_without_a_desk_at_once_all_succeed() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "XA-MOI", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "XA-MOI");
    // Eight systems' retries at once: the same 200 dossiers, half of them in reverse order,
    // none naming a desk, at an agency that has no "not at a desk" desk yet.
    let items: Vec<Value> = (0..200)
        .map(|k| {
            let mut r = receipt(&format!("XA-{k:04}"), "XA-MOI");
            r.as_object_mut().unwrap().remove("procedure_code");
            r
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let mut list = items.clone();
                if t % 2 == 1 {
                    list.reverse();
                }
                let (app, token) = (&app, &token);
                s.spawn(move || {
                    post(
                        app,
                        "/api/v1/receipts/batch",
                        token,
                        &json!({"receipts": list}),
                    )
                    .status()
                    .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, [200; 8]);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM receipts"), 200);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM desks WHERE code = 'KHONG-QUA-QUAY' AND NOT active"),
        1
    );
}

/// The link the database's own bookkeeping makes, attacked: a rating by receipt writes its
/// nullifier and its response in one transaction, so before mixing their `xmin`s pair every
/// nullifier with its rating, and the nullifiers' order on disk is the ratings' order. Mixing
/// (every ten minutes on a server; here called directly) leaves neither, while ratings go on
/// arriving at the same moment and each receipt still rates once.
#[test]
fn mixing_the_nullifiers_unpairs_them_from_their_ratings_while_ratings_go_on() {
    let app = TestApp::spawn();
    agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let tokens = issue_many(&app, &token, "SO-TP", 24);
    let (first, second) = tokens.split_at(12);
    for t in first {
        rate_with(
            &app,
            t,
            json!({"F1": 4, "F2": 5, "F3": 3, "F4": 4, "F5": 5}),
        );
    }
    // The pairs an attacker reads off the transaction ids, in the ratings' order.
    let pairs_sql = "SELECT coalesce(string_agg(encode(n.nullifier, 'hex'), ',' ORDER BY r.submitted_at, r.id), '') AS name \
                     FROM receipt_nullifiers n JOIN responses r ON r.xmin::text = n.xmin::text \
                     WHERE r.channel = 'receipt_qr'";
    let paired = app.db.text(pairs_sql);
    assert_eq!(
        paired.split(',').count(),
        12,
        "before mixing, every xmin pairs: {paired}"
    );
    let on_disk = "SELECT string_agg(encode(nullifier, 'hex'), ',' ORDER BY ctid) AS name FROM receipt_nullifiers";
    assert_eq!(
        app.db.text(on_disk),
        paired,
        "before mixing, the disk order is the ratings'"
    );

    // Mix (on two connections at once, as two nodes would) while the other twelve rate.
    let mixed: Vec<usize> = std::thread::scope(|s| {
        let raters: Vec<_> = second
            .iter()
            .map(|t| {
                let app = &app;
                s.spawn(move || {
                    rate_with(app, t, json!({"F1": 3, "F2": 4, "F3": 4, "F4": 5, "F5": 4}))
                })
            })
            .collect();
        let mixers: Vec<_> = (0..2)
            .map(|_| {
                let app = &app;
                s.spawn(move || {
                    let mut c = app.db.conn();
                    (0..3)
                        .map(|_| sipas::db::nullifiers::mix(&mut c).unwrap())
                        .sum::<usize>()
                })
            })
            .collect();
        raters.into_iter().for_each(|h| h.join().unwrap());
        mixers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(mixed.iter().sum::<usize>() >= 12, "{mixed:?}");
    let last = sipas::db::nullifiers::mix(&mut app.db.conn()).unwrap();
    assert!(last == 0 || last == 24, "{last}");
    assert_eq!(sipas::db::nullifiers::mix(&mut app.db.conn()).unwrap(), 0);

    // Every receipt rated once, and only once.
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM receipt_nullifiers"),
        24
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM responses WHERE channel = 'receipt_qr'"),
        24
    );
    for t in tokens.iter().step_by(5) {
        let again = app.post_json(&rating(("receipt_token", t), &sid()));
        assert_eq!(again.status(), 409);
    }
    // No nullifier shares a transaction id with any rating; they all share one of their own.
    assert_eq!(app.db.text(pairs_sql), "");
    assert_eq!(
        app.db
            .count("SELECT count(DISTINCT xmin::text) AS n FROM receipt_nullifiers"),
        1
    );
    // The first twelve are no longer in their ratings' order on disk (12! orders: a random
    // one equal to it by chance has a probability of 2e-9).
    let order: Vec<String> = app
        .db
        .text(on_disk)
        .split(',')
        .filter(|n| paired.contains(*n))
        .map(str::to_owned)
        .collect();
    assert_eq!(order.len(), 12);
    assert_ne!(order.join(","), paired);
}
