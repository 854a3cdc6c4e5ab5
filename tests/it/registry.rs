//! The registry pages of Home Affairs administrators: agencies, desks and accounts created,
//! edited and disabled through the pages, each change audited; bad input refused field by
//! field with nothing changed; nobody but an administrator reaches them.

use sipas::domain::Role;

use crate::helpers::{add_user, sid, Browser, TestApp, PASSWORD};

fn admin(app: &TestApp) -> Browser {
    add_user(&app.db, "snv.admin", Role::Admin, None);
    Browser::signed_in(app, "snv.admin")
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.db.count(&format!("SELECT count(*) AS n FROM {table}"))
}

fn level_id(app: &TestApp) -> String {
    app.db
        .count("SELECT id::int8 AS n FROM agency_levels WHERE code = 'province'")
        .to_string()
}

/// Posts a registry form with the page's CSRF token.
fn submit(b: &Browser, path: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
    let csrf = b.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post(path, &all)
}

#[test]
fn an_administrator_creates_edits_and_disables_an_agency_and_each_change_is_audited() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let level = level_id(&app);
    let parent = app.fixture.agency_id.to_string();
    let r = submit(
        &b,
        "/admin/agencies",
        &[
            ("code", "SO.TP"),
            ("name", "Sở Tư pháp"),
            ("level", &level),
            ("parent", &parent),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/agencies?done=created");
    let id = app
        .db
        .count("SELECT id::int8 AS n FROM agencies WHERE code = 'SO.TP'");
    assert!(b.page("/admin/agencies").contains("Sở Tư pháp"));

    let r = submit(
        &b,
        &format!("/admin/agencies/{id}"),
        &[
            ("code", "SO.TP"),
            ("name", "Sở Tư pháp tỉnh"),
            ("level", &level),
            ("parent", ""),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM agencies WHERE id = {id} AND name = 'Sở Tư pháp tỉnh' AND parent_id IS NULL"
        )),
        1
    );
    let r = submit(
        &b,
        &format!("/admin/agencies/{id}/active"),
        &[("active", "false")],
    );
    assert_eq!(r.status(), 303);
    let actions = app.db.count(
        "SELECT count(*) AS n FROM audit_log WHERE actor = 'snv.admin' AND \
         action IN ('agency.create', 'agency.update', 'agency.disable') AND entity_id = 'SO.TP'",
    );
    assert_eq!(actions, 3);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'agency.update' \
             AND before->>'name' = 'Sở Tư pháp' AND after->>'name' = 'Sở Tư pháp tỉnh'"
        ),
        1,
        "before and after are kept"
    );
}

#[test]
fn bad_agency_input_is_refused_field_by_field_and_changes_nothing() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let level = level_id(&app);
    let (agencies, audits) = (
        count(&app, "agencies"),
        count(&app, "audit_log WHERE action NOT LIKE 'session.%'"),
    );
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("code", ""), ("name", "X"), ("level", &level)],
            "Mã gồm 1–64 ký tự",
        ),
        (
            &[("code", "có dấu"), ("name", "X"), ("level", &level)],
            "Mã gồm 1–64 ký tự",
        ),
        (
            &[("code", "T1"), ("name", "X"), ("level", &level)],
            "Mã này đã được dùng",
        ),
        (
            &[("code", "NEW"), ("name", "  "), ("level", &level)],
            "Vui lòng nhập tên",
        ),
        (
            &[("code", "NEW"), ("name", "X"), ("level", "999999")],
            "cấp hành chính",
        ),
    ];
    for (fields, reason) in cases {
        let r = submit(&b, "/admin/agencies", fields);
        assert_eq!(r.status(), 422, "{fields:?}");
        let body = r.text().unwrap();
        assert!(body.contains(reason), "{fields:?}: {reason}");
        assert_eq!(count(&app, "agencies"), agencies, "{fields:?}");
        assert_eq!(
            count(&app, "audit_log WHERE action NOT LIKE 'session.%'"),
            audits,
            "{fields:?}"
        );
    }
    // An agency cannot sit below itself or below one of its own units.
    let child = crate::helpers::agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id)).0;
    let r = submit(
        &b,
        &format!("/admin/agencies/{}", app.fixture.agency_id),
        &[
            ("code", "T1"),
            ("name", "Tỉnh"),
            ("level", &level),
            ("parent", &child.to_string()),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("đơn vị trực thuộc"));
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM agencies WHERE code = 'T1' AND parent_id IS NULL"),
        1
    );
}

#[test]
fn a_disabled_agency_or_desk_takes_no_ratings_until_it_is_enabled_again() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let token = app.token();
    let rate = || {
        app.post_form(&token, &[("submission_id", &sid()), ("a.F1", "5")])
            .status()
    };
    let agency = app.fixture.agency_id;
    assert_eq!(
        submit(
            &b,
            &format!("/admin/agencies/{agency}/active"),
            &[("active", "false")]
        )
        .status(),
        303
    );
    assert_eq!(rate(), 410);
    assert_eq!(
        app.http
            .get(format!("{}/q/{token}", app.base))
            .send()
            .unwrap()
            .status(),
        410
    );
    assert_eq!(
        submit(
            &b,
            &format!("/admin/agencies/{agency}/active"),
            &[("active", "true")]
        )
        .status(),
        303
    );
    assert_eq!(rate(), 200);

    let desk = app.fixture.desk_id;
    assert_eq!(
        submit(
            &b,
            &format!("/admin/desks/{desk}/active"),
            &[("active", "false")]
        )
        .status(),
        303
    );
    assert_eq!(rate(), 410);
    assert!(b.page("/admin").contains("ngừng hoạt động"));
    assert_eq!(
        submit(
            &b,
            &format!("/admin/desks/{desk}/active"),
            &[("active", "maybe")]
        )
        .status(),
        400
    );
    assert_eq!(
        submit(
            &b,
            &format!("/admin/desks/{desk}/active"),
            &[("active", "true")]
        )
        .status(),
        303
    );
    assert_eq!(rate(), 200);
    assert_eq!(app.responses(), 2);
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('agency.disable', 'agency.enable', 'desk.disable', 'desk.enable')"),
        4
    );
}

#[test]
fn desks_are_created_and_renamed_through_the_pages() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let agency = app.fixture.agency_id.to_string();
    let r = submit(
        &b,
        "/admin/desks",
        &[("agency", &agency), ("code", "Q2"), ("name", "Quầy số 2")],
    );
    assert_eq!(r.status(), 303);
    let id = app
        .db
        .count("SELECT id::int8 AS n FROM desks WHERE code = 'Q2'");
    assert!(b.page("/admin").contains("Quầy số 2"));
    let dup = submit(
        &b,
        "/admin/desks",
        &[("agency", &agency), ("code", "Q1"), ("name", "Trùng")],
    );
    assert_eq!(dup.status(), 422);
    assert!(dup.text().unwrap().contains("Mã này đã được dùng"));
    let none = submit(
        &b,
        "/admin/desks",
        &[("agency", ""), ("code", "Q3"), ("name", "Không có cơ quan")],
    );
    assert_eq!(none.status(), 422);
    assert_eq!(count(&app, "desks"), 2);

    let r = submit(
        &b,
        &format!("/admin/desks/{id}"),
        &[("code", "Q2"), ("name", "Quầy tiếp nhận <2>")],
    );
    assert_eq!(r.status(), 303);
    let list = b.page("/admin");
    assert!(
        list.contains("Quầy tiếp nhận &lt;2&gt;"),
        "names are escaped"
    );
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action IN ('desk.create', 'desk.update')"
        ),
        2
    );
}

#[test]
fn accounts_are_created_changed_and_locked_through_the_pages() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let r = submit(
        &b,
        "/admin/users",
        &[
            ("username", "T1.Manager"),
            ("role", "manager"),
            ("agency", "T1"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status(), 303);
    let manager = Browser::signed_in(&app, "t1.manager");
    assert!(manager.page("/admin").contains("Quầy số 1"));

    let r = submit(
        &b,
        "/admin/users/t1.manager",
        &[("role", "viewer"), ("agency", "T1"), ("password", "")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        manager.get("/admin").status(),
        303,
        "a role change ends the sessions"
    );
    let viewer = Browser::signed_in(&app, "t1.manager");
    assert!(
        !viewer.page("/admin").contains("rotate-key"),
        "now a viewer"
    );

    let r = submit(&b, "/admin/users/t1.manager/active", &[("active", "false")]);
    assert_eq!(r.status(), 303);
    assert_eq!(viewer.get("/admin").status(), 303);
    assert_eq!(
        Browser::new(&app).sign_in("t1.manager", PASSWORD).status(),
        401
    );
    let self_lock = submit(&b, "/admin/users/snv.admin/active", &[("active", "false")]);
    assert_eq!(self_lock.status(), 403);
    assert!(self_lock.text().unwrap().contains("chính mình"));
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM audit_log WHERE entity_id = 't1.manager' AND actor = 'snv.admin'"),
        3
    );
}

#[test]
fn bad_account_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let (users, audits) = (
        count(&app, "users"),
        count(&app, "audit_log WHERE action NOT LIKE 'session.%'"),
    );
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[
                ("username", "ab"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "3–64 ký tự",
        ),
        (
            &[
                ("username", "ops"),
                ("role", "admin"),
                ("password", "short"),
            ],
            "12 ký tự",
        ),
        (
            &[
                ("username", "ops"),
                ("role", "root"),
                ("password", PASSWORD),
            ],
            "chọn vai trò",
        ),
        (
            &[
                ("username", "ops"),
                ("role", "admin"),
                ("agency", "T1"),
                ("password", PASSWORD),
            ],
            "không gắn với một cơ quan",
        ),
        (
            &[
                ("username", "ops"),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
            "cần chọn một cơ quan",
        ),
        (
            &[
                ("username", "snv.admin"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "đã có",
        ),
    ];
    for (fields, reason) in cases {
        let r = submit(&b, "/admin/users", fields);
        assert_eq!(r.status(), 422, "{fields:?}");
        let body = r.text().unwrap();
        assert!(body.contains(reason), "{fields:?}: {reason}");
        assert!(!body.contains(PASSWORD), "a password is never shown again");
        assert_eq!(count(&app, "users"), users, "{fields:?}");
        assert_eq!(
            count(&app, "audit_log WHERE action NOT LIKE 'session.%'"),
            audits,
            "{fields:?}"
        );
    }
}

#[test]
fn only_administrators_reach_the_registry_and_a_forged_form_changes_nothing() {
    let app = TestApp::spawn();
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "t1.viewer", Role::Viewer, Some("T1"));
    let desk = app.fixture.desk_id;
    let agency = app.fixture.agency_id;
    let pages = [
        "/admin/agencies".to_owned(),
        format!("/admin/agencies/{agency}"),
        "/admin/desks/new".to_owned(),
        format!("/admin/desks/{desk}"),
        "/admin/users".to_owned(),
        "/admin/users/t1.manager".to_owned(),
        "/admin/audit".to_owned(),
    ];
    let posts = [
        (
            "/admin/agencies".to_owned(),
            vec![("code", "X"), ("name", "X"), ("level", "1")],
        ),
        (
            format!("/admin/agencies/{agency}/active"),
            vec![("active", "false")],
        ),
        (
            "/admin/desks".to_owned(),
            vec![("agency", "1"), ("code", "X"), ("name", "X")],
        ),
        (
            format!("/admin/desks/{desk}/active"),
            vec![("active", "false")],
        ),
        (
            "/admin/users".to_owned(),
            vec![
                ("username", "sneaky"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        ),
        (
            "/admin/users/t1.viewer".to_owned(),
            vec![("role", "admin"), ("agency", "")],
        ),
    ];
    let before = (
        count(&app, "agencies"),
        count(&app, "users"),
        count(&app, "audit_log WHERE action NOT LIKE 'session.%'"),
    );
    for user in ["t1.manager", "t1.viewer"] {
        let b = Browser::signed_in(&app, user);
        assert!(
            !b.page("/admin").contains("/admin/agencies"),
            "{user} sees no registry link"
        );
        for p in &pages {
            assert_eq!(b.get(p).status(), 404, "{user} GET {p}");
        }
        for (p, fields) in &posts {
            assert_eq!(submit(&b, p, fields).status(), 404, "{user} POST {p}");
        }
    }
    // An administrator's session without the CSRF token of that session.
    let a = admin(&app);
    for (p, fields) in &posts {
        let mut forged = vec![("csrf", "forged-token")];
        forged.extend(fields.iter().copied());
        assert_eq!(a.post(p, &forged).status(), 403, "forged POST {p}");
    }
    let after_admin = (
        count(&app, "agencies"),
        count(&app, "users") - 1,
        count(&app, "audit_log WHERE action NOT LIKE 'session.%'") - 1,
    );
    assert_eq!(
        after_admin, before,
        "nothing changed but the administrator's own account"
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM desks WHERE active"),
        1
    );
}

#[test]
fn the_audit_page_filters_and_shows_values_inert() {
    let app = TestApp::spawn();
    let b = admin(&app);
    let level = level_id(&app);
    let r = submit(
        &b,
        "/admin/agencies",
        &[
            ("code", "XSS"),
            ("name", "<script>alert(1)</script>"),
            ("level", &level),
        ],
    );
    assert_eq!(r.status(), 303);
    let page = b.page("/admin/audit?action=agency");
    assert!(page.contains("agency.create") && page.contains("XSS"));
    assert!(!page.contains("<script>alert"), "escaped");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains("user.create"), "filtered to agencies");
    let users = b.page("/admin/audit?action=user&actor=test+%28CLI%29");
    assert!(users.contains("user.create") && users.contains("snv.admin"));
    // In words, with the recorded data one click away; sign-ins listed apart.
    assert!(page.contains("snv.admin thêm cơ quan"), "{page}");
    assert!(page.contains("<details><summary>Xem dữ liệu (agency.create)"));
    let all = b.page("/admin/audit");
    assert!(all.contains("thêm cơ quan") && !all.contains("snv.admin đăng nhập"));
    let sign_ins = b.page("/admin/audit?action=session");
    assert!(sign_ins.contains("snv.admin đăng nhập"), "{sign_ins}");
    assert!(!sign_ins.contains("thêm cơ quan"));
    let none = b.page("/admin/audit?from=2001-01-01&to=2001-01-31");
    assert!(none.contains("Không có mục nào"));
    let bad = b.get("/admin/audit?from=yesterday");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("YYYY-MM-DD"));
}
