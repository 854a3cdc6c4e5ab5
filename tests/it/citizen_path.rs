use crate::helpers::{sid, submission_id, TestApp};

#[test]
fn a_rating_from_the_form_lands_whole_with_no_opinion_as_null() {
    let app = TestApp::spawn();
    let token = app.token();
    let page = app
        .http
        .get(format!("{}/q/{token}", app.base))
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(
        html.contains("Tỉnh Thử &lt;nghiệm&gt;"),
        "agency names are escaped"
    );
    assert!(html.contains("Không có ý kiến"));
    assert!(
        html.len() < 12 * 1024,
        "the README promises a form under 12 KB; it is {} bytes",
        html.len()
    );
    let sid = submission_id(&html);

    let resp = app.post_form(
        &token,
        &[
            ("submission_id", sid.as_str()),
            ("lang", "vi"),
            ("website", ""),
            ("a.F1", "5"),
            ("a.F2", "4"),
            ("a.F3", "na"),
            ("a.F4", "2"),
            ("a.F5", "na"),
            ("a.OVERALL", "4"),
            ("respondent_kind", "organisation"),
            ("comment", "  Cán bộ nhiệt tình.  "),
        ],
    );
    assert_eq!(resp.status(), 200);
    assert!(resp.text().unwrap().contains("Cảm ơn"));

    assert_eq!(app.responses(), 1);
    let row = app.db.count(&format!(
        "SELECT count(*) AS n FROM responses WHERE id = '{sid}' AND channel = 'desk_qr' \
         AND respondent_kind = 'organisation' AND comment = 'Cán bộ nhiệt tình.' \
         AND desk_id = {} AND agency_id = {}",
        app.fixture.desk_id, app.fixture.agency_id
    ));
    assert_eq!(row, 1);
    assert_eq!(app.answers(), 6);
    let nulls = app.db.count(
        "SELECT count(*) AS n FROM answers a JOIN items i ON i.id = a.item_id \
         WHERE a.value IS NULL AND i.code IN ('F3', 'F5')",
    );
    assert_eq!(
        nulls, 2,
        "'Không có ý kiến' is stored as NULL, never a score"
    );
    let f1 = app.db.count("SELECT count(*) AS n FROM answers a JOIN items i ON i.id = a.item_id WHERE i.code = 'F1' AND a.value = 5");
    assert_eq!(f1, 1);
}

#[test]
fn a_replayed_form_submission_stores_one_response_and_thanks_twice() {
    let app = TestApp::spawn();
    let token = app.token();
    let sid = sid();
    let fields = [
        ("submission_id", sid.as_str()),
        ("a.F1", "5"),
        ("a.OVERALL", "3"),
    ];
    let first = app.post_form(&token, &fields);
    let first_status = first.status();
    let first_body = first.text().unwrap();
    let second = app.post_form(&token, &fields);
    assert_eq!(first_status, 200);
    assert_eq!(second.status(), 200);
    assert_eq!(
        second.text().unwrap(),
        first_body,
        "the same thank-you page"
    );
    assert_eq!(app.responses(), 1);
    assert_eq!(app.answers(), 2);
}

#[test]
fn concurrent_double_clicks_store_one_response() {
    let app = TestApp::spawn();
    let token = app.token();
    let sid = sid();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let r = app.post_form(&token, &[("submission_id", sid.as_str()), ("a.F2", "4")]);
                assert_eq!(r.status(), 200);
            });
        }
    });
    assert_eq!(app.responses(), 1);
    assert_eq!(app.answers(), 1);
}

#[test]
fn the_form_switches_to_english_and_keeps_answers_after_an_error() {
    let app = TestApp::spawn();
    let token = app.token();
    let html = app
        .http
        .get(format!("{}/q/{token}?lang=en", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("No opinion"));
    assert!(
        html.contains(r#"name="switch_lang" value="vi" formnovalidate class="lang" lang="vi">Tiếng Việt</button>"#),
        "a visible switch back to Vietnamese"
    );

    let sid = sid();
    let long = "x".repeat(2001);
    let resp = app.post_form(
        &token,
        &[
            ("submission_id", sid.as_str()),
            ("a.F1", "4"),
            ("comment", long.as_str()),
        ],
    );
    assert_eq!(resp.status(), 422);
    let body = resp.text().unwrap();
    assert!(body.contains("2000 ký tự"), "the error is in Vietnamese");
    assert!(
        body.contains("name=\"a.F1\" value=\"4\" checked"),
        "answers survive the error"
    );
    assert!(
        body.contains(&sid),
        "the submission id survives, so a retry still deduplicates"
    );
    assert_eq!(app.responses(), 0);
}

#[test]
fn a_revoked_desk_code_is_refused() {
    let app = TestApp::spawn();
    let old = app.token();
    let mut conn = app.db.conn();
    assert_eq!(
        sipas::db::desks::rotate_key(
            &mut conn,
            &crate::helpers::test_actor(),
            app.fixture.desk_id
        )
        .unwrap(),
        Some(2)
    );
    let page = app
        .http
        .get(format!("{}/q/{old}", app.base))
        .send()
        .unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().unwrap().contains("hết hiệu lực"));
    let sid = sid();
    let resp = app.post_form(&old, &[("submission_id", sid.as_str()), ("a.F1", "5")]);
    assert_eq!(resp.status(), 410);
    assert_eq!(app.responses(), 0);

    let new = sipas::domain::DeskToken {
        desk_id: app.fixture.desk_id,
        key_version: 2,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    let resp = app.post_form(&new, &[("submission_id", sid.as_str()), ("a.F1", "5")]);
    assert_eq!(resp.status(), 200);
    assert_eq!(app.responses(), 1);
}

#[test]
fn the_rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(|s| {
        s.rate_per_client = sipas::config::RateLimit {
            per_minute: 2.0,
            burst: 2,
        };
    });
    let token = app.token();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..3 {
        let sid = sid();
        let r = app.post_form(&token, &[("submission_id", sid.as_str()), ("a.F1", "5")]);
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            assert!(r.text().unwrap().contains("thử lại"));
        }
    }
    assert_eq!(statuses, vec![200, 200, 429]);
    assert!(
        retry_after.is_some_and(|s| (1..=30).contains(&s)),
        "{retry_after:?}"
    );
    assert_eq!(app.responses(), 2);
}

#[test]
fn the_per_desk_limit_holds_across_client_addresses() {
    let app = TestApp::spawn_with(|s| {
        s.trust_proxy = true;
        s.rate_per_desk = sipas::config::RateLimit {
            per_minute: 1.0,
            burst: 1,
        };
    });
    let token = app.token();
    let post = |ip: &str| {
        let sid = sid();
        app.http
            .post(format!("{}/q/{token}", app.base))
            .header("x-forwarded-for", ip)
            .form(&[("submission_id", sid.as_str()), ("a.F1", "5")])
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post("203.0.113.1"), 200);
    assert_eq!(post("203.0.113.2"), 429);
    assert_eq!(app.responses(), 1);
}

#[test]
fn a_burst_of_concurrent_ratings_with_repeats_stores_each_once() {
    let app = TestApp::spawn();
    let token = app.token();
    let ids: Vec<String> = (0..120).map(|_| sid()).collect();
    std::thread::scope(|s| {
        for t in 0..12 {
            let (app, token, ids) = (&app, &token, &ids);
            s.spawn(move || {
                // Each thread sends its own 10 ratings, and replays its neighbour's 10.
                for i in 0..10 {
                    for id in [&ids[t * 10 + i], &ids[((t + 1) % 12) * 10 + i]] {
                        let r = app.post_form(
                            token,
                            &[
                                ("submission_id", id.as_str()),
                                ("a.F1", "4"),
                                ("a.F2", "na"),
                                ("a.OVERALL", "5"),
                            ],
                        );
                        assert_eq!(r.status(), 200);
                    }
                }
            });
        }
    });
    assert_eq!(app.responses(), 120);
    assert_eq!(app.answers(), 360);
}

#[test]
fn the_writer_reconnects_after_the_database_drops_it_and_refuses_nothing() {
    let app = TestApp::spawn();
    let token = app.token();
    let post = |sid: &str| {
        app.post_form(&token, &[("submission_id", sid), ("a.F1", "5")])
            .status()
            .as_u16()
    };
    let first = sid();
    assert_eq!(post(&first), 200);

    // An administrator (or a server restart) cuts every connection to this database.
    let cut = app.db.count(
        "SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    );
    assert!(cut >= 2, "the writers' connections were cut ({cut})");
    std::thread::sleep(std::time::Duration::from_millis(100));

    // Every writer lost its connection; each reconnects and retries its batch, so no rating
    // is refused, and replays still store nothing new.
    let later: Vec<String> = (0..6).map(|_| sid()).collect();
    for sid in &later {
        assert_eq!(post(sid), 200);
    }
    for sid in &later {
        assert_eq!(post(sid), 200, "a replay");
    }
    assert_eq!(app.responses(), 7);
    assert_eq!(app.answers(), 7);
}
