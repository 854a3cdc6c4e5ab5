//! The red team's findings of issue #16, replayed so each stays fixed, and the probes that held:
//! a Vietnamese comment that froze the masker, search as an oracle for masked data, control
//! characters at every door, duplicate JSON keys, the bearer scheme's case, slow senders, a
//! frame line that killed the outbox, the sign-in back-off race, and formulas in exports.
//! Every text is Vietnamese, generated or typed as citizens write.

use sipas::web::filters::today_in_vietnam;
use std::time::{Duration, Instant};

use sipas::domain::Role;
use sipas::fuzzing::vietnamese;

use crate::helpers::{add_user, sid, Browser, TestApp};

/// A client that gives up after `secs`: a server that hangs fails the test instead of hanging it.
fn impatient(secs: u64) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(secs))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn rate(app: &TestApp, comment: &str) {
    let r = app.post_form(
        &app.token(),
        &[
            ("submission_id", &sid()),
            ("a.F1", "4"),
            ("comment", comment),
        ],
    );
    assert_eq!(r.status(), 200, "{comment:?}: {}", r.text().unwrap());
}

#[test]
fn a_comment_with_a_sign_after_a_vietnamese_letter_leaves_the_node_answering() {
    let app = TestApp::spawn();
    // The comment that spun both workers forever, and generated ones around it.
    rate(&app, "Quầy số 1+2 làm nhanh");
    for seed in 0..20 {
        let text = vietnamese::typed(&vietnamese::bytes(seed, 300));
        let text: String = text.chars().take(1500).collect();
        rate(&app, &format!("ấ1+2 {text} Đ3(0912"));
    }
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let http = impatient(10);
    let started = Instant::now();
    let page = manager.get("/admin/dashboard").text().unwrap();
    assert!(
        page.contains("Quầy số 1+2 làm nhanh"),
        "the comment is shown"
    );
    let today = today_in_vietnam().to_string();
    let csv = manager.get(&format!(
        "/admin/microdata.csv?from={}01&to={today}&comments=1",
        &today[..8]
    ));
    assert_eq!(csv.status(), 200);
    assert!(csv.text().unwrap().contains("Quầy số 1+2 làm nhanh"));
    assert!(started.elapsed() < Duration::from_secs(10));
    let live = http
        .get(format!("{}/health/live", app.base))
        .send()
        .unwrap();
    assert_eq!(live.status(), 200, "the node still answers");
}

/// One comment with every kind of personal data a citizen may type.
const PERSONAL: &str =
    "Cán bộ hẹn gọi 0912 345 678, gửi kết quả qua nguyen.van.an@gmail.com, CCCD 079123456789";

#[test]
fn a_search_finds_only_what_the_masked_page_shows() {
    let app = TestApp::spawn_with(|s| s.rate_search = crate::helpers::generous());
    rate(&app, PERSONAL);
    rate(&app, "Thủ tục nhanh, cảm ơn.");
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let manager = Browser::signed_in(&app, "t1.manager");
    let found = |b: &Browser, words: &str| {
        let q = serde_urlencoded::to_string([("q", words)]).unwrap();
        let r = b.get(&format!(
            "/admin/dashboard?agency={}&{q}",
            app.fixture.agency_id
        ));
        assert_eq!(r.status(), 200);
        r.text().unwrap().contains("hẹn gọi")
    };
    // What the red team used to recover the number and the address, a piece at a time.
    for probe in [
        "0912",
        "912 3",
        "2 345",
        "5 678",
        "345",
        "678",
        "0912 345 678",
        "nguyen",
        "van.an",
        "@gmail",
        "gmail.com",
        "079",
        "123456789",
        "an@",
    ] {
        assert!(
            !found(&manager, probe),
            "{probe:?} finds the masked comment"
        );
    }
    // What the page shows is found, without tone marks or capitals, in any kind of space.
    for shown in [
        "cán bộ",
        "CAN BO",
        "can\u{A0}bo",
        "hen goi",
        "số điện thoại đã ẩn",
        "CCCD",
    ] {
        assert!(
            found(&manager, shown),
            "{shown:?} does not find the comment"
        );
    }
    // The match is marked on the masked text.
    let page = manager.page(&format!(
        "/admin/dashboard?agency={}&q=hen+goi",
        app.fixture.agency_id
    ));
    assert!(page.contains("<mark>hẹn gọi</mark>"), "{page}");
    // An administrator, who may read the original, searches it too.
    let admin = Browser::signed_in(&app, "snv.admin");
    assert!(found(&admin, "0912 345"));
    assert!(found(&admin, "nguyen.van"));
    // Every search is in the audit log, its words masked.
    let audited = app
        .db
        .count("SELECT count(*) AS n FROM audit_log WHERE action = 'comment.search'");
    assert!(audited >= 20, "{audited} searches audited");
    for words in ["０９１２", "𝟎𝟗𝟏𝟐", "nguyen.van.an@gmail"] {
        found(&admin, words);
    }
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'comment.search' \
             AND (after::text LIKE '%0912%' OR after::text LIKE '%０９%' \
                  OR after::text LIKE '%@gmail%' OR after::text LIKE '%𝟎%')"
        ),
        0,
        "the audit log holds no personal data from the words"
    );
}

#[test]
fn a_hidden_comment_is_not_found_by_those_who_may_not_read_it() {
    let app = TestApp::spawn();
    rate(&app, "Chị Lan ở quầy 2 nói chuyện riêng, thái độ kém");
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "t1.viewer", Role::Viewer, Some("T1"));
    {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO hidden_comments (response_id, hidden_by) \
             SELECT r.id, u.id FROM responses r, users u WHERE u.username = 't1.manager'",
        )
        .execute(&mut app.db.conn())
        .unwrap();
    }
    let viewer = Browser::signed_in(&app, "t1.viewer");
    let page = viewer.page("/admin/dashboard?q=chi+lan");
    assert!(
        !page.contains("class=\"hidden-comment\""),
        "a search by words of a hidden comment must not list it for a viewer"
    );
    let manager = Browser::signed_in(&app, "t1.manager");
    let page = manager.page("/admin/dashboard?q=chi+lan");
    assert!(
        page.contains("thái độ kém"),
        "the manager may show it again"
    );
}

#[test]
fn searches_are_limited_per_account() {
    let app = TestApp::spawn_with(|s| {
        s.rate_search = sipas::config::RateLimit {
            per_minute: 1.0,
            burst: 3,
        }
    });
    rate(&app, "Thủ tục nhanh");
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let statuses: Vec<u16> = (0..5)
        .map(|k| {
            manager
                .get(&format!("/admin/dashboard?q=nhanh{k}"))
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let r = manager.get("/admin/dashboard?q=nhanh");
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().unwrap().contains("Quá nhiều lượt tìm kiếm"));
    assert_eq!(
        manager.get("/admin/dashboard").status(),
        200,
        "the page without a search is not limited"
    );
}

#[test]
fn a_hundred_guesses_at_once_check_no_more_passwords_than_the_back_off_allows() {
    use std::sync::{Arc, Barrier};
    let app = TestApp::spawn_with(|s| {
        s.trust_proxy = true;
        s.db_pool_size = 16;
        s.workers = Some(2);
    });
    add_user(&app.db, "snv.admin", Role::Admin, None);
    // One sign-in page's token and cookie, replayed by every guess (each refusal sets a new
    // cookie, so a shared cookie jar would not do).
    let http = impatient(60);
    let page = http
        .get(format!("{}/admin/login", app.base))
        .send()
        .unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let csrf = crate::helpers::hidden(&page.text().unwrap(), "csrf");
    let barrier = Arc::new(Barrier::new(100));
    let started = Instant::now();
    let guesses: Vec<_> = (0..100u32)
        .map(|i| {
            let (http, csrf, barrier) = (http.clone(), csrf.clone(), Arc::clone(&barrier));
            let cookie = cookie.clone();
            let url = format!("{}/admin/login", app.base);
            std::thread::spawn(move || {
                let password = format!("đoán mật khẩu số {i} 🙏");
                barrier.wait();
                http.post(url)
                    .header("cookie", cookie)
                    // 100 addresses: the per-address limit never applies.
                    .header(
                        "x-forwarded-for",
                        format!("10.1.{}.{}", i / 200, i % 200 + 1),
                    )
                    .form(&[
                        ("username", "snv.admin"),
                        ("password", password.as_str()),
                        ("csrf", csrf.as_str()),
                    ])
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
    let elapsed = started.elapsed().as_secs_f64();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let waited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + waited, 100, "{statuses:?}");
    // Four free tries, the fifth starts a wait of 1 s, then 2 s, 4 s …: how many checks the
    // time the burst took can hold.
    let backoff = sipas::web::staff::ACCOUNT_BACKOFF;
    let mut allowance = (backoff.waits_from) as usize;
    let mut clock = 0.0;
    while clock <= elapsed {
        clock += backoff.wait_after(allowance as i32);
        allowance += 1;
    }
    assert!(
        checked <= allowance && checked >= backoff.waits_from as usize,
        "{checked} passwords checked in {elapsed:.1} s; the back-off allows {allowance}"
    );
    assert_eq!(
        app.db
            .count("SELECT failures::bigint AS n FROM login_failures WHERE username = 'snv.admin'"),
        checked as i64,
        "every checked password is counted, and only those"
    );
    // The right password during the wait is not even checked.
    let r = Browser::new(&app).sign_in("snv.admin", crate::helpers::PASSWORD);
    assert_eq!(r.status(), 429);
}

/// A request written by hand on a raw connection, for what no HTTP client would send.
fn raw_request(base: &str, request: &[u8]) -> (std::net::TcpStream, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    (s, String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn control_characters_are_a_client_error_at_every_door_before_any_query() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let token = app.token();
    // The sign-in's user name, a citizen's form field, a staff page's query, the public pages'
    // and the read API's query, a path: 4xx, never 503 "retry later".
    let b = Browser::new(&app);
    let csrf = crate::helpers::hidden(&b.page("/admin/login"), "csrf");
    let r = b.post(
        "/admin/login",
        &[
            ("username", "snv\0admin"),
            ("password", "x"),
            ("csrf", csrf.as_str()),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(
        r.text().unwrap().contains("U+0000"),
        "the page names the character"
    );
    let r = app.post_form(
        &token,
        &[
            ("submission_id", &sid()),
            ("a.F1", "4"),
            ("procedure_code", "1.0\u{1b}"),
        ],
    );
    assert_eq!(r.status(), 422);
    let admin = Browser::signed_in(&app, "snv.admin");
    for path in [
        "/admin/dashboard?q=c%C3%A1n%00",
        "/admin/ranking?level=%00",
        "/admin/audit?action=%1B",
        "/public?lang=vi%00",
        "/q/abc%00",
        "/s/%00",
    ] {
        let status = admin.get(path).status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let api = app
        .http
        .get(format!("{}/api/v1/agencies?x=%C2%85", app.base))
        .send()
        .unwrap();
    assert_eq!(api.status(), 422);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    // A JSON comment with a control character, and a member given twice (a forged token,
    // then a valid one: the last no longer wins).
    let body = |comment: &str| {
        serde_json::json!({
            "submission_id": sid(), "desk_token": token, "answers": {"F1": 4}, "comment": comment
        })
    };
    let r = app.post_json(&body("Tốt\u{0}"));
    assert_eq!(r.status(), 422);
    let twice = format!(
        r#"{{"submission_id":"{}","desk_token":"AAAAAAAAAAAAAAAAAAAAAA","desk_token":"{token}","answers":{{"F1":5}}}}"#,
        sid()
    );
    let r = app.post_raw("/api/v1/responses", "application/json", twice);
    assert_eq!(r.status(), 422);
    let p: serde_json::Value = r.json().unwrap();
    assert_eq!(p["errors"][0]["field"], "desk_token");
    assert_eq!(app.responses(), 0, "nothing stored");
    // A problem document quotes at most a few characters of what was sent.
    let long_key = format!(
        r#"{{"submission_id":"{}","desk_token":"{token}","answers":{{"{}":5}}}}"#,
        sid(),
        "ữ".repeat(20_000)
    );
    let r = app.post_raw("/api/v1/responses", "application/json", long_key);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().len() < 2_000);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM login_failures"), 0);
}

#[test]
fn the_bearer_scheme_is_read_whatever_its_case() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let (code, out, err) = crate::helpers::run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "snv.admin"]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let token = out
        .split_whitespace()
        .find(|w| w.starts_with("sipas_"))
        .expect("the token is printed")
        .to_owned();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = app
            .http
            .get(format!("{}/api/v1/agencies", app.base))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{scheme}");
    }
}

#[test]
fn slow_senders_are_cut_off_while_honest_requests_pass() {
    use std::io::Write;
    let app = TestApp::spawn_with(|s| {
        s.connection_limits.head_timeout = Duration::from_secs(2);
        s.connection_limits.body_grace = Duration::from_secs(2);
        s.connection_limits.body_min_rate = 500.0;
        s.workers = Some(2);
    });
    let token = app.token();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    // 40 senders of a body one byte every 200 ms, 10 of a head that never ends.
    let slow: Vec<_> = (0..50)
        .map(|i| {
            let (addr, token) = (addr.clone(), token.clone());
            std::thread::spawn(move || {
                use std::io::Read;
                let mut s = std::net::TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let head = if i < 40 {
                    format!(
                        "POST /q/{token} HTTP/1.1\r\nHost: x\r\n\
                         Content-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: 4000\r\n\r\n"
                    )
                } else {
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_owned()
                };
                s.write_all(head.as_bytes()).unwrap();
                let mut answer = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    if started.elapsed() > Duration::from_secs(20) {
                        return (None, answer);
                    }
                    // Still sending, one byte at a time, until the server closes.
                    if s.write_all(b"a").is_err() {
                        return (Some(started.elapsed()), answer);
                    }
                    match s.read(&mut buf) {
                        Ok(0) => return (Some(started.elapsed()), answer),
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                        Err(e)
                            if e.kind() == std::io::ErrorKind::WouldBlock
                                || e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return (Some(started.elapsed()), answer),
                    }
                }
            })
        })
        .collect();
    // Meanwhile, honest ratings keep passing.
    std::thread::sleep(Duration::from_millis(500));
    let http = impatient(5);
    for _ in 0..10 {
        let r = http
            .post(format!("{}/q/{token}", app.base))
            .form(&[("submission_id", sid().as_str()), ("a.F1", "5")])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        std::thread::sleep(Duration::from_millis(200));
    }
    for (i, t) in slow.into_iter().enumerate() {
        let (cut, answer) = t.join().unwrap();
        let cut = cut.unwrap_or_else(|| panic!("slow sender {i} was never cut off"));
        assert!(
            cut < Duration::from_secs(10),
            "sender {i} cut after {cut:?}"
        );
        let answer = String::from_utf8_lossy(&answer);
        if i < 40 && !answer.is_empty() {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
    }
    assert_eq!(app.responses(), 10, "only the honest ratings were stored");
}

#[test]
fn connections_beyond_the_cap_of_one_address_are_refused() {
    let app = TestApp::spawn_with(|s| s.connection_limits.per_address = 5);
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Five connections held open by one address…
    let held: Vec<std::net::TcpStream> = (0..5)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // …so a sixth is answered 429 and closed.
    let (_, answer) = raw_request(
        &app.base,
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let (_, answer) = raw_request(
        &app.base,
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_second_request_on_the_same_connection_cannot_trickle_its_head() {
    use std::io::{Read, Write};
    let app = TestApp::spawn_with(|s| s.connection_limits.head_timeout = Duration::from_secs(2));
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    // The answer ends with the connection: one request per connection (actix's head deadline
    // holds for a connection's first request only).
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let trickled = s
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .and_then(|()| {
            std::thread::sleep(Duration::from_millis(300));
            s.write_all(b"a")
        });
    let mut buf = [0u8; 64];
    let read = s.read(&mut buf);
    assert!(
        trickled.is_err() || matches!(read, Ok(0) | Err(_)),
        "the connection stays open for a second head: {read:?}"
    );
}
