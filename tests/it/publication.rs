//! Publishing a closed period: frozen numbers that later ratings do not move, bytes whose
//! SHA-256 is the published hash, a chain from one publication to the next, a public page that
//! needs no sign-in and says so when a stored snapshot was altered.

use diesel::RunQueryDsl;
use serde_json::Value;
use sipas::domain::Role;
use sipas::results::publication::sha256_hex;
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{add_user, agency_with_desk, store_rating_on, Browser, TestApp};

/// Stores one desk rating given on `day` (noon in Vietnam), with F1 and F2 as given.
fn rate_on(app: &TestApp, desk: i32, day: &str, f1: Option<i16>, f2: Option<i16>) {
    store_rating_on(&app.db, desk, day, &[("F1", f1), ("F2", f2)]);
}

/// Publishes a period, confirmed (`confirm=yes`, as the confirmation page sends).
fn publish(b: &Browser, from: &str, to: &str) -> reqwest::blocking::Response {
    let csrf = b.csrf();
    b.post(
        "/admin/publications",
        &[
            ("csrf", csrf.as_str()),
            ("from", from),
            ("to", to),
            ("confirm", "yes"),
        ],
    )
}

fn download(app: &TestApp, id: i64) -> Vec<u8> {
    let r = app
        .http
        .get(format!("{}/public/{id}/snapshot.json", app.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.bytes().unwrap().to_vec()
}

/// Wilson's 95% interval in closed form (Wilson 1927; Newcombe 1998, method 3), z = 1.959964.
/// The 95% interval of `x` satisfied among `n` ratings of one desk, every rating answered:
/// one desk has no between-desk spread, so its ratings are taken as independent
/// (docs/statistics.md) — the linearised SE √(p(1−p)/(n−1)) of R's `svydesign(ids = ~1)` and
/// `svyciprop(method = "logit")`'s interval, t on n − 1 degrees of freedom.
fn one_desk_logit(x: f64, n: f64) -> (f64, f64) {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let p = x / n;
    let se = (p * (1.0 - p) / (n - 1.0)).sqrt();
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .unwrap()
        .inverse_cdf(0.975);
    let logit = (p / (1.0 - p)).ln();
    let half = t * se / (p * (1.0 - p));
    let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
    (expit(logit - half), expit(logit + half))
}

#[test]
fn a_published_period_is_frozen_hashed_chained_and_public() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    let desk = app.fixture.desk_id;
    // October: 40 ratings at T1; F1 satisfied 30 times, F2 once no opinion.
    for i in 0..40 {
        let f1 = if i < 30 { 5 } else { 2 };
        let f2 = if i == 0 { None } else { Some(4) };
        rate_on(&app, desk, "2026-10-15", Some(f1), f2);
    }
    // A small agency, below the minimum n, and a rating outside the period.
    let (_, small_desk) = agency_with_desk(&app.db, "SMALL", None);
    for _ in 0..5 {
        rate_on(&app, small_desk, "2026-10-20", Some(5), Some(5));
    }
    rate_on(&app, desk, "2026-11-01", Some(1), Some(1));

    let r = publish(&admin, "2026-10-01", "2026-10-31");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/public/1");
    let bytes = download(&app, 1);
    let hash = sha256_hex(&bytes);
    let list = app
        .http
        .get(format!("{}/public", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        list.contains(&hash),
        "the listed hash is the SHA-256 of the file"
    );
    assert!(list.contains("nguyên vẹn"));

    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        doc["previous_sha256"],
        Value::Null,
        "the first of the chain"
    );
    assert_eq!(doc["period"]["from"], "2026-10-01");
    let t1 = doc["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "T1")
        .unwrap();
    assert_eq!(
        t1["responses"], 40,
        "the November rating is outside the period"
    );
    let f1 = &t1["items"][0];
    assert_eq!(
        (f1["code"].as_str(), f1["n"].as_u64()),
        (Some("F1"), Some(40))
    );
    assert!((f1["estimate"].as_f64().unwrap() - 0.75).abs() < 1e-12);
    let (lo, hi) = one_desk_logit(30.0, 40.0);
    assert!((f1["ci_low"].as_f64().unwrap() - lo).abs() < 1e-9);
    assert!((f1["ci_high"].as_f64().unwrap() - hi).abs() < 1e-9);
    let f2 = &t1["items"][1];
    assert_eq!(f2["n"], 39, "no opinion is not a valid answer");
    assert!((f2["estimate"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let small = doc["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "SMALL")
        .unwrap();
    assert_eq!(small["overall"]["suppressed"], true);
    assert_eq!(
        small["overall"]["estimate"],
        Value::Null,
        "no number below the minimum n"
    );
    let page = app
        .http
        .get(format!("{}/public/1", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("75,00%"), "percentages with two decimals");
    assert!(page.contains("Chưa đủ số phản hồi"));
    assert!(page.contains("không phải mẫu ngẫu nhiên"));
    // For the public: the period as people write it, plain words, the method in Vietnamese
    // (the frozen document keeps the English it was published with).
    let page = page.replace("&#x2F;", "/");
    assert!(page.contains("Kết quả tháng 10/2026"), "{page}");
    assert!(page.contains("Đánh giá qua mã QR tại quầy"));
    assert!(page.contains("Chỉ số của một câu hỏi: tỷ lệ câu trả lời hợp lệ"));
    for jargon in ["desk_qr", "sipas-2017", "2026-10-01", "Item index"] {
        assert!(!page.contains(jargon), "{jargon} shown to the public");
    }
    let english = app
        .http
        .get(format!("{}/public/1?lang=en", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(english.contains("Results, October 2026"));
    assert!(english.contains("Item index: share of valid answers"));

    // Late ratings for October change nothing published.
    for _ in 0..10 {
        rate_on(&app, desk, "2026-10-31", Some(1), Some(1));
    }
    assert_eq!(
        download(&app, 1),
        bytes,
        "the same bytes after late ratings"
    );
    let again = publish(&admin, "2026-10-01", "2026-10-31");
    assert_eq!(again.status(), 422);
    assert!(again.text().unwrap().contains("đã được công bố"));

    // The next publication chains to this one.
    assert_eq!(publish(&admin, "2026-11-01", "2026-11-15").status(), 303);
    let second: Value = serde_json::from_slice(&download(&app, 2)).unwrap();
    assert_eq!(second["previous_sha256"], hash.as_str());
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'publication.create' AND actor = 'snv.admin'"),
        2
    );
}

#[test]
fn only_closed_periods_are_published_and_only_by_administrators() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let admin = Browser::signed_in(&app, "snv.admin");
    let today = today_in_vietnam();
    let cases = [
        ("2026-01-01".to_owned(), today.to_string(), "đã kết thúc"),
        (
            "2026-03-01".to_owned(),
            "2026-02-01".to_owned(),
            "trước hoặc bằng",
        ),
        (
            "yesterday".to_owned(),
            "2026-02-01".to_owned(),
            "YYYY-MM-DD",
        ),
    ];
    for (from, to, reason) in cases {
        let r = publish(&admin, &from, &to);
        assert_eq!(r.status(), 422, "{from}..{to}");
        assert!(r.text().unwrap().contains(reason), "{from}..{to}");
    }
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(publish(&manager, "2026-01-01", "2026-01-31").status(), 404);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 0);
    // The public list needs no sign-in.
    let r = app
        .http
        .get(format!("{}/public?lang=en", app.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("Nothing has been published yet"));
}

#[test]
fn a_stored_snapshot_cannot_be_edited_and_an_altered_one_is_flagged() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    for _ in 0..31 {
        rate_on(&app, app.fixture.desk_id, "2026-09-10", Some(4), Some(2));
    }
    assert_eq!(publish(&admin, "2026-09-01", "2026-09-30").status(), 303);
    let mut conn = app.db.conn();
    let refused =
        diesel::sql_query("UPDATE publications SET body = body || ' '").execute(&mut conn);
    assert!(refused.unwrap_err().to_string().contains("immutable"));
    assert!(diesel::sql_query("DELETE FROM publications")
        .execute(&mut conn)
        .is_err());

    // Someone with the database's owner rights goes around the trigger.
    for sql in [
        "ALTER TABLE publications DISABLE TRIGGER publications_immutable",
        "UPDATE publications SET body = replace(body, '\"responses\":31', '\"responses\":310')",
        "ALTER TABLE publications ENABLE TRIGGER publications_immutable",
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let get = |path: &str| {
        app.http
            .get(format!("{}{path}", app.base))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert!(get("/public").contains("ĐÃ BỊ SỬA"));
    let page = get("/public/1?lang=en");
    assert!(page.contains("altered after publication"), "{page}");
}

/// The methodology page (issue #18, point 12): public, in Vietnamese, one section per rule;
/// every page that links to a section links to one that exists, and every section is there.
#[test]
fn the_methodology_page_has_every_section_the_pages_link_to() {
    use sipas::views::public::METHOD_SECTIONS;
    let app = TestApp::spawn();
    let r = Browser::new(&app).get("/phuong-phap");
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    assert!(page.contains("<html lang=\"vi\"") && page.contains("Phương pháp tính các chỉ số"));
    assert!(
        !page.contains("?lang=en"),
        "no language switch on a Vietnamese-only page"
    );
    for id in METHOD_SECTIONS {
        assert!(page.contains(&format!("<h2 id=\"{id}\">")), "section {id}");
    }
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut linked = 0;
    for entry in std::fs::read_dir(templates).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for part in text.split("/phuong-phap#").skip(1) {
            let anchor: String = part
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            assert!(
                METHOD_SECTIONS.contains(&anchor.as_str()),
                "{} links to a missing section #{anchor}",
                path.display()
            );
            linked += 1;
        }
    }
    assert!(
        linked >= 8,
        "the pages link their rules to the methodology ({linked})"
    );
}

#[test]
fn publishing_asks_first_and_refuses_a_period_that_straddles_a_published_one() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    let desk = app.fixture.desk_id;
    for day in ["2026-09-20", "2026-10-10"] {
        for _ in 0..3 {
            rate_on(&app, desk, day, Some(5), Some(4));
        }
    }
    // A rating of the quarter held for review is named on the confirmation page.
    rate_on(&app, desk, "2026-09-21", Some(1), Some(1));
    app.db.exec(
        "INSERT INTO held_ratings (response_id, reasons, details) \
         SELECT id, '{burst}', '{}' FROM responses WHERE submitted_at::date = '2026-09-21'",
    );
    // The first post shows what would be frozen, publishes nothing, and asks again.
    let csrf = admin.csrf();
    let r = admin.post(
        "/admin/publications",
        &[
            ("csrf", csrf.as_str()),
            ("from", "2026-07-01"),
            ("to", "2026-09-30"),
        ],
    );
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap().replace("&#x2F;", "/");
    for shown in [
        "Công bố kết quả quý III/2026?",
        "từ 01/07/2026 đến 30/09/2026",
        "1 cơ quan có đánh giá, 3 lượt đánh giá",
        "1 lượt đánh giá của kỳ đang bị giữ lại",
        "Không thể hoàn tác.",
        r#"name="confirm" value="yes""#,
        r#"href="/admin/publications""#,
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 0);
    // Confirmed: published. October nests in the fourth quarter beside it.
    for (from, to) in [("2026-07-01", "2026-09-30"), ("2026-10-01", "2026-10-31")] {
        assert_eq!(publish(&admin, from, to).status(), 303, "{from}");
    }
    // 15/09–15/10 straddles both: refused before and when confirmed, naming the first.
    let csrf = admin.csrf();
    let asked = admin.post(
        "/admin/publications",
        &[
            ("csrf", csrf.as_str()),
            ("from", "2026-09-15"),
            ("to", "2026-10-15"),
        ],
    );
    let confirmed = publish(&admin, "2026-09-15", "2026-10-15");
    for r in [asked, confirmed] {
        assert_eq!(r.status(), 422);
        let page = r.text().unwrap().replace("&#x2F;", "/");
        assert!(
            page.contains("chồng lên kỳ đã công bố quý III/2026 (bản số 1)"),
            "{page}"
        );
        assert!(
            page.contains(r#"value="2026-09-15""#),
            "the dates typed are kept"
        );
    }
    // So does 1–30 October beside October (their difference would be one day); the fourth
    // quarter and the year nest.
    assert_eq!(publish(&admin, "2026-10-01", "2026-10-30").status(), 422);
    assert_eq!(
        publish(&admin, "2026-10-01", "2026-12-31").status(),
        422,
        "not closed yet"
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 2);
    let list = admin.page("/admin/publications");
    assert!(
        list.contains("quý III&#x2F;2026") || list.contains("quý III/2026"),
        "{list}"
    );
    assert!(list.contains("tháng 10"), "{list}");
}
