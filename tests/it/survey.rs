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
