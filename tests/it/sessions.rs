//! Staff sessions that the server ends: sign-out, password change, a disabled account, idle and
//! absolute timeouts — at once and on every node — and the back-off on one account's failed
//! sign-ins, whatever address they come from (issue #9, point 5).

use crate::helpers::{add_user, hidden, Browser, TestApp, PASSWORD};
use sipas::domain::Role;

/// GET `path` with nothing but this session cookie (a copy an attacker kept, say).
fn get_with_cookie(
    app: &TestApp,
    base: &str,
    path: &str,
    cookie: &str,
) -> reqwest::blocking::Response {
    app.http
        .get(format!("{base}{path}"))
        .header("cookie", format!("sipas_session={cookie}"))
        .send()
        .unwrap()
}

fn with_cookie(app: &TestApp, base: &str, path: &str, cookie: &str) -> u16 {
    get_with_cookie(app, base, path, cookie).status().as_u16()
}

#[test]
fn signing_out_ends_the_session_even_for_a_copy_of_its_cookie() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let b = Browser::new(&app);
    let cookie = Browser::session_cookie(&b.sign_in("snv.admin", PASSWORD));
    assert_eq!(with_cookie(&app, &app.base, "/admin", &cookie), 200);
    let csrf = b.csrf();
    assert_eq!(b.post("/admin/logout", &[("csrf", &csrf)]).status(), 303);
    assert_eq!(
        with_cookie(&app, &app.base, "/admin", &cookie),
        303,
        "the kept cookie names an ended session"
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM staff_sessions"), 0);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE entity_id = 'snv.admin' \
             AND action IN ('session.start', 'session.end')"
        ),
        2,
        "sign-in and sign-out are audited"
    );
}

#[test]
fn every_sign_in_gets_a_fresh_random_id_and_only_its_hash_is_stored() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let ids: Vec<String> = (0..3)
        .map(|_| Browser::session_cookie(&Browser::new(&app).sign_in("snv.admin", PASSWORD)))
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert!(ids.iter().all(|id| id.len() == 43), "256 random bits each");
    assert_eq!(app.db.count("SELECT count(*) AS n FROM staff_sessions"), 3);
    for id in &ids {
        assert_eq!(
            app.db.count(&format!(
                "SELECT count(*) AS n FROM staff_sessions \
                 WHERE encode(id_hash, 'base64') LIKE '%{}%'",
                &id[..20]
            )),
            0,
            "the cookie's value is not in the database"
        );
    }
    // A signed-in person who signs in again (a shared computer) gets a new id, not the old one.
    let b = Browser::signed_in(&app, "snv.admin");
    let again = Browser::session_cookie(&b.sign_in("snv.admin", PASSWORD));
    assert!(!ids.contains(&again));
}

#[test]
fn idle_and_absolute_timeouts_end_a_session() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let idle = Browser::signed_in(&app, "snv.admin");
    let old = Browser::signed_in(&app, "snv.admin");
    let fresh = Browser::signed_in(&app, "snv.admin");
    let mut conn = app.db.conn();
    use diesel::RunQueryDsl;
    // Three sessions in creation order; the first idle 31 minutes, the second past its end.
    diesel::sql_query(
        "WITH s AS (SELECT id_hash, row_number() OVER (ORDER BY created_at, id_hash) AS k
                    FROM staff_sessions)
         UPDATE staff_sessions t SET
           last_seen_at = CASE WHEN s.k = 1 THEN now() - interval '31 minutes' ELSE t.last_seen_at END,
           created_at = CASE WHEN s.k = 2 THEN now() - interval '9 hours' ELSE t.created_at END,
           expires_at = CASE WHEN s.k = 2 THEN now() - interval '1 hour' ELSE t.expires_at END
         FROM s WHERE s.id_hash = t.id_hash",
    )
    .execute(&mut conn)
    .unwrap();
    // The creation order is the sign-in order only up to the clock's resolution; read which
    // browser is which from the answers instead of assuming.
    let statuses: Vec<u16> = [&idle, &old, &fresh]
        .iter()
        .map(|b| b.get("/admin").status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(statuses[2], 200, "the session in use stays: {statuses:?}");
}

#[test]
fn sessions_and_csrf_tokens_are_valid_on_every_node_and_end_on_every_node() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "snv.staff", Role::Admin, None);
    let node_b = app.another_node();

    // Signed in on node A, signed out on node B with the token of node A's page.
    let leaving = Browser::session_cookie(&Browser::new(&app).sign_in("snv.staff", PASSWORD));
    assert_eq!(with_cookie(&app, &node_b.base, "/admin", &leaving), 200);
    let csrf = hidden(
        &get_with_cookie(&app, &app.base, "/admin", &leaving)
            .text()
            .unwrap(),
        "csrf",
    );
    let out = app
        .http
        .post(format!("{}/admin/logout", node_b.base))
        .header("cookie", format!("sipas_session={leaving}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(out.status(), 303, "node B accepts node A's CSRF token");
    assert_eq!(with_cookie(&app, &app.base, "/admin", &leaving), 303);

    // Disabled on node A: the session in use on node B ends at its next request.
    let staying = Browser::session_cookie(&Browser::new(&app).sign_in("snv.staff", PASSWORD));
    assert_eq!(with_cookie(&app, &node_b.base, "/admin", &staying), 200);
    let admin = Browser::signed_in(&app, "snv.admin");
    let admin_csrf = admin.csrf();
    let disabled = admin.post(
        "/admin/users/snv.staff/active",
        &[("csrf", admin_csrf.as_str()), ("active", "false")],
    );
    assert_eq!(disabled.status(), 303);
    assert_eq!(
        with_cookie(&app, &node_b.base, "/admin", &staying),
        303,
        "ended on the other node at once"
    );
}

#[test]
fn an_administrator_setting_a_new_password_ends_the_users_sessions() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "snv.staff", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    let staff = Browser::signed_in(&app, "snv.staff");
    let csrf = admin.csrf();
    let changed = admin.post(
        "/admin/users/snv.staff",
        &[
            ("csrf", csrf.as_str()),
            ("role", "admin"),
            ("agency", ""),
            ("password", "một mật khẩu mới thật dài"),
        ],
    );
    assert_eq!(changed.status(), 303, "{}", changed.text().unwrap());
    assert_eq!(staff.get("/admin").status(), 303);
    assert_eq!(admin.get("/admin").status(), 200, "others stay signed in");
}

#[test]
fn failed_sign_ins_slow_down_one_account_from_any_address_and_are_audited() {
    let app = TestApp::spawn_with(|s| s.rate_login = crate::helpers::generous());
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "snv.other", Role::Admin, None);
    // Each attempt from a new browser: nothing ties them together but the account's name.
    let statuses: Vec<u16> = (0..5)
        .map(|_| {
            Browser::new(&app)
                .sign_in("snv.admin", "a wrong password!")
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401]);
    let blocked = Browser::new(&app).sign_in("SNV.Admin", PASSWORD);
    assert_eq!(
        blocked.status(),
        429,
        "even the right password waits while the account is blocked"
    );
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(blocked.text().unwrap().contains("Tài khoản này"));
    assert_eq!(
        Browser::new(&app).sign_in("snv.other", PASSWORD).status(),
        303,
        "another account is not affected"
    );
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'login.backoff' \
             AND entity_id = 'snv.admin' AND (after->>'failures')::int = 5"
        ),
        1
    );
    // A name with no account is treated the same, so the answers do not reveal which exist.
    let ghost: Vec<u16> = (0..6)
        .map(|_| {
            Browser::new(&app)
                .sign_in("no.such.person", "a wrong password!")
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(ghost, [401, 401, 401, 401, 401, 429]);

    // Once the wait is over, the right password works and the count starts again.
    let mut conn = app.db.conn();
    use diesel::RunQueryDsl;
    diesel::sql_query("UPDATE login_failures SET blocked_until = now()")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        Browser::new(&app).sign_in("snv.admin", PASSWORD).status(),
        303
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM login_failures WHERE username = 'snv.admin'"),
        0
    );
}

#[test]
fn a_common_password_is_refused_with_the_reason_and_changes_nothing() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    let csrf = admin.csrf();
    let refused = admin.post(
        "/admin/users",
        &[
            ("csrf", csrf.as_str()),
            ("username", "snv.new"),
            ("role", "admin"),
            ("agency", ""),
            ("password", "MatKhau123456"),
        ],
    );
    assert_eq!(refused.status(), 422);
    assert!(refused.text().unwrap().contains("quá phổ biến"));
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM users WHERE username = 'snv.new'"),
        0
    );
}

/// Seconds between a session's start and its absolute end, for the one session there is.
fn lifetime(app: &TestApp) -> i64 {
    app.db
        .count("SELECT extract(epoch FROM expires_at - created_at)::int8 AS n FROM staff_sessions")
}

/// The documented defaults, end to end: a session ends after 30 minutes idle and 8 hours
/// after sign-in; 29 idle minutes keep it.
#[test]
fn by_default_a_session_ends_after_30_idle_minutes_or_8_hours() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let b = Browser::signed_in(&app, "snv.admin");
    assert_eq!(lifetime(&app), 8 * 3600);
    app.db
        .exec("UPDATE staff_sessions SET last_seen_at = now() - interval '29 minutes'");
    assert_eq!(b.get("/admin").status(), 200, "29 idle minutes keep it");
    app.db
        .exec("UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes'");
    assert_eq!(b.get("/admin").status(), 303, "31 idle minutes end it");
}

/// Whatever the settings say, no session outlives 12 hours, and the idle time cannot exceed
/// the lifetime.
#[test]
fn no_session_outlives_twelve_hours_whatever_is_set() {
    let app = TestApp::spawn_with(|s| {
        s.session_timing.absolute = std::time::Duration::from_secs(48 * 3600);
        s.session_timing.idle = std::time::Duration::from_secs(100 * 3600);
    });
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let b = Browser::signed_in(&app, "snv.admin");
    assert_eq!(lifetime(&app), 12 * 3600);
    app.db
        .exec("UPDATE staff_sessions SET last_seen_at = now() - interval '11 hours'");
    assert_eq!(b.get("/admin").status(), 200);
    app.db
        .exec("UPDATE staff_sessions SET last_seen_at = now() - interval '13 hours'");
    assert_eq!(
        b.get("/admin").status(),
        303,
        "idle is capped at the lifetime"
    );
}
