//! `sipas qr` → decode the PNG → GET the form → POST it → the rows are in PostgreSQL.

use crate::helpers::{run, submission_id, TempDir, TestApp};

fn decode_png(path: &std::path::Path) -> String {
    let img = image::open(path).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {}", path.display());
    grids[0].decode().unwrap().1
}

/// `sipas qr --out DIR …`: (exit code, stderr).
fn sipas_qr(app: &TestApp, out: &TempDir, extra: &[&str]) -> (Option<i32>, String) {
    let (code, _, stderr) = run(
        app.db
            .sipas()
            .arg("qr")
            .arg("--out")
            .arg(&out.0)
            .args(extra)
            .env("SIPAS_PUBLIC_URL", &app.base),
        "",
    );
    (code, stderr)
}

#[test]
fn the_whole_path_from_printed_qr_code_to_stored_rows() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    let level =
        sipas::db::agencies::ensure_level(&mut conn, "commune", "Xã", "Commune", 2).unwrap();
    let child = sipas::db::agencies::create(
        &mut conn,
        "T1.X01",
        "UBND Xã Một",
        level,
        Some(app.fixture.agency_id),
    )
    .unwrap();
    let child_desk = sipas::db::desks::create(&mut conn, child, "Q1", "Quầy xã").unwrap();
    let other = sipas::db::agencies::create(&mut conn, "OTHER", "Tỉnh khác", level, None).unwrap();
    sipas::db::desks::create(&mut conn, other, "Q1", "Quầy khác").unwrap();

    let dir = TempDir::new("qr");
    let (code, stderr) = sipas_qr(&app, &dir, &["--agency", "T1"]);
    assert_eq!(code, Some(0), "{stderr}");

    let mut index = csv::Reader::from_path(dir.join("index.csv")).unwrap();
    assert_eq!(
        index.headers().unwrap(),
        vec!["desk_id", "agency_code", "desk_name", "url"]
    );
    let rows: Vec<csv::StringRecord> = index.records().map(|r| r.unwrap()).collect();
    let ids: Vec<i32> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(
        ids.len(),
        2,
        "the agency and the one below it, not the other province"
    );
    assert!(ids.contains(&app.fixture.desk_id) && ids.contains(&child_desk));

    for row in &rows {
        let id = &row[0];
        let url = &row[3];
        assert!(url.starts_with(&format!("{}/q/", app.base)));
        assert_eq!(
            decode_png(&dir.join(format!("{id}.png"))),
            url,
            "the PNG decodes to the listed URL"
        );
        let svg = std::fs::read_to_string(dir.join(format!("{id}.svg"))).unwrap();
        assert!(svg.contains("<svg"));
        let poster = std::fs::read_to_string(dir.join(format!("{id}.html")))
            .unwrap()
            .replace("&#x2F;", "/");
        assert!(poster.contains(url), "the poster prints the short URL");
        assert!(
            poster.contains("Quét mã QR"),
            "the poster has the Vietnamese instruction"
        );
        assert!(poster.contains("@page{size:A5"));
    }

    // Follow the decoded URL like a phone would.
    let url = decode_png(&dir.join(format!("{}.png", app.fixture.desk_id)));
    let html = app.http.get(&url).send().unwrap().text().unwrap();
    let sid = submission_id(&html);
    let resp = app
        .http
        .post(&url)
        .form(&[
            ("submission_id", sid.as_str()),
            ("a.F1", "4"),
            ("a.OVERALL", "5"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE id = '{sid}' AND desk_id = {}",
            app.fixture.desk_id
        )),
        1
    );
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM answers WHERE response_id = '{sid}'"
        )),
        2
    );
}

#[test]
fn an_unknown_agency_code_is_an_error() {
    let app = TestApp::spawn();
    let dir = TempDir::new("qr");
    let (code, stderr) = sipas_qr(&app, &dir, &["--agency", "NOPE"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("NOPE"), "{stderr}");
    assert!(!dir.join("index.csv").exists(), "nothing written");
}
