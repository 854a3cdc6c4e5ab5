//! The annual survey's first steps, run as an officer runs them: `sipas wave create|status`
//! and `sipas frame import` (issue #8). A refused frame exits 2, names every problem by line
//! and column, and imports nothing.

use crate::helpers::{fixture, run, TempDir, TestDb};

const HEADER: &str =
    "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address";

fn create_wave(db: &TestDb, name: &str) -> i32 {
    let (code, out, err) = run(
        db.sipas()
            .args(["wave", "create", "--name", name, "--year", "2026"]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    out.trim().parse().expect("the wave id is printed")
}

/// Runs `sipas frame import --wave W FILE`: (exit code, stdout, stderr).
fn import(db: &TestDb, wave: &str, file: &std::path::Path) -> (Option<i32>, String, String) {
    run(
        db.sipas()
            .args(["frame", "import", "--wave", wave])
            .arg(file),
        "",
    )
}

fn frame_units(db: &TestDb) -> i64 {
    db.count("SELECT count(*) AS n FROM frame_units")
}

#[test]
fn a_wave_is_created_as_a_draft_and_its_status_says_what_comes_next() {
    let db = TestDb::new();
    let w = create_wave(&db, "Khảo sát SIPAS 2026");
    let (code, out, err) = run(
        db.sipas()
            .args(["wave", "status", "--wave", &w.to_string()]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Khảo sát SIPAS 2026 (2026)"), "{out}");
    assert!(
        out.contains("state: draft") && out.contains("frame: 0 units"),
        "{out}"
    );
    assert!(out.contains("next: import the frame"), "{out}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'wave.create'"),
        1
    );

    // The same name in the same year, an unknown instrument, an unknown wave: refused.
    for (args, says) in [
        (
            vec![
                "wave",
                "create",
                "--name",
                "Khảo sát SIPAS 2026",
                "--year",
                "2026",
            ],
            "already exists for 2026",
        ),
        (
            vec![
                "wave",
                "create",
                "--name",
                "X",
                "--year",
                "2026",
                "--instrument",
                "nope",
            ],
            "no instrument has the code 'nope'",
        ),
        (
            vec!["wave", "create", "--name", "X", "--year", "1999"],
            "--year",
        ),
        (
            vec!["wave", "status", "--wave", "999"],
            "no wave has the id 999",
        ),
    ] {
        let (code, _, err) = run(db.sipas().args(&args), "");
        assert_eq!(code, Some(2), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM waves"), 1);
}

#[test]
fn a_frame_with_problems_is_refused_whole_with_each_problem_by_line_and_column() {
    let db = TestDb::new();
    fixture(&db);
    let w = create_wave(&db, "W").to_string();
    let dir = TempDir::new("frame");
    let file = dir.join("frame.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}\n\
             D-1,T1,1.001,2026-02-01,individual,Nguyễn Văn A,0912345678,a@example.vn,Số 1\n\
             D-2,T9,1.001,2026-02-30,individual,B,,b@,\n\
             D-1,T1,,2026-03-01,organisation,C,,,Số 3\n"
        ),
    )
    .unwrap();
    let (code, out, err) = import(&db, &w, &file);
    assert_eq!(code, Some(2), "{out}");
    for line in [
        "line 3, column agency_code: no agency has the code 'T9'",
        "line 3, column completed_on: '2026-02-30' is not a date",
        "line 3, column email: 'b@' is not an e-mail address",
        "line 4, column dossier_code: dossier D-1 is repeated (first on line 2)",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }
    assert!(err.contains("nothing was imported: 4 problem(s)"), "{err}");
    assert_eq!(
        frame_units(&db),
        0,
        "the valid line 2 is not imported either"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'frame.import'"),
        0
    );
}

#[test]
fn an_excel_csv_with_bom_and_crlf_imports_in_one_go_and_a_second_file_adds_to_it() {
    let db = TestDb::new();
    fixture(&db);
    let w = create_wave(&db, "W").to_string();
    let dir = TempDir::new("frame");
    let file = dir.join("excel.csv");
    // What Excel's "CSV UTF-8" writes: a byte-order mark, CRLF, quotes around a comma.
    let rows = [
        "D-1,T1,1.001,2026-02-01,individual,Nguyễn Thị Hoa,+84 912 345 678,hoa@example.vn,\"Số 1, Rạch Giá\"",
        "D-2,T1,,15/03/2026,tổ chức,Công ty TNHH Minh Phát,,,Số 2",
    ];
    std::fs::write(
        &file,
        format!("\u{feff}{HEADER}\r\n{}\r\n", rows.join("\r\n")),
    )
    .unwrap();
    let (code, out, err) = import(&db, &w, &file);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("imported 2 frame units into wave"), "{out}");
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM frame_units WHERE dossier_code = 'D-1' AND phone = '0912345678' \
             AND address = 'Số 1, Rạch Giá' AND respondent_kind = 'individual' AND line = 2"
        ),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM frame_units WHERE dossier_code = 'D-2' AND completed_on = '2026-03-15' AND respondent_kind = 'organisation'"),
        1
    );
    // The audit says what was imported, never who is in it.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'frame.import' AND after->>'rows' = '2' AND after::text NOT LIKE '%Hoa%'"),
        1
    );

    // A second file adds to the frame, but may not repeat a dossier already in it.
    let more = dir.join("more.csv");
    std::fs::write(&more, format!("{HEADER}\nD-3,T1,,2026-04-01,individual,E,,,Số 5\nD-1,T1,,2026-04-01,individual,F,,,Số 6\n")).unwrap();
    let (code, _, err) = import(&db, &w, &more);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 3, column dossier_code: dossier D-1 is already in this wave's frame"),
        "{err}"
    );
    assert_eq!(frame_units(&db), 2);

    // Once the sample is designed, the frame is closed.
    db.count(
        "WITH u AS (UPDATE waves SET state = 'designed' RETURNING 1) SELECT count(*) AS n FROM u",
    );
    std::fs::write(
        &more,
        format!("{HEADER}\nD-3,T1,,2026-04-01,individual,E,,,Số 5\n"),
    )
    .unwrap();
    let (code, _, err) = import(&db, &w, &more);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("is designed: a frame can only be imported while the wave is a draft"),
        "{err}"
    );
    assert_eq!(frame_units(&db), 2);

    let (_, out, _) = run(db.sipas().args(["wave", "status", "--wave", &w]), "");
    assert!(
        out.contains("frame: 2 units") && out.contains("T1\t2"),
        "{out}"
    );
}

/// A frame of `sizes[i]` units for agency `codes[i]`.
fn frame_file(dir: &TempDir, codes: &[&str], sizes: &[usize]) -> std::path::PathBuf {
    let mut text = format!("{HEADER}\n");
    for (code, &n) in codes.iter().zip(sizes) {
        for i in 0..n {
            text.push_str(&format!(
                "{code}-{i},{code},,2026-05-01,individual,Người {i},,,Số {i}\n"
            ));
        }
    }
    let file = dir.join("frame.csv");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_design_is_previewed_per_stratum_then_stored_and_fixed_once_drawn() {
    let db = TestDb::new();
    let f = fixture(&db);
    crate::helpers::agency_with_desk(&db, "A2", Some(f.agency_id));
    crate::helpers::agency_with_desk(&db, "A3", Some(f.agency_id));
    let w = create_wave(&db, "W").to_string();
    let dir = TempDir::new("frame");
    let file = frame_file(&dir, &["T1", "A2", "A3"], &[600, 300, 100]);
    assert_eq!(import(&db, &w, &file).0, Some(0));
    let design = |extra: &[&str]| {
        let mut args = vec!["wave", "design", "--wave", &w, "--size", "yamane"];
        args.extend_from_slice(extra);
        run(db.sipas().args(&args), "")
    };

    // Preview: Yamane on N = 1,000 at ±5% gives 1000 / (1 + 1000 · 0.0025) = 285.7 → 286,
    // split 6:3:1 (171.6, 85.8, 28.6 → 172, 86, 28; the minimum of 30 lifts A3 to 30 and the
    // others share the remaining 256: 170.67 and 85.33 → 171 and 85); invitations n_h / 0.6.
    let (code, out, err) = design(&["--allocation", "proportional", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("T1\t600\t171\t285\t"), "{out}");
    assert!(out.contains("A2\t300\t85\t142\t"), "{out}");
    assert!(out.contains("A3\t100\t30\t50\t"), "{out}");
    assert!(out.contains("total\t1000\t286\t477"), "{out}");
    assert!(out.contains("preview only"), "{out}");
    assert_eq!(db.count("SELECT count(*) AS n FROM wave_strata"), 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM waves WHERE state = 'draft'"),
        1
    );

    // Refusals say which parameter.
    for (extra, says) in [
        (vec!["--allocation", "quota"], "--quota N"),
        (
            vec!["--allocation", "equal", "--quota", "5"],
            "--quota goes with --allocation quota",
        ),
        (vec!["--allocation", "equal", "--margin", "1.5"], "--size: "),
        (
            vec!["--allocation", "equal", "--min", "400"],
            "--allocation: ",
        ),
        (
            vec!["--allocation", "equal", "--response-rate", "0"],
            "--response-rate: ",
        ),
    ] {
        let (code, _, err) = design(&extra);
        assert_eq!(code, Some(2), "{extra:?}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }

    // Stored: quotas of 150, capped at N_h; the wave is designed, the plan and its audit kept.
    let (code, out, err) = design(&["--allocation", "quota", "--quota", "150"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("designed"), "{out}");
    assert_eq!(
        db.count("SELECT sum(respondents)::int8 AS n FROM wave_strata"),
        150 + 150 + 100
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM wave_strata WHERE invited > population OR respondents > invited"),
        0
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM waves WHERE state = 'designed' AND design->>'allocation' = 'quota'"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'wave.design'"),
        1
    );
    let (_, out, _) = run(db.sipas().args(["wave", "status", "--wave", &w]), "");
    assert!(
        out.contains("state: designed") && out.contains("next: draw the sample"),
        "{out}"
    );

    // Redesigning a designed wave replaces the plan; once drawn, it is refused.
    assert_eq!(design(&["--allocation", "equal"]).0, Some(0));
    assert_eq!(db.count("SELECT count(*) AS n FROM wave_strata"), 3);
    db.count(
        "WITH u AS (UPDATE waves SET state = 'drawn' RETURNING 1) SELECT count(*) AS n FROM u",
    );
    let (code, _, err) = design(&["--allocation", "equal"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("is drawn"), "{err}");
}

/// A database with a designed wave over T1 (600 units), A2 (300) and A3 (100): the wave id.
fn designed_wave(db: &TestDb, dir: &TempDir) -> String {
    let f = fixture(db);
    crate::helpers::agency_with_desk(db, "A2", Some(f.agency_id));
    crate::helpers::agency_with_desk(db, "A3", Some(f.agency_id));
    let w = create_wave(db, "W").to_string();
    let file = frame_file(dir, &["T1", "A2", "A3"], &[600, 300, 100]);
    assert_eq!(import(db, &w, &file).0, Some(0));
    let (code, _, err) = run(
        db.sipas().args([
            "wave",
            "design",
            "--wave",
            &w,
            "--size",
            "yamane",
            "--allocation",
            "proportional",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    w
}

/// The drawn dossiers, as (dossier code, reserve rank or 0), sorted.
fn drawn(db: &TestDb) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        d: String,
    }
    let rows: Vec<Row> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT f.dossier_code || ':' || coalesce(s.reserve_rank, 0) AS d \
             FROM sample_units s JOIN frame_units f ON f.id = s.frame_unit_id ORDER BY 1",
        ),
        &mut db.conn(),
    )
    .unwrap();
    rows.into_iter().map(|r| r.d).collect()
}

#[test]
fn the_same_frame_and_seed_draw_the_same_sample_whose_weights_sum_to_each_stratum() {
    let (one, two) = (TestDb::new(), TestDb::new());
    let dir = TempDir::new("frame");
    let (w1, w2) = (designed_wave(&one, &dir), designed_wave(&two, &dir));
    let draw = |db: &TestDb, w: &str, seed: &str| {
        run(
            db.sipas().args([
                "wave",
                "draw",
                "--wave",
                w,
                "--seed",
                seed,
                "--reserve",
                "0.2",
            ]),
            "",
        )
    };
    let (code, out, err) = draw(&one, &w1, "20261129");
    assert_eq!(code, Some(0), "{err}");
    // Invitations 285, 142, 50 (see the design test), reserves ⌈0.2 × n⌉.
    assert!(
        out.contains("T1\t285\t57") && out.contains("A2\t142\t29") && out.contains("A3\t50\t10"),
        "{out}"
    );
    assert_eq!(draw(&two, &w2, "20261129").0, Some(0));
    assert_eq!(
        drawn(&one),
        drawn(&two),
        "same frame, same seed: same sample"
    );
    assert_eq!(drawn(&one).len(), 285 + 57 + 142 + 29 + 50 + 10);

    // Weights of the main sample sum to N_h in every stratum.
    assert_eq!(
        one.count(
            "SELECT count(*) AS n FROM (SELECT s.agency_id, sum(s.base_weight) AS w, max(t.population) AS big_n \
             FROM sample_units s JOIN wave_strata t ON t.wave_id = s.wave_id AND t.agency_id = s.agency_id \
             WHERE s.reserve_rank IS NULL GROUP BY s.agency_id) x WHERE abs(w - big_n) > 1e-6"
        ),
        0
    );
    assert_eq!(
        one.count(
            "SELECT count(*) AS n FROM waves WHERE state = 'drawn' AND draw->>'seed' = '20261129'"
        ),
        1
    );
    assert_eq!(
        one.count("SELECT count(*) AS n FROM audit_log WHERE action = 'wave.draw'"),
        1
    );

    // Drawn once: a second draw is refused and changes nothing.
    let (code, _, err) = draw(&one, &w1, "1");
    assert_eq!(code, Some(2));
    assert!(err.contains("drawn already"), "{err}");
    assert_eq!(drawn(&one), drawn(&two));

    // Another seed, another sample (systematic this time).
    let three = TestDb::new();
    let w3 = designed_wave(&three, &dir);
    let (code, _, err) = run(
        three.sipas().args([
            "wave",
            "draw",
            "--wave",
            &w3,
            "--seed",
            "7",
            "--method",
            "systematic",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_ne!(drawn(&one), drawn(&three));

    // The export: stratum, probability and weight; no contact data, no dossier code.
    let (code, csv, err) = run(
        one.sipas().args(["wave", "export-sample", "--wave", &w1]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("unit_id,stratum,stratum_population,role,reserve_rank,inclusion_probability,base_weight,status")
    );
    assert_eq!(lines.clone().count(), 285 + 57 + 142 + 29 + 50 + 10);
    assert!(
        lines
            .clone()
            .any(|l| l.contains(",\"A3\",100,\"main\",,0.5000000000,2.0000000000,\"selected\"")),
        "{csv}"
    );
    assert!(
        !csv.contains("Người") && !csv.contains("Số ") && !csv.contains("T1-"),
        "no contact data or dossier"
    );
    let out = dir.join("sample.xlsx");
    let (code, _, err) = run(
        one.sipas()
            .args([
                "wave",
                "export-sample",
                "--wave",
                &w1,
                "--format",
                "xlsx",
                "--out",
            ])
            .arg(&out),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(&std::fs::read(&out).unwrap()[..2], b"PK");
}

#[test]
fn administrators_see_the_waves_and_a_designed_wave_per_agency_and_nobody_else_does() {
    use crate::helpers::{add_user, Browser, TestApp};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    let dir = TempDir::new("frame");
    let w = create_wave(&app.db, "Khảo sát <2026>");
    let file = frame_file(&dir, &["T1"], &[200]);
    assert_eq!(import(&app.db, &w.to_string(), &file).0, Some(0));
    let (code, _, err) = run(
        app.db.sipas().args([
            "wave",
            "design",
            "--wave",
            &w.to_string(),
            "--size",
            "yamane",
            "--allocation",
            "equal",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");

    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let list = admin.get("/admin/waves");
    assert_eq!(list.status(), 200);
    let list = list.text().unwrap();
    assert!(
        list.contains("Khảo sát &lt;2026&gt;"),
        "escaped name: {list}"
    );
    assert!(
        list.contains("Đã thiết kế mẫu") && list.contains(">200<"),
        "{list}"
    );
    let page = admin.page(&format!("/admin/waves/{w}"));
    // Yamane on 200: 200 / 1.5 = 133.3 → 134 respondents; 134 / 0.6 → 224, capped at 200.
    assert!(page.contains("<td>T1</td><td class=\"num\">200</td><td class=\"num\">134</td><td class=\"num\">200</td>"), "{page}");
    assert!(
        page.contains("Chọn mẫu với một hạt giống"),
        "the next step: {page}"
    );
    assert_eq!(admin.get("/admin/waves/9999").status(), 404);

    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    // Province pages do not exist for anyone else (as everywhere on the staff side).
    assert_eq!(manager.get("/admin/waves").status(), 404);
    assert_eq!(manager.get(&format!("/admin/waves/{w}")).status(), 404);
    assert_eq!(
        Browser::new(&app).get("/admin/waves").status(),
        303,
        "no session: to sign-in"
    );
}

/// Uploads `bytes` as the frame file of wave `w` through the page's form.
fn upload(
    browser: &crate::helpers::Browser,
    app: &crate::helpers::TestApp,
    w: i32,
    csrf: &str,
    bytes: Vec<u8>,
) -> reqwest::blocking::Response {
    let part = reqwest::blocking::multipart::Part::bytes(bytes)
        .file_name("khung-mau.csv")
        .mime_str("text/csv")
        .unwrap();
    browser
        .http
        .post(format!("{}/admin/waves/{w}/frame?csrf={csrf}", app.base))
        .multipart(reqwest::blocking::multipart::Form::new().part("file", part))
        .send()
        .unwrap()
}

#[test]
fn an_officer_runs_create_upload_design_and_draw_from_the_pages() {
    use crate::helpers::{add_user, hidden, Browser, TestApp};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    crate::helpers::agency_with_desk(&app.db, "A2", None);
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let csrf = hidden(&admin.page("/admin/waves"), "csrf");

    // A new wave: a bad year is refused with the field named, nothing created.
    let bad = admin.post(
        "/admin/waves",
        &[
            ("csrf", &csrf),
            ("name", "Đợt 2026"),
            ("year", "26"),
            ("instrument", "sipas-2017"),
        ],
    );
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .unwrap()
        .contains("Năm: một năm từ 2000 đến 2100"));
    assert_eq!(app.db.count("SELECT count(*) AS n FROM waves"), 0);
    let made = admin.post(
        "/admin/waves",
        &[
            ("csrf", &csrf),
            ("name", "Đợt 2026"),
            ("year", "2026"),
            ("instrument", "sipas-2017"),
        ],
    );
    assert_eq!(made.status(), 303);
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let w: i32 = location
        .trim_start_matches("/admin/waves/")
        .trim_end_matches("?done=created")
        .parse()
        .unwrap();
    let page = admin.page(&location);
    assert!(
        page.contains("Đã tạo đợt khảo sát") && page.contains("Nhập khung mẫu"),
        "{page}"
    );

    // An upload without the CSRF token is refused before anything is read.
    let forged = upload(&admin, &app, w, "forged", b"x".to_vec());
    assert_eq!(forged.status(), 403);

    // A file with problems: each by line and column, nothing imported.
    let broken = format!(
        "{HEADER}\nD1,T1,,2026-02-01,individual,A,,a@b.vn,X\nD2,NOPE,,2026-02-01,individual,B,,not-an-email,Y\n"
    );
    let refused = upload(&admin, &app, w, &csrf, broken.into_bytes());
    assert_eq!(refused.status(), 422);
    let text = refused.text().unwrap();
    assert!(text.contains("Dòng 3, cột agency_code"), "{text}");
    assert!(text.contains("Dòng 3, cột email"), "{text}");
    assert!(text.contains("không dòng nào được lưu"), "{text}");
    assert_eq!(frame_units(&app.db), 0);

    // An Excel file (BOM, CRLF) of 300 + 100 units imports.
    let mut good = String::from("\u{feff}");
    good.push_str(HEADER);
    good.push_str("\r\n");
    for (code, n) in [("T1", 300), ("A2", 100)] {
        for i in 0..n {
            good.push_str(&format!(
                "{code}-{i},{code},,2026-03-0{},organisation,Tên {i},,,Số {i} Hàng Bài\r\n",
                1 + i % 9
            ));
        }
    }
    let done = upload(&admin, &app, w, &csrf, good.into_bytes());
    assert_eq!(done.status(), 303, "{}", done.text().unwrap());
    assert_eq!(frame_units(&app.db), 400);
    let page = admin.page(&format!("/admin/waves/{w}?done=frame"));
    assert!(page.contains("Khung mẫu: 400 đơn vị"), "{page}");

    // The design: a bad field is named; a preview stores nothing; saving stores it.
    let design = |margin: &str, action: &str| {
        admin.post(
            &format!("/admin/waves/{w}/design"),
            &[
                ("csrf", csrf.as_str()),
                ("size", "yamane"),
                ("margin", margin),
                ("level", "95"),
                ("deff", "1"),
                ("response_rate", "60"),
                ("allocation", "proportional"),
                ("quota", ""),
                ("min", "30"),
                ("action", action),
            ],
        )
    };
    let bad = design("năm", "preview");
    assert_eq!(bad.status(), 422);
    assert!(bad.text().unwrap().contains("Sai số cho phép"));
    let preview = design("5", "preview");
    assert_eq!(preview.status(), 200);
    let text = crate::helpers::without_phone_labels(&preview.text().unwrap());
    // Yamane on N = 400 at ±5%: 400 / (1 + 400 · 0.0025) = 200; split 3:1 → 150 and 50;
    // invitations 150 / 0.6 = 250 and 50 / 0.6 = 83.3 → 84.
    assert!(text.contains("cần 200 phản hồi, mời 334 người"), "{text}");
    assert!(
        text.contains("<td>T1</td><td class=\"num\">300</td><td class=\"num\">150</td><td class=\"num\">250</td>"),
        "{text}"
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM wave_strata"), 0);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM waves WHERE state = 'draft'"),
        1
    );
    let saved = design("5", "save");
    assert_eq!(saved.status(), 303);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM wave_strata"), 2);

    // The draw: a seed that is not a whole number is refused; a good one draws and is kept.
    let draw = |seed: &str| {
        admin.post(
            &format!("/admin/waves/{w}/draw"),
            &[
                ("csrf", csrf.as_str()),
                ("seed", seed),
                ("method", "srs"),
                ("reserve", "20"),
            ],
        )
    };
    let bad = draw("-1");
    assert_eq!(bad.status(), 422);
    assert!(bad.text().unwrap().contains("Hạt giống"));
    assert_eq!(draw("20261129").status(), 303);
    let page = admin.page(&format!("/admin/waves/{w}"));
    assert!(page.contains("hạt giống 20261129"), "{page}");
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM sample_units WHERE reserve_rank IS NULL"),
        334
    );
    // Drawn once: a second draw is refused with the reason, the sample unchanged.
    let again = draw("1");
    assert_eq!(again.status(), 422);
    // In Vietnamese on the page (the command line says it in English).
    let again = again.text().unwrap();
    assert!(again.contains("mẫu đã được rút"), "{again}");
    assert!(!again.contains("drawn already"), "{again}");

    // The fieldwork starts from the page: the main sample is invited.
    let started = admin.post(
        &format!("/admin/waves/{w}/start"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(started.status(), 303);
    let page = admin.page(&format!("/admin/waves/{w}?done=started"));
    assert!(page.contains("Đã bắt đầu khảo sát"), "{page}");
    assert!(
        page.contains("Tỷ lệ phản hồi (RR1)")
            && page.contains(
                "<td><strong>Tổng</strong></td><td class=\"num\">334</td><td class=\"num\">0</td>"
            ),
        "{page}"
    );
    let again = admin.post(
        &format!("/admin/waves/{w}/start"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(again.status(), 422);
    assert!(again.text().unwrap().contains("đã bắt đầu khảo sát"));

    // The sample downloads without contact data.
    let csv = admin.get(&format!("/admin/waves/{w}/sample.csv"));
    assert_eq!(csv.status(), 200);
    let csv = csv.text().unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("unit_id,stratum,"),
        "{csv}"
    );
    assert!(
        !csv.contains("Tên ") && !csv.contains("T1-"),
        "no names or dossiers"
    );
    assert_eq!(
        admin.get(&format!("/admin/waves/{w}/sample.pdf")).status(),
        404
    );

    // Nobody else can take a step.
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let their_csrf = manager.csrf();
    let tried = manager.post(
        &format!("/admin/waves/{w}/design"),
        &[("csrf", their_csrf.as_str()), ("action", "save")],
    );
    assert_eq!(tried.status(), 404);
    assert_eq!(
        manager
            .get(&format!("/admin/waves/{w}/sample.csv"))
            .status(),
        404
    );
}

/// The multipart path of the CSRF check: an upload carries its token in the query, and an
/// upload without it, with another session's, or with it only inside the multipart body is
/// refused with 403 and stores nothing.
#[test]
fn an_upload_without_its_own_csrf_token_in_the_query_is_refused() {
    use crate::helpers::{add_user, hidden, Browser, TestApp};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    add_user(&app.db, "boss", Role::Admin, None);
    add_user(&app.db, "other", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let other = Browser::signed_in(&app, "other");
    let csrf = hidden(&admin.page("/admin/waves"), "csrf");
    let foreign = hidden(&other.page("/admin/waves"), "csrf");
    assert_ne!(csrf, foreign);
    let made = admin.post(
        "/admin/waves",
        &[
            ("csrf", &csrf),
            ("name", "Đợt 2026"),
            ("year", "2026"),
            ("instrument", "sipas-2017"),
        ],
    );
    assert_eq!(made.status(), 303);
    let w: i32 = app.db.count("SELECT max(id)::int8 AS n FROM waves") as i32;
    let frame = || {
        let mut text = String::from(
            "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address\n",
        );
        for i in 0..40 {
            text.push_str(&format!(
                "HS-{i:03},T1,,2026-05-0{},cá nhân,Lê Thị {i},,,Số {i} phố Huế\n",
                1 + i % 9
            ));
        }
        text.into_bytes()
    };
    let units = || app.db.count("SELECT count(*) AS n FROM frame_units");
    for (what, token) in [("missing", ""), ("foreign", foreign.as_str())] {
        let r = upload(&admin, &app, w, token, frame());
        assert_eq!(r.status(), 403, "{what}");
        assert_eq!(units(), 0, "{what}");
    }
    // The token only in the body, as a form field: the query is what counts.
    let part = reqwest::blocking::multipart::Part::bytes(frame())
        .file_name("khung-mau.csv")
        .mime_str("text/csv")
        .unwrap();
    let in_body = admin
        .http
        .post(format!("{}/admin/waves/{w}/frame", app.base))
        .multipart(
            reqwest::blocking::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part("file", part),
        )
        .send()
        .unwrap();
    assert_eq!(in_body.status(), 403);
    assert_eq!(units(), 0);
    let ok = upload(&admin, &app, w, &csrf, frame());
    assert!(
        ok.status().is_success() || ok.status() == 303,
        "{}",
        ok.status()
    );
    assert_eq!(units(), 40);
}
