//! The annual survey's fieldwork, as respondents and officers meet it: the sample is invited
//! (`sipas wave start`), each invitation's code opens the full form once, and a second use is
//! refused politely (issue #8, points 2 and 6).

use sipas::domain::invitation::Invitation;

use crate::helpers::{run, TempDir, TestApp, TestDb, SECRET};

const HEADER: &str =
    "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address";

/// Runs `sipas ARGS…` and expects success; its standard output.
pub fn sipas_ok(db: &TestDb, args: &[&str]) -> String {
    let (code, out, err) = run(db.sipas().args(args), "");
    assert_eq!(code, Some(0), "sipas {args:?}: {err}");
    out
}

/// A wave over agency T1 whose sample is drawn: `units` frame units, every `email_every`-th
/// with an e-mail address (`nguoi{i}@example.vn`), all with a postal address. The wave id.
/// A new wave "Khảo sát 2026" of year 2026 (`sipas wave create`); its id.
pub fn new_wave(db: &TestDb) -> String {
    sipas_ok(
        db,
        &[
            "wave",
            "create",
            "--name",
            "Khảo sát 2026",
            "--year",
            "2026",
        ],
    )
    .trim()
    .to_owned()
}

pub fn drawn_wave(db: &TestDb, units: usize, email_every: usize) -> String {
    let w = new_wave(db);
    let dir = TempDir::new("frame");
    let mut text = format!("{HEADER}\n");
    for i in 0..units {
        let email = if email_every > 0 && i % email_every == 0 {
            format!("nguoi{i}@example.vn")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "HS-{i:05},T1,,2026-06-01,individual,Nguyễn Thị {i},,{email},Số {i} Tràng Tiền\n"
        ));
    }
    let file = dir.join("frame.csv");
    std::fs::write(&file, text).unwrap();
    sipas_ok(
        db,
        &["frame", "import", "--wave", &w, file.to_str().unwrap()],
    );
    sipas_ok(
        db,
        &[
            "wave",
            "design",
            "--wave",
            &w,
            "--size",
            "yamane",
            "--allocation",
            "equal",
            "--response-rate",
            "1",
        ],
    );
    sipas_ok(db, &["wave", "draw", "--wave", &w, "--seed", "2026"]);
    w
}

/// The ids of the wave's sampled units: (main sample, reserve).
pub fn unit_ids(db: &TestDb) -> (Vec<i64>, Vec<i64>) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        reserve: bool,
    }
    let rows: Vec<Row> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT id, reserve_rank IS NOT NULL AS reserve FROM sample_units ORDER BY id",
        ),
        &mut db.conn(),
    )
    .unwrap();
    let (reserve, main): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.reserve);
    (
        main.into_iter().map(|r| r.id).collect(),
        reserve.into_iter().map(|r| r.id).collect(),
    )
}

pub fn code_of(unit: i64) -> String {
    Invitation { unit_id: unit }.sign(SECRET.as_bytes())
}

fn full_answers(sid: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("submission_id".to_owned(), sid.to_owned()),
        ("respondent_kind".to_owned(), "organisation".to_owned()),
        ("comment".to_owned(), "Cán bộ nhiệt tình".to_owned()),
    ];
    for f in 1..=5 {
        fields.push((format!("a.F{f}"), "4".to_owned()));
    }
    fields.push(("a.F3.1".to_owned(), "5".to_owned()));
    fields.push(("a.F5.4".to_owned(), "na".to_owned()));
    fields.push(("a.OVERALL".to_owned(), "4".to_owned()));
    // The choice questions: two areas to improve, and the profile.
    fields.push(("c.EXPECT".to_owned(), "1".to_owned()));
    fields.push(("c.EXPECT".to_owned(), "3".to_owned()));
    fields.push(("c.GENDER".to_owned(), "2".to_owned()));
    fields.push(("c.OCCUPATION".to_owned(), "9".to_owned()));
    fields
}

fn post(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::blocking::Response {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", app.base))
        .form(fields)
        .send()
        .unwrap()
}

fn get(app: &TestApp, path: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.base))
        .send()
        .unwrap()
}

#[test]
fn an_invitation_opens_the_full_form_once_and_a_second_use_is_refused_politely() {
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 120, 3);
    let (main, reserve) = unit_ids(&app.db);
    assert!(!main.is_empty() && !reserve.is_empty());
    let code = code_of(main[0]);

    // Before the fieldwork starts, the invitation is not open yet.
    let early = get(&app, &format!("/s/{code}"));
    assert_eq!(early.status(), 410);
    assert!(early.text().unwrap().contains("không nhận phiếu"));

    let out = sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    let invited = main.len().to_string();
    assert!(out.contains(&format!("invited\t{invited}")), "{out}");
    // Every third frame unit has an e-mail address: the e-mails queued are exactly the
    // main-sample units that have one.
    let with_email = app.db.count(
        "SELECT count(*) AS n FROM sample_units s JOIN frame_units f ON f.id = s.frame_unit_id \
         WHERE s.reserve_rank IS NULL AND f.email IS NOT NULL",
    );
    assert!(
        out.contains(&format!("emails queued\t{with_email}")),
        "{out}"
    );
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM outbox WHERE kind = 'invitation' AND status = 'queued'"
        ),
        with_email
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM waves WHERE state = 'fieldwork'"),
        1
    );
    // Starting twice is refused and queues nothing more.
    let (again, _, err) = run(app.db.sipas().args(["wave", "start", "--wave", &w]), "");
    assert_eq!(again, Some(2));
    assert!(err.contains("has started already"), "{err}");
    assert_eq!(app.db.count("SELECT count(*) AS n FROM outbox"), with_email);

    // The full form: all 22 criteria, the 5 factor questions and the overall question, in
    // parts (one per factor and the overall) with a progress indication; then the expectation
    // question (several of the five factors) and the profile (kind, gender, age band,
    // education, occupation).
    let form = get(&app, &format!("/s/{code}"));
    assert_eq!(form.status(), 200);
    let html = form.text().unwrap();
    assert_eq!(
        html.matches("<legend>").count(),
        28 + 5 + 1,
        "28 rated questions, 5 choice questions and the kind"
    );
    assert_eq!(html.matches("<h2 class=\"part\">").count(), 7);
    assert!(html.contains("<progress max=\"7\" value=\"1\">"), "{html}");
    assert_eq!(
        html.matches("type=\"checkbox\" name=\"c.EXPECT\"").count(),
        5
    );
    assert!(html.contains("Trình độ học vấn") && html.contains("Nghỉ hưu"));
    assert!(html.contains("Phiếu khảo sát sự hài lòng") && html.contains("Khảo sát 2026 (2026)"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("Nguyễn Thị"), "no personal data on the form");

    // A refused answer keeps what was typed and stores nothing.
    let mut bad = full_answers(&crate::helpers::sid());
    bad.push(("a.F1.1".into(), "9".into()));
    bad.push(("c.AGE".into(), "7".into()));
    let refused = post(&app, &format!("/s/{code}"), &bad);
    assert_eq!(refused.status(), 422);
    let text = refused.text().unwrap();
    assert!(text.contains("Mức đánh giá phải từ 1 đến 5"), "{text}");
    assert!(
        text.contains("Vui lòng chọn một lựa chọn có trong câu hỏi"),
        "{text}"
    );
    // What was chosen is shown again.
    assert!(
        text.contains("name=\"c.EXPECT\" value=\"3\" checked"),
        "{text}"
    );
    assert_eq!(app.responses(), 0);

    // Stored once, with the unit, as an annual-sample response.
    let sid = crate::helpers::sid();
    let answers = full_answers(&sid);
    let ok = post(&app, &format!("/s/{code}"), &answers);
    assert_eq!(ok.status(), 200);
    assert!(ok.text().unwrap().contains("Cảm ơn"));
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE channel = 'annual_sample' \
             AND sample_unit_id = {} AND desk_id IS NULL AND respondent_kind = 'organisation'",
            main[0]
        )),
        1
    );
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM sample_units WHERE id = {} AND status = 'responded' \
             AND responded_at IS NOT NULL",
            main[0]
        )),
        1
    );
    // The answers sit in their items' slots: F3.1 = 5, F5.4 no opinion, the overall 4.
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM answers a JOIN items i ON i.id = a.item_id WHERE \
             (i.code = 'F3.1' AND a.value = 5) OR (i.code = 'F5.4' AND a.value IS NULL) \
             OR (i.code = 'OVERALL' AND a.value = 4)"
        ),
        3
    );

    // The choices are stored against their options.
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM response_choices c JOIN choice_questions q ON q.id = c.question_id \
             WHERE (q.code = 'EXPECT' AND c.value IN (1, 3)) OR (q.code = 'GENDER' AND c.value = 2) \
                OR (q.code = 'OCCUPATION' AND c.value = 9)"
        ),
        4
    );
    // A retry of the same submission is thanked again and stores nothing new; another
    // submission through the same invitation is refused politely.
    assert_eq!(post(&app, &format!("/s/{code}"), &answers).status(), 200);
    let second = post(
        &app,
        &format!("/s/{code}"),
        &full_answers(&crate::helpers::sid()),
    );
    assert_eq!(second.status(), 409);
    assert!(second
        .text()
        .unwrap()
        .contains("Mỗi thư mời chỉ dùng được một lần"));
    let reopened = get(&app, &format!("/s/{code}"));
    assert_eq!(reopened.status(), 409);
    assert_eq!(app.responses(), 1);

    // A reserve unit is not invited yet; a changed code names nobody.
    assert_eq!(
        get(&app, &format!("/s/{}", code_of(reserve[0]))).status(),
        410
    );
    let mut forged = code.clone().into_bytes();
    forged[15] = if forged[15] == b'Z' { b'Y' } else { b'Z' };
    let forged = String::from_utf8(forged).unwrap();
    let nobody = get(&app, &format!("/s/{forged}"));
    assert_eq!(nobody.status(), 404);
    assert!(nobody.text().unwrap().contains("Mã mời không đúng"));
    assert_eq!(post(&app, &format!("/s/{forged}"), &answers).status(), 404);

    // Typed from the letter: any case, dashes or spaces, leads to the form.
    let typed = Invitation::grouped(&code_of(main[1])).to_lowercase();
    let entered = get(&app, &format!("/s?code={typed}"));
    assert_eq!(entered.status(), 303);
    assert_eq!(
        entered.headers()["location"].to_str().unwrap(),
        format!("/s/{}", code_of(main[1]))
    );
    let wrong = get(&app, "/s?code=ABCD-EFGH");
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().unwrap().contains("Mã mời không đúng"));
    assert_eq!(get(&app, "/s").status(), 200);
}

/// The QR codes of a letters document, decoded, in page order.
fn decoded_qr_codes(html: &str) -> Vec<String> {
    use base64::Engine;
    html.split("src=\"data:image/png;base64,")
        .skip(1)
        .map(|rest| {
            let b64 = &rest[..rest.find('"').unwrap()];
            let png = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            let img = image::load_from_memory(&png).unwrap().to_luma8();
            let mut prepared = rqrr::PreparedImage::prepare(img);
            let grids = prepared.detect_grids();
            assert_eq!(grids.len(), 1, "one QR code per letter");
            grids[0].decode().unwrap().1
        })
        .collect()
}

#[test]
fn letters_print_one_page_per_person_whose_qr_code_opens_their_own_invitation() {
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 50, 5);
    let dir = TempDir::new("letters");
    let letters = |extra: &[&str]| {
        let mut cmd = app.db.sipas();
        cmd.args(["wave", "letters", "--wave", &w, "--out"])
            .arg(&dir.0)
            .args(["--sender", "Sở Nội vụ tỉnh Thử"])
            .args(extra)
            .env("SIPAS_PUBLIC_URL", "https://sipas.example.vn");
        run(&mut cmd, "")
    };
    // Before the fieldwork, there is nobody to write to yet.
    let (code, _, err) = letters(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("fieldwork has started"), "{err}");

    sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    let (main, _) = unit_ids(&app.db);
    // One answers before the letters are printed: no letter for them.
    app.db.count(&format!(
        "WITH u AS (UPDATE sample_units SET status = 'responded' WHERE id = {} RETURNING 1) \
         SELECT count(*) AS n FROM u",
        main[0]
    ));
    let (code, out, err) = letters(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&format!("{} letters", main.len() - 1)),
        "{out}"
    );
    let html = std::fs::read_to_string(dir.join(format!("letters-wave-{w}.html"))).unwrap();
    assert_eq!(
        html.matches("<section class=\"letter\">").count(),
        main.len() - 1
    );
    if let Ok(keep) = std::env::var("SIPAS_SCREENSHOTS") {
        std::fs::write(format!("{keep}/letters.html"), &html).unwrap();
    }
    assert!(html.contains("@page{size:A4 portrait") && html.contains("break-after:page"));
    assert!(html.contains("Kính gửi: <strong>Ông/Bà Nguyễn Thị "));
    assert!(html.contains("Sở Nội vụ tỉnh Thử") && html.contains("Trả lời trên giấy"));
    assert!(!html.contains("<script"));
    // Every QR code decodes to its person's own invitation, letters in unit order.
    let expected: Vec<String> = main[1..]
        .iter()
        .map(|&u| format!("https://sipas.example.vn/s/{}", code_of(u)))
        .collect();
    assert_eq!(decoded_qr_codes(&html), expected);
    for &u in &main[1..] {
        assert!(
            html.contains(&Invitation::grouped(&code_of(u))),
            "the code to type"
        );
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'wave.letters'"),
        1
    );

    // Only those without e-mail: every fifth frame unit has an address for e-mail.
    let (code, out, _) = letters(&["--without-email"]);
    assert_eq!(code, Some(0));
    let without = app.db.count(&format!(
        "SELECT count(*) AS n FROM sample_units s JOIN frame_units f ON f.id = s.frame_unit_id \
         WHERE s.status = 'invited' AND f.email IS NULL AND s.id <> {}",
        main[0]
    ));
    assert!(out.contains(&format!("{without} letters")), "{out}");

    // The same document from the browser, for administrators only.
    use crate::helpers::{add_user, Browser};
    use sipas::domain::Role;
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let page = admin.get(&format!(
        "/admin/waves/{w}/letters.html?sender=S%E1%BB%9F+N%E1%BB%99i+v%E1%BB%A5"
    ));
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().unwrap();
    assert_eq!(
        page.matches("<section class=\"letter\">").count(),
        main.len() - 1
    );
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(
        manager
            .get(&format!("/admin/waves/{w}/letters.html"))
            .status(),
        404
    );
}

/// Runs `sipas ARGS…` expecting the refusal exit code; its standard error.
fn sipas_refused(db: &TestDb, args: &[&str]) -> String {
    let (code, _, err) = run(db.sipas().args(args), "");
    assert_eq!(code, Some(2), "sipas {args:?} should be refused");
    err
}

#[test]
fn returns_replacements_reminders_and_the_response_rate_follow_the_fieldwork() {
    let app = TestApp::spawn();
    let db = &app.db;
    // 120 units, every 4th with e-mail; Yamane on 120 with equal allocation: 93 invited,
    // 19 in reserve (20%, rounded up), the rest not sampled.
    let w = drawn_wave(db, 120, 4);
    sipas_ok(
        db,
        &["wave", "start", "--wave", &w, "--remind-days", "14,28"],
    );
    let (main, reserve) = unit_ids(db);
    assert_eq!((main.len(), reserve.len()), (93, 19));
    let dir = TempDir::new("returns");
    let file = dir.join("returns.csv");
    let returns = |text: &str| {
        std::fs::write(&file, text).unwrap();
        run(
            db.sipas()
                .args(["wave", "returns", "import", "--wave", &w])
                .arg(&file),
            "",
        )
    };

    // A file with problems: each by line and column, and nothing recorded.
    let header = "invitation_code,outcome,date\n";
    let bad = format!(
        "{header}{},lost,\n{},refused,31/02/2026\n",
        code_of(main[0]),
        code_of(reserve[0])
    );
    let (code, _, err) = returns(&bad);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 2, column outcome: 'lost' is not one of"),
        "{err}"
    );
    assert!(
        err.contains("line 3, column invitation_code:") && err.contains("never invited"),
        "{err}"
    );
    assert!(err.contains("line 3, column date:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sample_units WHERE status IN ('refused', 'undeliverable', 'returned')"),
        0
    );

    // The post office sends back 3 undeliverable letters, 2 refusals and 1 questionnaire.
    let good = format!(
        "\u{feff}{header}{},undeliverable,2026-11-20\r\n{},undeliverable,\r\n{},UNDELIVERABLE,21/11/2026\r\n{},refused,\r\n{},refused,\r\n{},returned,\r\n",
        code_of(main[0]),
        Invitation::grouped(&code_of(main[1])),
        code_of(main[2]),
        code_of(main[3]),
        code_of(main[4]),
        code_of(main[5]),
    );
    let (code, out, err) = returns(&good);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("undeliverable\t3")
            && out.contains("refused\t2")
            && out.contains("returned\t1"),
        "{out}"
    );

    // The lost five are replaced by the first five reserve units, in reserve order; those are
    // invited, and e-mailed when they have an address.
    let emails_before = db.count("SELECT count(*) AS n FROM outbox");
    let out = sipas_ok(db, &["wave", "replace", "--wave", &w]);
    assert!(
        out.contains("replaced\t5") && out.contains("without a reserve\t0"),
        "{out}"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM sample_units r JOIN sample_units o ON o.replaced_by = r.id \
             WHERE r.status = 'invited' AND r.reserve_rank <= 5 AND o.status IN ('refused', 'undeliverable')"
        ),
        5
    );
    let replacement_emails = db.count(
        "SELECT count(*) AS n FROM sample_units r JOIN frame_units f ON f.id = r.frame_unit_id \
         WHERE r.reserve_rank <= 5 AND f.email IS NOT NULL",
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox") - emails_before,
        replacement_emails
    );
    // Replacing again finds nobody new to replace.
    assert!(sipas_ok(db, &["wave", "replace", "--wave", &w]).contains("replaced\t0"));
    // A replaced unit's invitation is closed; the replacement's is open.
    let replaced = main[3];
    let closed = reqwest::blocking::get(format!("{}/s/{}", app.base, code_of(replaced))).unwrap();
    assert_eq!(closed.status(), 410);

    // Ten people answer online.
    for &u in &main[10..20] {
        let r = post(
            &app,
            &format!("/s/{}", code_of(u)),
            &full_answers(&crate::helpers::sid()),
        );
        assert_eq!(r.status(), 200);
    }
    // A return cannot undo an answer.
    let err = {
        let (code, _, err) = returns(&format!("{header}{},refused,\n", code_of(main[10])));
        assert_eq!(code, Some(2));
        err
    };
    assert!(err.contains("has answered already"), "{err}");

    // The response rate: 10 completes over 93 + 5 invited = 10.2%; the formula is printed.
    let status = sipas_ok(db, &["wave", "status", "--wave", &w]);
    assert!(
        status.contains("  total\t98\t10\t2\t3\t1\t82\t5\t10.2%"),
        "{status}"
    );
    assert!(
        status.contains("RR1 = I / (I + P + R + NC + O + UH + UO)"),
        "{status}"
    );

    // Reminders: none due yet; 15 days on, round 1 goes to everyone still waiting (not to
    // those who answered, refused, were undeliverable or sent their paper back); once.
    assert!(sipas_ok(db, &["wave", "remind"]).contains("reminded\t0"));
    db.count("WITH u AS (UPDATE sample_units SET invited_at = now() - interval '15 days' WHERE invited_at IS NOT NULL RETURNING 1) SELECT count(*) AS n FROM u");
    let out = sipas_ok(db, &["wave", "remind"]);
    assert!(out.contains("reminded\t82"), "{out}");
    let reminder_emails = db.count(
        "SELECT count(*) AS n FROM sample_units s JOIN frame_units f ON f.id = s.frame_unit_id \
         WHERE s.status = 'reminded' AND f.email IS NOT NULL",
    );
    assert!(
        out.contains(&format!("emails queued\t{reminder_emails}")),
        "{out}"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM outbox WHERE kind = 'reminder'"),
        reminder_emails
    );
    assert!(
        sipas_ok(db, &["wave", "remind"]).contains("reminded\t0"),
        "once per round"
    );
    db.count("WITH u AS (UPDATE sample_units SET invited_at = now() - interval '29 days' WHERE invited_at IS NOT NULL RETURNING 1) SELECT count(*) AS n FROM u");
    assert!(
        sipas_ok(db, &["wave", "remind"]).contains("reminded\t82"),
        "round 2"
    );
    assert!(
        sipas_ok(db, &["wave", "remind"]).contains("reminded\t0"),
        "no round 3"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sample_units WHERE reminders = 2"),
        82
    );
    // Refused before the fieldwork started: nothing to return.
    let other = sipas_ok(db, &["wave", "create", "--name", "Khác", "--year", "2026"]);
    let err = sipas_refused(db, &["wave", "replace", "--wave", other.trim()]);
    assert!(err.contains("during its fieldwork"), "{err}");
}

/// A request can be followed through the log by its id (issue #17, point 5): one access line
/// per request names the route pattern, the status and the time, and the id the answer echoes;
/// a proxy's id is taken when the proxy is trusted. Neither the desk token, nor the invitation
/// code, nor the client's address, nor an answer or a comment reaches the log.
#[test]
fn the_log_follows_a_request_by_its_id_and_holds_no_token_code_address_or_answer() {
    use std::io::{BufRead, BufReader};
    let db = TestDb::new();
    let fixture = crate::helpers::fixture(&db);
    let w = drawn_wave(&db, 120, 3);
    sipas_ok(&db, &["wave", "start", "--wave", &w]);
    let (main, _) = unit_ids(&db);
    let code = code_of(main[0]);
    let token = sipas::domain::DeskToken {
        desk_id: fixture.desk_id,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = db
        .sipas()
        .arg("serve")
        .env("SIPAS_BIND", format!("127.0.0.1:{port}"))
        .env("SIPAS_TRUST_PROXY", "1")
        .env("SIPAS_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("serving on"), "{line}");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let address = "203.0.113.58";
    let comment = "Quầy số 1+2 làm nhanh, gọi 0912 345 678 🙏";
    let rating = http
        .post(format!("{base}/q/{token}"))
        .header("x-forwarded-for", address)
        .form(&[
            ("submission_id", crate::helpers::sid().as_str()),
            ("a.F1", "5"),
            ("comment", comment),
        ])
        .send()
        .unwrap();
    assert_eq!(rating.status(), 200);
    let rating_id = rating.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(rating_id.len(), 32, "{rating_id}");
    let mut answers = full_answers(&crate::helpers::sid());
    answers.push(("comment".into(), "Thủ tục (lần 2) nhanh hơn".into()));
    let visit = http
        .post(format!("{base}/s/{code}"))
        .header("x-forwarded-for", address)
        .header("x-request-id", "proxy-7f3a.9")
        .form(&answers)
        .send()
        .unwrap();
    assert_eq!(visit.status(), 200);
    assert_eq!(visit.headers()["x-request-id"], "proxy-7f3a.9");
    // Ids that could forge a log line are not taken from the proxy.
    let forged = http
        .get(format!("{base}/health/live"))
        .header("x-request-id", "a b\tc=d")
        .send()
        .unwrap();
    assert_ne!(forged.headers()["x-request-id"], "a b\tc=d");

    let _ = server.kill();
    let out = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let access = |id: &str| -> Vec<&str> {
        log.lines()
            .filter(|l| l.contains(&format!("id={id}")) && l.contains("answered"))
            .collect()
    };
    let rated = access(&rating_id);
    assert_eq!(rated.len(), 1, "one access line per request: {log}");
    assert!(
        rated[0].contains("method=POST")
            && rated[0].contains("route=/q/{token}")
            && rated[0].contains("status=200")
            && rated[0].contains("ms="),
        "{}",
        rated[0]
    );
    let visited = access("proxy-7f3a.9");
    assert_eq!(visited.len(), 1, "{log}");
    assert!(visited[0].contains("route=/s/{code}"), "{}", visited[0]);
    for secret in [
        token.as_str(),
        code.as_str(),
        address,
        "203.0.113",
        "0912",
        "Quầy số",
        "lần 2",
        "a.F1",
    ] {
        assert!(!log.contains(secret), "{secret:?} reached the log: {log}");
    }
}

/// Imports `rows` (frame lines without the header) into a new wave of `db`, designs it and
/// draws it with seed 2026; the sampled dossiers with their reserve ranks, sorted.
fn sample_of(db: &TestDb, rows: &[String]) -> Vec<(String, Option<i32>)> {
    let w = new_wave(db);
    let dir = TempDir::new("frame");
    let file = dir.join("frame.csv");
    std::fs::write(&file, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    sipas_ok(
        db,
        &["frame", "import", "--wave", &w, file.to_str().unwrap()],
    );
    sipas_ok(
        db,
        &[
            "wave",
            "design",
            "--wave",
            &w,
            "--size",
            "yamane",
            "--margin",
            "0.1",
            "--allocation",
            "proportional",
            "--response-rate",
            "0.8",
        ],
    );
    sipas_ok(db, &["wave", "draw", "--wave", &w, "--seed", "2026"]);
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        reserve: Option<i32>,
    }
    let rows: Vec<Row> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT f.dossier_code AS code, s.reserve_rank AS reserve FROM sample_units s \
             JOIN frame_units f ON f.id = s.frame_unit_id ORDER BY 1",
        ),
        &mut db.conn(),
    )
    .unwrap();
    rows.into_iter().map(|r| (r.code, r.reserve)).collect()
}

/// The draw is the same "on any machine, in any import order": the frame imported shuffled
/// into another database gives the same main sample and the same reserve, rank for rank.
#[test]
fn the_same_frame_in_any_order_gives_the_same_sample() {
    use rand::seq::SliceRandom;
    let rows: Vec<String> = (0..400)
        .map(|i| {
            let agency = if i % 3 == 0 { "T2" } else { "T1" };
            format!("HS-{i:05},{agency},,2026-06-01,individual,Trần Văn {i},,,Số {i} Hàng Bài")
        })
        .collect();
    let mut shuffled = rows.clone();
    shuffled.shuffle(&mut rand::thread_rng());
    let (a, b) = (TestDb::new(), TestDb::new());
    for db in [&a, &b] {
        let parent = crate::helpers::fixture(db).agency_id;
        crate::helpers::agency_with_desk(db, "T2", Some(parent));
    }
    let ordered = sample_of(&a, &rows);
    assert!(
        ordered.iter().any(|(_, r)| r.is_some()),
        "a reserve was drawn"
    );
    assert!(ordered.len() > 50, "{}", ordered.len());
    assert_eq!(ordered, sample_of(&b, &shuffled));
}
