//! The red team's findings of issue #16, replayed so each stays fixed, and the probes that held:
//! a Vietnamese comment that froze the masker, search as an oracle for masked data, control
//! characters at every door, duplicate JSON keys, the bearer scheme's case, slow senders, a
//! frame line that killed the outbox, the sign-in back-off race, and formulas in exports.
//! Every text is Vietnamese, generated or typed as citizens write.

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
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
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
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'comment.search' \
             AND after::text LIKE '%0912 345%'"
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
