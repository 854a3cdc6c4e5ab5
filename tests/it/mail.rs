//! The e-mail outbox against a real SMTP server on loopback (`tests/support/smtp_sink.py`,
//! Debian's python3-aiosmtpd), with the real `sipas worker` process: the message as received,
//! delivery after the server was down, and no duplicate when the worker is killed mid-send
//! (issue #8, points 6 and 10).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fieldwork::{code_of, drawn_wave, sipas_ok};
use crate::helpers::{TempDir, TestDb};

const FROM: &str = "Sở Nội vụ tỉnh Thử <khaosat@snv.example.vn>";
const BASE: &str = "https://sipas.example.vn";

/// A loopback SMTP server; killed when dropped.
pub(crate) struct Sink {
    child: Child,
    dir: TempDir,
    pub(crate) port: u16,
}

fn python() -> &'static str {
    // Debian's interpreter has python3-aiosmtpd; a python3 earlier on PATH may not.
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sink {
    pub(crate) fn start(port: u16, faults: &[&str]) -> Sink {
        let dir = TempDir::new("smtp");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir.0)
            .args(faults)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/ensure-deps installs python3-aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink started");
        Sink { child, dir, port }
    }

    /// The messages received so far (decoded by Python's mail reader).
    pub(crate) fn messages(&self) -> Vec<serde_json::Value> {
        let mut out: Vec<(std::path::PathBuf, serde_json::Value)> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let v = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                (p, v)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    pub(crate) fn raw(&self) -> Vec<String> {
        std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sipas worker` (or `worker --until-idle`) pointed at the sink's port.
pub(crate) fn worker(db: &TestDb, port: u16) -> Command {
    let mut cmd = db.sipas();
    cmd.arg("worker")
        .env("SIPAS_SMTP_HOST", "127.0.0.1")
        .env("SIPAS_SMTP_PORT", port.to_string())
        .env("SIPAS_SMTP_TLS", "none")
        .env("SIPAS_SMTP_TIMEOUT_SECS", "20")
        .env("SIPAS_MAIL_FROM", FROM)
        .env("SIPAS_MAIL_RETRY_SECS", "1")
        .env("SIPAS_MAIL_LEASE_SECS", "2")
        .env("SIPAS_PUBLIC_URL", BASE)
        .env("SIPAS_LOG", "warn");
    cmd
}

/// The SMTP settings of the sink on `port`.
fn smtp_to(port: u16) -> sipas::config::Smtp {
    sipas::config::Smtp {
        host: "127.0.0.1".into(),
        port,
        tls: sipas::config::SmtpTls::None,
        username: None,
        password: None,
        from: FROM.into(),
        timeout: Duration::from_secs(20),
    }
}

/// A server's settings on `db` that sends the outbox to the sink on `port`.
fn node_settings(db: &TestDb, port: u16) -> sipas::config::Settings {
    let mut settings = sipas::config::Settings::local();
    settings.database_url = Some(db.url.clone());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.secret = Some(crate::helpers::SECRET.as_bytes().to_vec());
    settings.public_url = Some(BASE.to_owned());
    settings.workers = Some(1);
    settings.smtp = Some(smtp_to(port));
    settings
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A started wave with `emails` invitation e-mails queued: the database.
fn queued(emails: usize) -> TestDb {
    let db = TestDb::new();
    crate::helpers::fixture(&db);
    // 40 units, every 40/emails-th with an address; equal allocation with a response rate of
    // 1 invites 40 · (1 / (1 + 40 · 0.0025)) → 37 of them, so pick addresses among the main.
    let w = drawn_wave(&db, if emails <= 37 { 40 } else { 1_000 }, 0);
    db.count(&format!(
        "WITH chosen AS (SELECT frame_unit_id FROM sample_units WHERE reserve_rank IS NULL \
                         ORDER BY id LIMIT {emails}), \
              u AS (UPDATE frame_units f SET email = 'nguoi' || f.id || '@example.vn' \
                    FROM chosen WHERE f.id = chosen.frame_unit_id RETURNING 1) \
         SELECT count(*) AS n FROM u"
    ));
    sipas_ok(&db, &["wave", "start", "--wave", &w]);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox WHERE status = 'queued'"),
        emails as i64
    );
    db
}

fn status_count(db: &TestDb, status: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) AS n FROM outbox WHERE status = '{status}'"
    ))
}

#[test]
fn invitations_arrive_with_their_vietnamese_subject_link_and_code() {
    let db = queued(3);
    let sink = Sink::start(free_port(), &[]);
    let out = {
        let (code, out, err) = crate::helpers::run(worker(&db, sink.port).arg("--until-idle"), "");
        assert_eq!(code, Some(0), "{err}");
        out
    };
    assert!(out.contains("sent 3,"), "{out}");
    let got = sink.messages();
    assert_eq!(got.len(), 3);
    for m in &got {
        // As the mail reader decodes it: the Vietnamese subject and sender name intact.
        assert_eq!(
            m["subject"],
            "Mời Ông/Bà tham gia khảo sát sự hài lòng năm 2026"
        );
        assert_eq!(m["from"], FROM);
        let to = m["rcpt_tos"][0].as_str().unwrap();
        // The recipient's own unit, and so their own code.
        let unit = db.count(&format!(
            "SELECT s.id AS n FROM sample_units s JOIN frame_units f ON f.id = s.frame_unit_id \
             WHERE f.email = '{to}'"
        ));
        let code = code_of(unit);
        let link = format!("{BASE}/s/{code}");
        // Quoted-printable keeps the CRLF line ends of the wire.
        let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
        assert!(text.starts_with("Kính gửi Ông/Bà Nguyễn Thị "), "{text}");
        assert!(
            text.contains(&format!("Trả lời phiếu khảo sát: {link}\n")),
            "{link} in {text:?}"
        );
        assert!(
            text.contains(&sipas::domain::invitation::Invitation::grouped(&code)),
            "the code to type: {text}"
        );
        assert!(text.contains("Tỉnh Thử <nghiệm>"), "the agency: {text}");
        // (Tera writes "/" as the entity &#x2F;, which any HTML reader decodes.)
        let html = m["html"].as_str().unwrap().replace("&#x2F;", "/");
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        assert!(
            html.contains("Tỉnh Thử &lt;nghiệm&gt;"),
            "escaped in HTML: {html}"
        );
        // The stable Message-ID of the outbox row.
        let id: i64 = db.count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE '<' || message_id || '@snv.example.vn>' = '{}'",
            m["message_id"].as_str().unwrap()
        ));
        assert_eq!(id, 1, "{}", m["message_id"]);
    }
    // On the wire the subject is RFC 2047 encoded and every line is ASCII.
    for raw in sink.raw() {
        assert!(raw.is_ascii());
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
    }
    assert_eq!(status_count(&db, "sent"), 3);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'sent' AND detail LIKE '250%'"),
        3
    );
    // Nothing is sent twice: a second pass finds nothing due.
    let (_, again, _) = crate::helpers::run(worker(&db, sink.port).arg("--until-idle"), "");
    assert!(again.contains("sent 0,"), "{again}");
    assert_eq!(sink.messages().len(), 3);
}

#[test]
fn messages_wait_while_the_server_is_down_and_are_delivered_once_when_it_is_back() {
    let db = queued(2);
    let port = free_port();
    let mut running = worker(&db, port).spawn().unwrap();
    // The server is down: each attempt fails, is recorded, and is retried later.
    wait_for("failed attempts", Duration::from_secs(20), || {
        db.count("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'retry'") >= 4
    });
    assert_eq!(status_count(&db, "sent"), 0);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM outbox WHERE status = 'queued' AND last_error IS NOT NULL"
        ),
        2
    );
    let sink = Sink::start(port, &[]);
    wait_for("delivery", Duration::from_secs(60), || {
        status_count(&db, "sent") == 2
    });
    let _ = running.kill();
    let _ = running.wait();
    let got = sink.messages();
    assert_eq!(got.len(), 2, "each message once");
    assert_ne!(got[0]["rcpt_tos"], got[1]["rcpt_tos"]);
}

#[test]
fn two_workers_on_one_outbox_send_each_message_once() {
    // Two nodes, each with its worker: they claim with SKIP LOCKED, never the same message.
    let db = queued(12);
    let sink = Sink::start(free_port(), &[]);
    let mut workers: Vec<Child> = (0..2)
        .map(|_| worker(&db, sink.port).spawn().unwrap())
        .collect();
    wait_for("delivery", Duration::from_secs(60), || {
        status_count(&db, "sent") == 12
    });
    for w in &mut workers {
        kill(w);
    }
    let got = sink.messages();
    assert_eq!(got.len(), 12, "each message once");
    let recipients: std::collections::HashSet<String> = got
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recipients.len(), 12, "twelve people, one e-mail each");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'sent'"),
        12
    );
}

fn kill(child: &mut Child) {
    // SIGKILL: no chance to tidy up, as a crash or an OOM kill.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_worker_killed_mid_send_never_causes_a_second_copy() {
    // The server stores the message, then is slow to say so: the worker dies after sending
    // the body and before the answer. The message must not be sent again on its own.
    let db = queued(2);
    let sink = Sink::start(free_port(), &["--delay-data", "4"]);
    let mut first = worker(&db, sink.port).spawn().unwrap();
    wait_for("the body to be sent", Duration::from_secs(20), || {
        !sink.messages().is_empty()
    });
    kill(&mut first);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox WHERE status = 'sending' AND data_sent_at IS NOT NULL"),
        1
    );
    // Past the lease, the next worker finds it: uncertain, not resent; the other is sent.
    std::thread::sleep(Duration::from_millis(2500));
    let mut second = worker(&db, sink.port).spawn().unwrap();
    wait_for("the second message", Duration::from_secs(30), || {
        status_count(&db, "sent") == 1
    });
    kill(&mut second);
    assert_eq!(status_count(&db, "uncertain"), 1);
    assert_eq!(sink.messages().len(), 2, "one copy of each");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'uncertain'"),
        1
    );
}

#[test]
fn a_worker_killed_before_the_body_leaves_the_message_to_be_sent_once_later() {
    // The server is slow to accept the recipient: the worker dies before any of the body left.
    let db = queued(1);
    let sink = Sink::start(free_port(), &["--delay-rcpt", "3"]);
    let mut first = worker(&db, sink.port).spawn().unwrap();
    wait_for("the attempt to start", Duration::from_secs(20), || {
        status_count(&db, "sending") == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    kill(&mut first);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM outbox WHERE data_sent_at IS NULL AND status = 'sending'"
        ),
        1
    );
    std::thread::sleep(Duration::from_millis(2500));
    let mut second = worker(&db, sink.port).spawn().unwrap();
    wait_for("delivery", Duration::from_secs(30), || {
        status_count(&db, "sent") == 1
    });
    kill(&mut second);
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox_attempts WHERE outcome = 'interrupted'"),
        1
    );
}

#[test]
fn administrators_decide_on_failed_and_uncertain_messages_on_the_outbox_page() {
    use crate::helpers::{add_user, hidden, Browser, TestApp};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 160, 1);
    sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    // Nothing has left the queue and this server sends nothing: the wave page says so.
    let unsent = "Chưa có thư điện tử nào được gửi đi";
    assert!(admin.page(&format!("/admin/waves/{w}")).contains(unsent));
    // Two messages in the states only a worker reaches (tested above): one uncertain, one
    // failed.
    app.db.count(
        "WITH a AS (UPDATE outbox SET status = 'uncertain', attempts = 1, data_sent_at = now(), \
                    last_error = 'connection reset' WHERE id = (SELECT min(id) FROM outbox) RETURNING 1), \
              b AS (UPDATE outbox SET status = 'failed', attempts = 10, last_error = '550 no such user' \
                    WHERE id = (SELECT max(id) FROM outbox) RETURNING 1) \
         SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) AS n",
    );
    let (first, last) = (
        app.db.count("SELECT min(id) AS n FROM outbox"),
        app.db.count("SELECT max(id) AS n FROM outbox"),
    );
    assert!(
        !admin.page(&format!("/admin/waves/{w}")).contains(unsent),
        "a worker elsewhere has taken messages"
    );
    let page = admin.page("/admin/outbox");
    assert!(
        page.contains("Chưa rõ đã gửi hay chưa") && page.contains("550 no such user"),
        "{page}"
    );
    assert!(page.contains("ng•••@example.vn"), "masked: {page}");
    assert!(
        !page.contains("nguoi0@example.vn"),
        "never the whole address"
    );
    assert!(
        page.contains("chưa được cấu hình máy chủ thư"),
        "this server has no SMTP settings"
    );
    let csrf = hidden(&page, "csrf");
    // Fifty to a page, those needing a decision first; filtered by status, with its count.
    let queued = app
        .db
        .count("SELECT count(*) AS n FROM outbox WHERE status = 'queued'");
    let rows = |html: &str| html.matches("<tr><td>").count() as i64;
    let total = queued + 2;
    assert!(total > 100, "three pages: {total}");
    assert_eq!(rows(&page), 50);
    assert!(
        page.contains("trang 1/3") && page.contains("page=2"),
        "{page}"
    );
    let third = admin.page("/admin/outbox?page=3");
    assert_eq!(rows(&third), total - 100);
    assert!(third.contains("page=2") && !third.contains("page=4"));
    let failed = admin.page("/admin/outbox?status=failed");
    assert_eq!(rows(&failed), 1);
    assert!(failed.contains("550 no such user") && failed.contains("Gửi không được (1)"));
    assert!(failed.contains(&format!("Chờ gửi ({queued})")));
    // A status or page that does not exist shows the first page of everything.
    for odd in [
        "?status=%E1%BB%9D",
        "?page=-1",
        "?page=ờ",
        "?page=99999999999",
    ] {
        let r = admin.get(&format!("/admin/outbox{odd}"));
        assert_eq!(r.status(), 200, "{odd}");
    }
    assert_eq!(rows(&admin.page("/admin/outbox?page=9")), 0);

    let retry = admin.post(
        &format!("/admin/outbox/{first}"),
        &[("csrf", csrf.as_str()), ("action", "retry")],
    );
    assert_eq!(retry.status(), 303);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE id = {first} AND status = 'queued' AND data_sent_at IS NULL"
        )),
        1
    );
    // Deciding twice changes nothing more.
    let twice = admin.post(
        &format!("/admin/outbox/{first}"),
        &[("csrf", csrf.as_str()), ("action", "sent")],
    );
    assert_eq!(twice.headers()["location"], "/admin/outbox?done=unchanged");
    let sent = admin.post(
        &format!("/admin/outbox/{last}"),
        &[("csrf", csrf.as_str()), ("action", "sent")],
    );
    assert_eq!(sent.status(), 303);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE id = {last} AND status = 'sent' AND sent_at IS NOT NULL"
        )),
        1
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('outbox.retry', 'outbox.mark_sent')"),
        2
    );

    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(manager.get("/admin/outbox").status(), 404);
    let theirs = manager.csrf();
    assert_eq!(
        manager
            .post(
                &format!("/admin/outbox/{first}"),
                &[("csrf", theirs.as_str()), ("action", "sent")]
            )
            .status(),
        404
    );
}

/// Sets `column` of the frame row behind the `nth` queued message (0-based) to `value`, as a
/// frame imported before the door refused such values may hold it.
fn spoil(db: &TestDb, nth: usize, column: &str, value: &str) {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "UPDATE frame_units f SET {column} = $1 FROM ( \
             SELECT su.frame_unit_id FROM outbox o JOIN sample_units su ON su.id = o.sample_unit_id \
             ORDER BY o.id OFFSET {nth} LIMIT 1) c WHERE f.id = c.frame_unit_id"
    ))
    .bind::<Text, _>(value)
    .execute(&mut db.conn())
    .unwrap();
}

#[test]
fn a_name_or_address_that_would_break_a_header_fails_alone_and_the_worker_goes_on() {
    let db = queued(4);
    spoil(
        &db,
        0,
        "name",
        "Lan\r\nBcc: nan-nhan@example.vn\r\n\r\nThư giả",
    );
    spoil(&db, 1, "email", "an\u{200B}@example.vn");
    spoil(&db, 2, "email", "a%b@example.vn");
    let sink = Sink::start(free_port(), &[]);
    let mut settings = node_settings(&db, sink.port);
    settings.mail_timing.retry_base = Duration::from_secs(1);
    settings.mail_timing.lease = Duration::from_secs(2);
    let node = crate::helpers::Node::start(settings);
    wait_for("every message to end", Duration::from_secs(30), || {
        status_count(&db, "queued") + status_count(&db, "sending") == 0
    });
    assert_eq!(
        status_count(&db, "sent"),
        2,
        "the spoiled name is sent, one line"
    );
    assert_eq!(status_count(&db, "failed"), 2);
    for raw in sink.raw() {
        assert!(
            !raw.lines().any(|l| l.starts_with("Bcc:") || l == "Thư giả"),
            "a header or body injected: {raw}"
        );
    }
    let reasons = db.count(
        "SELECT count(*) AS n FROM outbox WHERE status = 'failed' \
         AND (last_error LIKE '%invisible%' OR last_error LIKE '%routing%')",
    );
    assert_eq!(reasons, 2, "each failure says why");
    let ready = reqwest::blocking::get(format!("{}/health/ready", node.base)).unwrap();
    assert_eq!(ready.status(), 200);
    let body = ready.text().unwrap();
    assert!(
        body.contains("outbox worker: running (restarted 0 times"),
        "{body}"
    );
}

#[test]
fn readiness_says_how_many_messages_wait_for_a_worker_on_another_node() {
    let db = queued(3);
    let mut settings = sipas::config::Settings::local();
    settings.database_url = Some(db.url.clone());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.secret = Some(crate::helpers::SECRET.as_bytes().to_vec());
    settings.workers = Some(1);
    settings.mail_timing.lease = Duration::from_secs(1);
    let node = crate::helpers::Node::start(settings);
    // Due for longer than the lease and taken by no worker: the queue does not move.
    std::thread::sleep(Duration::from_millis(2_100));
    let ready = reqwest::blocking::get(format!("{}/health/ready", node.base)).unwrap();
    assert_eq!(
        ready.status(),
        200,
        "this node sends no mail: it can still serve"
    );
    let body = ready.text().unwrap();
    assert!(
        body.contains("outbox worker: none on this node")
            && body.contains("3 message(s) waiting for a worker elsewhere"),
        "{body}"
    );
}

/// No thread of a stopped node is still inside libpq when the process exits (issue #17,
/// point 7): the writers, compaction, reminders, search keys and the outbox worker all end with
/// the server, promptly, even while the outbox is busy.
#[test]
fn a_stopped_node_leaves_none_of_its_threads_running() {
    let db = queued(20);
    let sink = Sink::start(free_port(), &[]);
    let settings = node_settings(&db, sink.port);
    let node = crate::helpers::Node::start(settings);
    wait_for("the outbox to start", Duration::from_secs(30), || {
        status_count(&db, "sent") > 0
    });
    let started = std::time::Instant::now();
    assert_eq!(node.stop(), 0, "every thread of the node has ended");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "stopping took {:?}",
        started.elapsed()
    );
}

/// Many workers on many messages at once (issue #17, point 6): each message is claimed under
/// its lease by one worker only and reaches its recipient once. Eight workers poll every 20 ms
/// so that they contend for the same rows all the time.
#[test]
fn eight_workers_on_223_messages_send_each_once() {
    let db = queued(223);
    let sink = Sink::start(free_port(), &[]);
    let smtp = smtp_to(sink.port);
    let pool = sipas::db::pool(&db.url, 10, Duration::from_secs(60)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let worker = sipas::mail::worker::Worker::new(
                pool.clone(),
                crate::helpers::SECRET.as_bytes().to_vec(),
                BASE.to_owned(),
                smtp.clone(),
                sipas::config::MailTiming::default(),
            )
            .unwrap();
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                sipas::mail::worker::supervise(worker, &stop, Duration::from_millis(20))
            })
        })
        .collect();
    wait_for("delivery", Duration::from_secs(120), || {
        status_count(&db, "sent") == 223
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let got = sink.messages();
    let recipients: std::collections::HashSet<String> = got
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got.len(), 223, "each message once");
    assert_eq!(recipients.len(), 223);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox_attempts"),
        223,
        "no message was claimed twice"
    );
}
