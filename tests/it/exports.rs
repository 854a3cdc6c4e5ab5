//! Downloads: the dashboard's table as CSV and XLSX, and the anonymised microdata, which
//! `sipas analyze` turns back into exactly the indices the dashboard and the API show.

use serde_json::Value;
use sipas::domain::Role;

use crate::helpers::{add_user, answer_array_sql, run, sid, Browser, TempDir, TestApp};

/// `sipas analyze` of one column with the stream's design (`design`: the options naming it).
fn analyze(app: &TestApp, file: &std::path::Path, column: &str, design: &[&str]) -> Value {
    let (code, out, err) = run(
        app.db
            .sipas()
            .args([
                "analyze",
                "--input",
                file.to_str().unwrap(),
                "--measure",
                column,
                "--method",
                "logit",
                "--format",
                "json",
            ])
            .args(design),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

fn close(a: &Value, b: &Value) {
    let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
}

#[test]
fn the_microdata_gives_back_the_dashboard_and_api_numbers_and_nothing_personal() {
    let app = TestApp::spawn();
    for i in 0..48 {
        let comment = match i {
            0 => "=HYPERLINK(\"http://evil.example\")",
            1 => "Cán bộ nhiệt tình",
            _ => "",
        };
        let r = app.post_form(
            &app.token(),
            &[
                ("submission_id", &sid()),
                ("a.F1", ["5", "4", "2", "na", "3", "1"][i % 6]),
                ("a.F2", ["5", "3", "4"][i % 3]),
                ("a.F3", ["4", "na"][i % 2]),
                ("a.F4", ["5", "1", "2", "4"][i % 4]),
                ("a.F5", "4"),
                ("a.OVERALL", ["4", "5", "3"][i % 3]),
                ("respondent_kind", ["individual", "organisation"][i % 5 / 4]),
                ("comment", comment),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");

    let r = manager.get("/admin/microdata.csv");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"sipas-microdata-T1-"));
    let body = r.text().unwrap();
    let mut lines = body.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{feff}date,agency,desk,channel,kind,F1,F2,F3,F4,F5,OVERALL"
    );
    assert_eq!(lines.clone().count(), 48);
    // Text cells are quoted (issue #16): a plain split is enough for these fields.
    let first: Vec<&str> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|f| f.trim_matches('"'))
        .collect();
    assert_eq!(first.len(), 11, "no comment column unless asked for");
    assert!(
        chrono::NaiveDate::parse_from_str(first[0], "%Y-%m-%d").is_ok(),
        "a date without the time: {first:?}"
    );
    assert_eq!(&first[1..4], ["T1", "Q1", "desk_qr"]);
    assert!(
        !body.contains("Cán bộ") && !body.contains(':'),
        "no comment, no time"
    );

    // sipas analyze on the file gives the API's (and so the dashboard's) item indices. Every
    // rating here is from one desk, so the stream's design takes them as independent within
    // the agency (docs/statistics.md): analyze stratified by agency, no cluster.
    let dir = TempDir::new("microdata");
    let file = dir.join("microdata.csv");
    std::fs::write(&file, &body).unwrap();
    let api: Value = manager
        .get("/admin/api/v1/agencies/T1/indices")
        .json()
        .unwrap();
    for item in api["items"].as_array().unwrap() {
        let code = item["code"].as_str().unwrap();
        let got = analyze(&app, &file, code, &["--strata", "agency"]);
        assert_eq!(got["n"], item["n"], "{code}");
        if item["suppressed"] == true {
            // Below the minimum n the API gives no number; analyze still computes one.
            assert!(got["n"].as_u64().unwrap() < 30 && item["estimate"].is_null());
            continue;
        }
        close(&got["estimate"], &item["estimate"]);
        close(&got["ci_low"], &item["ci_low"]);
        close(&got["ci_high"], &item["ci_high"]);
    }
    // Suppression composes (issue #18, point 5): F3 has too few valid answers, so the overall
    // SIPAS that averages it is not reported either, though 48 ratings answered something.
    assert_eq!(api["items"][2]["suppressed"], true);
    assert!(api["overall"]["n"].as_u64().unwrap() >= 30);
    assert_eq!(api["overall"]["suppressed"], true);
    assert!(manager
        .page("/admin/dashboard")
        .contains("Chỉ số hài lòng chung (SIPAS): <strong>Chưa đủ số phản hồi"));
    // The dashboard's CSV shows the same numbers, as percentages with two decimals.
    let table = manager.get("/admin/dashboard.csv").text().unwrap();
    let f1 = table.lines().find(|l| l.starts_with("\"F1\",")).unwrap();
    let f1_estimate = api["items"][0]["estimate"].as_f64().unwrap();
    assert!(
        f1.contains(&format!(",{:.2},", 100.0 * f1_estimate)),
        "{f1}"
    );
    let xlsx = manager.get("/admin/dashboard.xlsx");
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(&xlsx.bytes().unwrap()[..2], b"PK");
    assert_eq!(manager.get("/admin/dashboard.pdf").status(), 404);

    // Comments only on request, and a formula stays text.
    let with = manager
        .get("/admin/microdata.csv?comments=1")
        .text()
        .unwrap();
    assert!(with.lines().next().unwrap().ends_with(",comment"));
    assert!(with.contains("Cán bộ nhiệt tình"));
    assert!(
        with.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{with}"
    );

    // Outside the scope: nothing.
    add_user(&app.db, "other", Role::Viewer, Some("T1"));
    let anon = Browser::new(&app);
    assert_eq!(
        anon.get("/admin/microdata.csv").status(),
        303,
        "sign in first"
    );
    assert_eq!(
        manager.get("/admin/microdata.csv?agency=999999").status(),
        404
    );
}

/// A share as the dashboard prints it (two decimals, a comma, Vietnamese pages).
fn shown(x: f64) -> String {
    format!("{:.2}", 100.0 * x).replace('.', ",")
}

/// "The dashboard equals `sipas analyze` on the exported microdata", read off the *page* an
/// officer sees: every item's share, interval and n, and the overall index (the mean of the
/// five factors, each one question in the desk stream), for an agency and a period where
/// nothing is suppressed.
#[test]
fn the_dashboard_page_shows_what_sipas_analyze_computes_from_the_microdata() {
    let app = TestApp::spawn();
    // Two desks of the agency: the clusters of the stream's design.
    let second =
        sipas::db::desks::create(&mut app.db.conn(), app.fixture.agency_id, "Q2", "Quầy số 2")
            .unwrap();
    let second = sipas::domain::DeskToken {
        desk_id: second,
        key_version: 1,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    for i in 0..64 {
        let token = if i % 3 == 0 {
            second.clone()
        } else {
            app.token()
        };
        let r = app.post_form(
            &token,
            &[
                ("submission_id", &sid()),
                ("a.F1", ["5", "4", "2", "na", "3", "1", "4"][i % 7]),
                ("a.F2", ["5", "3", "4"][i % 3]),
                ("a.F3", ["4", "na", "2", "5"][i % 4]),
                ("a.F4", ["5", "1", "2", "4", "4"][i % 5]),
                ("a.F5", ["4", "3"][i % 2]),
                ("a.OVERALL", ["4", "5", "3", "2"][i % 4]),
                ("respondent_kind", ["individual", "organisation"][i % 5 / 4]),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    // A returned paper questionnaire of the annual sample, same agency and days: a
    // probability-sample response that the dashboard does not count, so neither may its
    // microdata hold it (issue #18, point 8).
    crate::fieldwork::drawn_wave(&app.db, 40, 0);
    let unit = crate::fieldwork::unit_ids(&app.db).0[0];
    let paper = format!(
        "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, \
                                comment, answer_values, sample_unit_id) \
         SELECT gen_random_uuid(), i.id, a.id, NULL, 'paper', 'individual', \
                'Phiếu giấy: làm thủ tục nhanh (rất) tốt 👍', {}, {unit} \
         FROM instruments i, agencies a WHERE i.code = 'sipas-2017' AND a.code = 'T1'",
        answer_array_sql(&[
            ("F1", Some(1)),
            ("F2", Some(1)),
            ("F3", Some(1)),
            ("F4", Some(1)),
            ("F5", Some(1)),
            ("OVERALL", Some(1))
        ])
    );
    diesel::RunQueryDsl::execute(diesel::sql_query(paper), &mut app.db.conn()).unwrap();
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let today = sipas::web::filters::today_in_vietnam();
    let range = format!("from={}-01&to={today}", today.format("%Y-%m"));
    let page = manager.page(&format!("/admin/dashboard?{range}"));
    let body = manager
        .get(&format!("/admin/microdata.csv?{range}"))
        .text()
        .unwrap();
    assert_eq!(
        body.lines().count(),
        1 + 64,
        "the header and the 64 desk ratings the page counts, not the paper questionnaire"
    );
    assert!(!body.contains("Phiếu giấy") && !page.contains("Phiếu giấy"));
    let dir = TempDir::new("microdata");
    let file = dir.join("microdata.csv");
    std::fs::write(&file, &body).unwrap();

    let mut factors = Vec::new();
    let design = [
        "--strata",
        "agency",
        "--cluster",
        "desk",
        "--lonely-psu",
        "adjust",
    ];
    for code in ["F1", "F2", "F3", "F4", "F5", "OVERALL"] {
        let got = analyze(&app, &file, code, &design);
        let n = got["n"].as_u64().unwrap();
        assert!(n >= 30, "{code}: nothing suppressed ({n})");
        let (est, lo, hi) = (
            got["estimate"].as_f64().unwrap(),
            got["ci_low"].as_f64().unwrap(),
            got["ci_high"].as_f64().unwrap(),
        );
        let row = format!(
            "<small>{code}</small></td>\n<td><strong>{}%</strong></td>\n<td>{}–{}%</td><td>{n}</td>",
            shown(est),
            shown(lo),
            shown(hi)
        );
        assert!(page.contains(&row), "{code}: {row} not on the page");
        if code != "OVERALL" {
            // The factor's index, in the "what to improve first" table as well.
            let factor = format!("</td><td>{}%</td><td>", shown(est));
            assert!(page.contains(&factor), "{code}: {factor} not on the page");
            factors.push(est);
        }
    }
    // The design effect of the desks is printed under the overall index (issue #18, point 1).
    let api: Value = manager
        .get(&format!("/admin/api/v1/agencies/T1/indices?{range}"))
        .json()
        .unwrap();
    let deff = api["overall"]["deff"].as_f64().unwrap();
    let printed = format!("{deff:.1}").replace('.', ",");
    assert!(
        page.contains(&format!(
            "thiết kế do các lượt đánh giá cùng quầy giống nhau: <strong>{printed}</strong>"
        )),
        "deff {printed} under the overall index"
    );
    let overall = factors.iter().sum::<f64>() / factors.len() as f64;
    assert!(
        page.contains(&format!("<strong>{}%</strong>", shown(overall))),
        "the overall index {} is the mean of the five factors",
        shown(overall)
    );
}

fn reference(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("analysis/reference")
        .join(name)
}

/// The dashboard's intervals equal R's `survey` on the dashboard's own microdata (issue #18,
/// point 1): three agencies (T1, and two below it, one with a single desk), five desks, fixed
/// answers on one day. `analysis/reference/make-desk-microdata-reference.R` reads the export
/// (`desk-microdata.csv`, rewritten with `SIPAS_WRITE_REFERENCE=1`) with
/// `svydesign(ids = ~desk, strata = ~agency, nest = TRUE)` and writes every item's and the
/// overall index's interval; the API (and so the page) must equal them to 1e-6.
#[test]
fn the_dashboards_intervals_equal_r_survey_on_its_exported_microdata() {
    let app = TestApp::spawn();
    let mut c = app.db.conn();
    let t1 = app.fixture.agency_id;
    let second = sipas::db::desks::create(&mut c, t1, "Q2", "Quầy số 2").unwrap();
    let (north, north_q1) = crate::helpers::agency_with_desk(&app.db, "BAC", Some(t1));
    let north_q2 = sipas::db::desks::create(&mut c, north, "Q2", "Quầy 2").unwrap();
    let (_, south_q1) = crate::helpers::agency_with_desk(&app.db, "NAM", Some(t1));
    // Each desk its own leaning, so that ratings cluster by desk.
    let desks = [
        (app.fixture.desk_id, 44, [5, 4, 4, 3, 2]),
        (second, 38, [4, 3, 2, 5, 1]),
        (north_q1, 35, [5, 5, 4, 4, 3]),
        (north_q2, 31, [3, 2, 4, 2, 5]),
        (south_q1, 40, [4, 5, 3, 4, 2]),
    ];
    for (desk, count, leaning) in desks {
        for i in 0..count {
            let v = |k: usize| {
                let x = leaning[(i + k) % 5];
                // Every seventh answer to F3 is "no opinion".
                if k == 2 && i % 7 == 0 {
                    0
                } else {
                    x
                }
            };
            let answers: Vec<(&str, Option<i16>)> = ["F1", "F2", "F3", "F4", "F5", "OVERALL"]
                .iter()
                .enumerate()
                .map(|(k, q)| (*q, Some(v(k) as i16)))
                .collect();
            crate::helpers::store_rating_on(&app.db, desk, "2026-10-15", &answers);
        }
    }
    crate::helpers::rebuild_aggregates(&app.db);
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let range = "from=2026-10-01&to=2026-10-31";
    let export = manager
        .get(&format!("/admin/microdata.csv?{range}"))
        .text()
        .unwrap();
    // The rows' order within a day and desk is random (the submission ids): compare as sets.
    let sorted = |s: &str| {
        let mut lines: Vec<String> = s
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    if std::env::var("SIPAS_WRITE_REFERENCE").is_ok() {
        std::fs::write(reference("desk-microdata.csv"), &export).unwrap();
    }
    let committed = std::fs::read_to_string(reference("desk-microdata.csv")).unwrap();
    assert!(
        sorted(&export) == sorted(&committed),
        "the export differs from the file R read: rerun with SIPAS_WRITE_REFERENCE=1, then \
         Rscript analysis/reference/make-desk-microdata-reference.R"
    );
    let api: Value = manager
        .get(&format!("/admin/api/v1/agencies/T1/indices?{range}"))
        .json()
        .unwrap();
    let r_rows: Vec<csv::StringRecord> =
        csv::Reader::from_path(reference("desk-microdata-reference.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect();
    assert_eq!(r_rows.len(), 7, "six questions and the overall index");
    for r in &r_rows {
        let e = match &r[0] {
            "overall" => &api["overall"],
            code => api["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .unwrap(),
        };
        for (k, field) in [
            (1, "estimate"),
            (2, "se"),
            (3, "ci_low"),
            (4, "ci_high"),
            (5, "df"),
        ] {
            let (ours, theirs) = (e[field].as_f64().unwrap(), r[k].parse::<f64>().unwrap());
            assert!(
                (ours - theirs).abs() < 1e-6,
                "{} {field}: the dashboard {ours}, R survey {theirs}",
                &r[0]
            );
        }
    }
}
