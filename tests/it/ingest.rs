//! The ingest writer's promises, each forced to happen: repeats folded inside a batch, a failed
//! batch stored one by one, a failure inside the statement leaving nothing, a full queue
//! answering 503, a replay never overwriting, and no address or user agent in the logs.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use sipas::db::instruments::{load_form, Form};
use sipas::db::responses::{store_desk_batch, PendingDesk, Stored};
use sipas::domain::{Channel, RespondentKind, Role, Submission};

use crate::helpers::{add_user, sid, TestApp, TestDb, PASSWORD, SECRET};

/// A rating whose answers are given as (item id, value), checked by nothing but the database.
fn pending(desk_id: i32, answers: Vec<(i32, Option<i16>)>) -> PendingDesk {
    PendingDesk {
        desk_id,
        key_version: 1,
        channel: Channel::DeskQr,
        submission: Submission {
            id: uuid::Uuid::new_v4(),
            respondent_kind: RespondentKind::Individual,
            procedure_code: None,
            comment: None,
            answers,
            choices: Vec::new(),
        },
        flags: Vec::new(),
        client: None,
    }
}

struct Desk {
    db: TestDb,
    form: sipas::domain::FormSpec,
    desk_id: i32,
    f1: i32,
    f2: i32,
}

fn desk() -> Desk {
    let db = TestDb::new();
    let fixture = crate::helpers::fixture(&db);
    let form = load_form(&mut db.conn(), "sipas-2017", Form::Desk).unwrap();
    let item = |code: &str| {
        form.questions
            .iter()
            .find(|q| q.code == code)
            .unwrap()
            .item_id
    };
    let (f1, f2) = (item("F1"), item("F2"));
    Desk {
        desk_id: fixture.desk_id,
        f1,
        f2,
        form,
        db,
    }
}

impl Desk {
    /// Stores a batch as the writer does, aggregates included.
    fn store(
        &self,
        batch: &[&PendingDesk],
    ) -> diesel::QueryResult<Vec<sipas::db::responses::BatchResult>> {
        let cells = |s: &[&PendingDesk]| {
            sipas::results::rollup::deltas(&self.form, s).map_err(|e| e.to_string())
        };
        // Nothing is held here: screening has its own tests (tests/it/screening.rs).
        let screen =
            |_: &mut diesel::PgConnection, created: &[&PendingDesk]| Ok(vec![false; created.len()]);
        store_desk_batch(&mut self.db.conn(), &self.form, batch, &cells, &screen, 0)
    }

    /// Ratings counted in the daily aggregates.
    fn aggregated(&self) -> i64 {
        self.db
            .count("SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily")
    }
}

/// Responses left without any answer: what a torn write would leave.
fn orphans(db: &TestDb) -> i64 {
    db.count(
        "SELECT count(*) AS n FROM responses r \
         WHERE NOT EXISTS (SELECT 1 FROM answers a WHERE a.response_id = r.id)",
    )
}

#[test]
fn a_failure_inside_the_statement_leaves_no_response_without_its_answers() {
    let d = desk();
    // The first answer is fine; the second is a score or an item the form does not have
    // (what `Submission::parse` refuses, coming from another caller).
    for bad in [(d.f2, Some(9)), (d.f2, Some(0)), (2_000_000_000, Some(4))] {
        let torn = pending(d.desk_id, vec![(d.f1, Some(5)), bad]);
        let err = d.store(&[&torn]).unwrap_err();
        assert!(
            matches!(err, diesel::result::Error::QueryBuilderError(_)),
            "{err}"
        );
        assert_eq!(
            d.db.count("SELECT count(*) AS n FROM responses"),
            0,
            "{bad:?}"
        );
        assert_eq!(
            d.db.count("SELECT count(*) AS n FROM answers"),
            0,
            "{bad:?}"
        );
    }
}

#[test]
fn a_failed_batch_is_stored_one_by_one_so_one_bad_rating_sinks_no_neighbour() {
    let d = desk();
    let good_a = pending(d.desk_id, vec![(d.f1, Some(4)), (d.f2, None)]);
    let bad = pending(d.desk_id, vec![(d.f1, Some(5)), (d.f2, Some(0))]);
    let good_b = pending(d.desk_id, vec![(d.f2, Some(2))]);
    let results = d.store(&[&good_a, &bad, &good_b]).unwrap();
    assert_eq!(results[0].as_ref().ok(), Some(&Stored::Created));
    assert!(results[1].is_err(), "the bad one fails alone");
    assert_eq!(results[2].as_ref().ok(), Some(&Stored::Created));
    assert_eq!(d.db.count("SELECT count(*) AS n FROM responses"), 2);
    assert_eq!(d.db.count("SELECT count(*) AS n FROM answers"), 3);
    assert_eq!(orphans(&d.db), 0);
    assert_eq!(d.aggregated(), 2, "only the stored ratings are aggregated");
    assert_eq!(
        d.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE id = '{}'",
            bad.submission.id
        )),
        0
    );
}

#[test]
fn repeats_inside_one_batch_are_stored_once_and_answered_as_duplicates() {
    let d = desk();
    let first = pending(d.desk_id, vec![(d.f1, Some(5))]);
    // A double click: the same submission id, landing in the same batch, other answers.
    let mut repeat = pending(d.desk_id, vec![(d.f1, Some(1)), (d.f2, Some(1))]);
    repeat.submission.id = first.submission.id;
    let other = pending(d.desk_id, vec![(d.f2, Some(3))]);
    let results = d.store(&[&first, &repeat, &other, &repeat]).unwrap();
    let stored: Vec<Stored> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        stored,
        [
            Stored::Created,
            Stored::Duplicate,
            Stored::Created,
            Stored::Duplicate
        ]
    );
    assert_eq!(d.db.count("SELECT count(*) AS n FROM responses"), 2);
    assert_eq!(
        d.db.count(&format!(
            "SELECT count(*) AS n FROM answers WHERE response_id = '{}' AND value = 5",
            first.submission.id
        )),
        1,
        "the first of the repeats stands"
    );
    assert_eq!(d.db.count("SELECT count(*) AS n FROM answers"), 2);
    assert_eq!(d.aggregated(), 2, "a repeat is aggregated once");
}

#[test]
fn a_replay_with_other_answers_overwrites_nothing() {
    let app = TestApp::spawn();
    let id = sid();
    let body = |f1: i64, comment: &str| {
        serde_json::json!({
            "submission_id": id, "desk_token": app.token(),
            "answers": { "F1": f1 }, "comment": comment,
        })
    };
    assert_eq!(app.post_json(&body(5, "first")).status(), 201);
    let replay = app.post_json(&body(1, "second"));
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay.json::<serde_json::Value>().unwrap()["status"],
        "duplicate"
    );
    let form = app.post_form(
        &app.token(),
        &[("submission_id", &id), ("a.F1", "2"), ("a.F2", "2")],
    );
    assert_eq!(form.status(), 200);
    assert_eq!(app.responses(), 1);
    assert_eq!(app.answers(), 1);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses r JOIN answers a ON a.response_id = r.id \
             WHERE r.id = '{id}' AND r.comment = 'first' AND a.value = 5"
        )),
        1
    );
}

#[test]
fn a_full_queue_answers_503_with_retry_after_and_stores_that_rating_never() {
    let app = TestApp::spawn_with(|s| {
        s.db_writers = 1;
        s.ingest_queue = 1;
    });
    // Hold the responses table so the one writer blocks on its first batch.
    let mut blocker = app.db.conn();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        blocker
            .transaction::<_, diesel::result::Error, _>(|c| {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE"),
                    c,
                )?;
                locked.send(()).unwrap();
                released.recv().unwrap();
                Ok(())
            })
            .unwrap();
    });
    is_locked.recv().unwrap();
    let app = Arc::new(app);
    let post = |app: &Arc<TestApp>| {
        let app = Arc::clone(app);
        std::thread::spawn(move || {
            let r = app.post_form(&app.token(), &[("submission_id", &sid()), ("a.F1", "4")]);
            (r.status().as_u16(), r.headers().get("retry-after").cloned())
        })
    };
    let taken = post(&app); // the writer takes it and waits for the lock
    std::thread::sleep(Duration::from_millis(400));
    let queued = post(&app); // fills the queue of one
    std::thread::sleep(Duration::from_millis(400));
    let (status, retry) = post(&app).join().unwrap();
    assert_eq!(status, 503, "the third finds the queue full");
    assert_eq!(retry.unwrap(), "1");
    release.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(taken.join().unwrap().0, 200);
    assert_eq!(queued.join().unwrap().0, 200);
    assert_eq!(app.responses(), 2, "the refused one was never stored");
}

#[test]
fn no_client_address_or_user_agent_reaches_the_log() {
    let db = TestDb::new();
    let fixture = crate::helpers::fixture(&db);
    add_user(&db, "snv.admin", Role::Admin, None);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = db
        .sipas()
        .arg("serve")
        .env("SIPAS_BIND", format!("127.0.0.1:{port}"))
        .env("SIPAS_TRUST_PROXY", "1")
        .env("SIPAS_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("serving on"), "{line}");

    let (address, agent) = ("198.51.100.77", "ProbeAgent/7.7 (sipas-log-test)");
    let http = reqwest::blocking::Client::builder()
        .user_agent(agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let token = sipas::domain::DeskToken {
        desk_id: fixture.desk_id,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    let send = |rb: reqwest::blocking::RequestBuilder| {
        rb.header("x-forwarded-for", address)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(send(http.get(format!("{base}/q/{token}"))), 200);
    assert_eq!(
        send(
            http.post(format!("{base}/q/{token}"))
                .form(&[("submission_id", sid().as_str()), ("a.F1", "5")])
        ),
        200
    );
    assert_eq!(
        send(
            http.post(format!("{base}/q/garbage"))
                .form(&[("a.F1", "5")])
        ),
        404
    );
    assert_eq!(
        send(http.post(format!("{base}/api/v1/responses")).json(
            &serde_json::json!({"submission_id": sid(), "desk_token": token, "answers": {"F1": 9}})
        )),
        422
    );
    assert_eq!(send(http.get(format!("{base}/nowhere"))), 404);
    // A bug below the door (a table gone) is a 500 logged with its cause: the log is being
    // captured.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("ALTER TABLE desks RENAME TO desks_gone"),
        &mut db.conn(),
    )
    .unwrap();
    assert_eq!(send(http.get(format!("{base}/q/{token}"))), 500);
    diesel::RunQueryDsl::execute(
        diesel::sql_query("ALTER TABLE desks_gone RENAME TO desks"),
        &mut db.conn(),
    )
    .unwrap();
    let staff = reqwest::blocking::Client::builder()
        .user_agent(agent)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = staff
        .get(format!("{base}/admin/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = crate::helpers::hidden(&login, "csrf");
    let signed = staff
        .post(format!("{base}/admin/login"))
        .header("x-forwarded-for", address)
        .form(&[
            ("username", "snv.admin"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(signed.status(), 303);

    let _ = server.kill();
    let out = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("signed in"), "sign-ins are logged: {log}");
    assert!(
        log.lines()
            .any(|l| l.contains("request failed") && l.contains("desks") && l.contains("id=")),
        "the failure's cause is logged with the request's id: {log}"
    );
    assert!(
        !log.contains(address),
        "the client address was logged: {log}"
    );
    assert!(
        !log.contains("198.51.100"),
        "part of the address was logged"
    );
    assert!(
        !log.contains("ProbeAgent"),
        "the user agent was logged: {log}"
    );
    assert!(!log.contains("snv.admin"), "the username was logged: {log}");
}

/// "Whole, once, or not at all", forced inside the database: the aggregates refuse the batch
/// after the ratings' INSERT ran (a conflict PostgreSQL asks to retry). Nothing remains, the
/// client hears 503 "may not have been stored", and the same submission sent again is stored
/// once.
#[test]
fn a_batch_that_fails_after_its_insert_leaves_no_rating_and_no_aggregate() {
    let app = TestApp::spawn();
    app.db.exec(
        "CREATE FUNCTION conflict() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         RAISE EXCEPTION 'test conflict' USING ERRCODE = 'serialization_failure'; END $$",
    );
    app.db.exec(
        "CREATE TRIGGER conflict BEFORE INSERT OR UPDATE ON desk_daily \
         FOR EACH ROW EXECUTE FUNCTION conflict()",
    );
    let id = sid();
    let body = serde_json::json!({
        "submission_id": id, "desk_token": app.token(), "answers": { "F1": 4 },
        "comment": "Quầy số 1+2 làm nhanh 👍"
    });
    let r = app.post_json(&body);
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    assert!(r.text().unwrap().contains("may not have been stored"));
    let form = app.post_form(&app.token(), &[("submission_id", &sid()), ("a.F1", "5")]);
    assert_eq!(form.status(), 503);
    assert_eq!(app.responses(), 0);
    assert_eq!(app.answers(), 0);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM desk_daily"), 0);

    app.db.exec("DROP TRIGGER conflict ON desk_daily");
    assert_eq!(app.post_json(&body).status(), 201);
    assert_eq!(
        app.post_json(&body).status(),
        200,
        "the retry is a duplicate"
    );
    assert_eq!(app.responses(), 1);
    assert_eq!(
        app.db
            .count("SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily"),
        1
    );
}

/// The 4-second commit deadline: while another session holds the aggregates, the client hears
/// 503 after about four seconds (not an endless wait); the rating commits once the lock goes, and
/// the retry with the same id finds it stored.
#[test]
fn a_commit_past_its_deadline_answers_503_and_the_retry_finds_it_stored_once() {
    let app = TestApp::spawn();
    let lock = app.db.lock("desk_daily");
    let body = serde_json::json!({
        "submission_id": sid(), "desk_token": app.token(), "answers": { "F1": 3 }
    });
    let started = std::time::Instant::now();
    let r = app.post_json(&body);
    let waited = started.elapsed();
    drop(lock);
    assert_eq!(r.status(), 503);
    assert!(r.text().unwrap().contains("may not have been stored"));
    assert!(
        waited >= Duration::from_millis(3_900) && waited < Duration::from_secs(8),
        "answered after {waited:?}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.responses() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(app.responses(), 1, "the batch committed once the lock went");
    assert_eq!(
        app.post_json(&body).status(),
        200,
        "the retry is a duplicate"
    );
    assert_eq!(app.responses(), 1);
}
