//! The admin commands, run as an operator runs them: `sipas user`, `sipas rotate-key`,
//! `sipas demo`. Each refusal exits 2 with the reason and changes nothing.

use crate::helpers::{run, TestDb};

fn users(db: &TestDb) -> i64 {
    db.count("SELECT count(*) AS n FROM users")
}

#[test]
fn sipas_user_creates_then_updates_an_account_and_ends_its_sessions() {
    let db = TestDb::new();
    crate::helpers::fixture(&db);
    let (code, out, err) = run(
        db.sipas().args(["user", "snv.admin"]),
        "a long enough password\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("created user 'snv.admin' (admin)"), "{out}");
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM users WHERE username = 'snv.admin' AND role = 'admin' \
                  AND password_hash LIKE '$argon2id$%'"
        ),
        1
    );
    assert!(!out.contains("a long enough password") && !err.contains("a long enough password"));

    // From SIPAS_PASSWORD, to an agency role: updated, and old sessions end.
    let (code, out, err) = run(
        db.sipas()
            .args(["user", "snv.admin", "--role", "manager", "--agency", "T1"])
            .env("SIPAS_PASSWORD", "another long password"),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("updated user 'snv.admin' (manager)"), "{out}");
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM users WHERE role = 'manager' AND agency_id IS NOT NULL"
        ),
        1
    );
    assert_eq!(users(&db), 1);
}

#[test]
fn sipas_user_refuses_bad_input_and_stores_nothing() {
    let db = TestDb::new();
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["user", "ops", "--role", "root"],
            "a long enough password\n",
            "--role",
        ),
        (&["user", "ops"], "short\n", "12 characters"),
        (
            &["user", "ops", "--role", "manager"],
            "a long enough password\n",
            "--agency",
        ),
        (
            &["user", "ops", "--role", "manager", "--agency", "NOPE"],
            "a long enough password\n",
            "NOPE",
        ),
        (&["user", "x"], "a long enough password\n", "username"),
    ];
    for (args, stdin, reason) in cases {
        let (code, _, err) = run(db.sipas().args(args), stdin);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(reason), "{args:?}: {err}");
        assert_eq!(users(&db), 0, "{args:?} stored a user");
    }
}

#[test]
fn sipas_rotate_key_revokes_a_desks_codes_and_refuses_unknown_desks() {
    let db = TestDb::new();
    let f = crate::helpers::fixture(&db);
    let version = || {
        db.count(&format!(
            "SELECT key_version::int8 AS n FROM desks WHERE id = {}",
            f.desk_id
        ))
    };
    let (code, out, err) = run(db.sipas().args(["rotate-key", &f.desk_id.to_string()]), "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("key version 2"), "{out}");
    assert_eq!(version(), 2);

    for bad in ["999999", "abc"] {
        let (code, _, err) = run(db.sipas().args(["rotate-key", bad]), "");
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(err.contains(bad), "{bad}: {err}");
    }
    assert_eq!(version(), 2, "nothing else rotated");
}

#[test]
fn sipas_demo_is_idempotent_and_shows_the_admin_password_once() {
    let db = TestDb::new();
    let counts = || {
        [
            db.count("SELECT count(*) AS n FROM agencies"),
            db.count("SELECT count(*) AS n FROM desks"),
            db.count("SELECT count(*) AS n FROM responses WHERE desk_id IS NOT NULL"),
            db.count("SELECT count(*) AS n FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.desk_id IS NOT NULL"),
            users(&db),
        ]
    };
    let demo = |extra: &[&str]| {
        let (code, out, err) = run(
            db.sipas()
                .args(["demo", "--responses", "300", "--seed", "7"])
                .args(extra),
            "",
        );
        assert_eq!(code, Some(0), "{err}");
        out
    };
    let first = demo(&[]);
    assert!(first.contains("300 responses and"), "{first}");
    // And a wave of the annual survey in fieldwork, about 60% answered.
    assert!(first.contains("annual survey: demo wave"), "{first}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM waves WHERE state = 'fieldwork'"),
        1
    );
    let answered = db.count("SELECT count(*) AS n FROM responses WHERE sample_unit_id IS NOT NULL");
    let invited = db.count("SELECT count(*) AS n FROM sample_units WHERE status <> 'selected'");
    assert!(
        answered * 10 > invited * 5 && answered * 10 < invited * 7,
        "{answered} of {invited}"
    );
    assert!(
        first.contains("admin sign-in: user 'admin', password '"),
        "{first}"
    );
    assert!(
        first.contains("desk form:   ") && first.contains("/q/"),
        "{first}"
    );
    let after_first = counts();
    assert_eq!(after_first[2], 300);
    assert_eq!(after_first[4], 1);

    let second = demo(&[]);
    assert!(second.contains("already loaded"), "{second}");
    assert!(
        !second.contains("password"),
        "the password is shown once: {second}"
    );
    assert_eq!(counts(), after_first, "a second run changes nothing");

    let reset = demo(&["--reset"]);
    assert!(reset.contains("300 responses and"), "{reset}");
    assert_eq!(counts()[..2], after_first[..2]);
    assert_eq!(counts()[2], 300, "--reset replaces, it does not add");

    // The demo builds its aggregates in memory as it generates the ratings: they are the cells
    // a rebuild from the raw rows gives.
    let mut conn = db.conn();
    let form = sipas::db::instruments::load_form(
        &mut conn,
        "sipas-2017",
        sipas::db::instruments::Form::Desk,
    )
    .unwrap();
    let sorted = |mut cells: Vec<sipas::db::rollup::Cell>| {
        cells.sort_by(|a, b| {
            (a.agency_id, a.day, a.desk_id, &a.respondent_kind).cmp(&(
                b.agency_id,
                b.day,
                b.desk_id,
                &b.respondent_kind,
            ))
        });
        cells
    };
    let loaded = sorted(sipas::db::rollup::all_cells(&mut conn, form.instrument_id).unwrap());
    assert_eq!(loaded.iter().map(|c| c.responses).sum::<i64>(), 300);
    sipas::results::rollup::rebuild(&mut conn, &form).unwrap();
    let rebuilt = sorted(sipas::db::rollup::all_cells(&mut conn, form.instrument_id).unwrap());
    assert_eq!(loaded, rebuilt);
}

/// `sipas check` (issue #21, point 6): one line per service, `ok` or what is wrong, exit
/// status 1 when anything is; a password in a URL is never printed.
#[test]
fn check_tries_each_service_and_names_what_is_wrong_in_one_line_each() {
    let db = crate::helpers::TestDb::new();
    crate::helpers::fixture(&db);
    let (code, out, err) = crate::helpers::run(db.sipas().arg("check"), "");
    assert_eq!(code, Some(0), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("configuration: ok: read"), "{out}");
    assert!(
        lines[1].starts_with("database: ok: ") && lines[1].ends_with("answers; migrations applied"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("rate limits: ok: in this node's memory"),
        "{out}"
    );
    assert!(lines[3].starts_with("smtp: ok: not configured"), "{out}");

    // With a loopback SMTP server: it connects and says goodbye.
    let sink = crate::mail::Sink::start(crate::mail::free_port(), &[]);
    let (code, out, _) = crate::helpers::run(
        db.sipas()
            .arg("check")
            .env("SIPAS_SMTP_HOST", "127.0.0.1")
            .env("SIPAS_SMTP_PORT", sink.port.to_string())
            .env("SIPAS_SMTP_TLS", "none")
            .env("SIPAS_MAIL_FROM", "Sở Nội vụ <snv@example.vn>"),
        "",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "smtp: ok: 127.0.0.1:{} accepts a connection",
            sink.port
        )),
        "{out}"
    );
    assert!(sink.messages().is_empty(), "a check sends nothing");

    // Nothing answers: a database, Redis and SMTP on ports where nobody listens.
    let dead = crate::mail::free_port();
    let (code, out, err) = crate::helpers::run(
        crate::helpers::sipas()
            .arg("check")
            .env(
                "DATABASE_URL",
                format!("postgres://sipas:mật-khẩu-bí-mật@127.0.0.1:{dead}/sipas"),
            )
            .env("SIPAS_SECRET", crate::helpers::SECRET)
            .env("SIPAS_REDIS_URL", format!("redis://127.0.0.1:{dead}"))
            .env("SIPAS_SMTP_HOST", "127.0.0.1")
            .env("SIPAS_SMTP_PORT", dead.to_string())
            .env("SIPAS_SMTP_TLS", "none")
            .env("SIPAS_MAIL_FROM", "snv@example.vn"),
        "",
    );
    assert_eq!(code, Some(1), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "one line each: {out}");
    assert!(lines[0].starts_with("configuration: ok"), "{out}");
    assert!(
        lines[1].starts_with("database: PROBLEM: cannot connect to"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("rate limits: PROBLEM: Redis does not answer"),
        "{out}"
    );
    assert!(
        lines[3].starts_with(&format!("smtp: PROBLEM: 127.0.0.1:{dead}")),
        "{out}"
    );
    assert!(
        !out.contains("mật-khẩu-bí-mật") && !err.contains("mật-khẩu-bí-mật"),
        "{out}{err}"
    );

    // A setting it cannot read is its one line.
    let (code, out, _) =
        crate::helpers::run(db.sipas().arg("check").env("SIPAS_SCREENING", "có"), "");
    assert_eq!(code, Some(1));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("configuration: SIPAS_SCREENING must be 'on' or 'off'"),
        "{out}"
    );
}
