//! Staff pages: sign-in with CSRF, posters only for desks the user may see, key rotation.

use reqwest::blocking::Client;

use crate::helpers::TestApp;

const PASSWORD: &str = "a long enough password";

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

fn sign_in(
    app: &TestApp,
    client: &Client,
    user: &str,
    password: &str,
) -> reqwest::blocking::Response {
    let page = client
        .get(format!("{}/admin/login", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = hidden(&page, "csrf");
    client
        .post(format!("{}/admin/login", app.base))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", csrf.as_str()),
            ("next", "/admin"),
        ])
        .send()
        .unwrap()
}

fn add_user(app: &TestApp, name: &str, role: &str, agency: Option<&str>) {
    let mut conn = app.db.conn();
    sipas::accounts::set_user(&mut conn, name, PASSWORD, role, agency).unwrap();
}

#[test]
fn the_poster_page_needs_a_signed_in_user_who_may_see_the_desk() {
    let app = TestApp::spawn();
    add_user(&app, "snv.admin", "admin", None);
    let poster = format!("{}/admin/desks/{}/poster", app.base, app.fixture.desk_id);

    let anonymous = browser().get(&poster).send().unwrap();
    assert_eq!(anonymous.status(), 303);
    assert!(anonymous.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/admin/login?next="));

    let client = browser();
    assert_eq!(
        sign_in(&app, &client, "snv.admin", "wrong password!!").status(),
        401
    );
    let ok = sign_in(&app, &client, "snv.admin", PASSWORD);
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/admin");
    let html = client
        .get(&poster)
        .send()
        .unwrap()
        .text()
        .unwrap()
        .replace("&#x2F;", "/");
    assert!(html.contains("Quầy số 1"));
    assert!(
        html.contains(&format!("{}/q/{}", app.base, app.token())),
        "the short URL is printed"
    );
    assert!(html.contains("<svg"), "the QR code is inline");

    // Staff of another agency get 404 for this desk: the rule is in the query.
    let mut conn = app.db.conn();
    let level =
        sipas::db::agencies::ensure_level(&mut conn, "province", "Tỉnh", "Province", 1).unwrap();
    sipas::db::agencies::create(&mut conn, "ELSEWHERE", "Tỉnh khác", level, None).unwrap();
    add_user(&app, "other.staff", "agency", Some("ELSEWHERE"));
    let other = browser();
    assert_eq!(sign_in(&app, &other, "other.staff", PASSWORD).status(), 303);
    assert_eq!(other.get(&poster).send().unwrap().status(), 404);
    let list = other
        .get(format!("{}/admin", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!list.contains("Quầy số 1"), "the desk list is scoped too");

    // Their own agency's staff see it.
    add_user(&app, "own.staff", "agency", Some("T1"));
    let own = browser();
    assert_eq!(sign_in(&app, &own, "own.staff", PASSWORD).status(), 303);
    assert_eq!(own.get(&poster).send().unwrap().status(), 200);
}

#[test]
fn sign_in_and_key_rotation_refuse_forged_requests() {
    let app = TestApp::spawn();
    add_user(&app, "snv.admin", "admin", None);
    let client = browser();
    // No CSRF token from the login page: refused even with the right password.
    let forged = client
        .post(format!("{}/admin/login", app.base))
        .form(&[
            ("username", "snv.admin"),
            ("password", PASSWORD),
            ("csrf", "AAAAAAAAAAAAAAAAAAAAAA"),
        ])
        .send()
        .unwrap();
    assert_eq!(forged.status(), 403);

    assert_eq!(sign_in(&app, &client, "snv.admin", PASSWORD).status(), 303);
    let rotate = format!(
        "{}/admin/desks/{}/rotate-key",
        app.base, app.fixture.desk_id
    );
    let r = client
        .post(&rotate)
        .form(&[("csrf", "nope")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let list = client
        .get(format!("{}/admin", app.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = hidden(&list, "csrf");
    let old_token = app.token();
    let r = client
        .post(&rotate)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.http
            .get(format!("{}/q/{old_token}", app.base))
            .send()
            .unwrap()
            .status(),
        410
    );
}

#[test]
fn a_password_change_ends_existing_sessions() {
    let app = TestApp::spawn();
    add_user(&app, "snv.admin", "admin", None);
    let client = browser();
    assert_eq!(sign_in(&app, &client, "snv.admin", PASSWORD).status(), 303);
    assert_eq!(
        client
            .get(format!("{}/admin", app.base))
            .send()
            .unwrap()
            .status(),
        200
    );
    let mut conn = app.db.conn();
    sipas::accounts::set_user(
        &mut conn,
        "snv.admin",
        "another long password",
        "admin",
        None,
    )
    .unwrap();
    assert_eq!(
        client
            .get(format!("{}/admin", app.base))
            .send()
            .unwrap()
            .status(),
        303
    );
}

#[test]
fn sign_in_attempts_are_rate_limited() {
    let app = TestApp::spawn_with(|s| {
        s.rate_login = sipas::config::RateLimit {
            per_minute: 1.0,
            burst: 2,
        }
    });
    add_user(&app, "snv.admin", "admin", None);
    let client = browser();
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            sign_in(&app, &client, "snv.admin", "wrong password!!")
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, vec![401, 401, 429]);
}

#[test]
fn bad_account_input_is_refused_with_the_reason() {
    let app = TestApp::spawn();
    let mut conn = app.db.conn();
    let err = |r: anyhow::Result<bool>| r.unwrap_err().to_string();
    assert!(err(sipas::accounts::set_user(
        &mut conn, "x", PASSWORD, "admin", None
    ))
    .contains("username"));
    assert!(err(sipas::accounts::set_user(
        &mut conn,
        "valid.name",
        "short",
        "admin",
        None
    ))
    .contains("12 characters"));
    assert!(err(sipas::accounts::set_user(
        &mut conn,
        "valid.name",
        PASSWORD,
        "agency",
        None
    ))
    .contains("--agency"));
    assert!(err(sipas::accounts::set_user(
        &mut conn,
        "valid.name",
        PASSWORD,
        "agency",
        Some("NOPE")
    ))
    .contains("NOPE"));
    assert!(err(sipas::accounts::set_user(
        &mut conn,
        "valid.name",
        PASSWORD,
        "root",
        None
    ))
    .contains("--role"));
}
