//! Roles and the audit log: every administrative change is recorded with who, what, when,
//! before and after, in the same transaction; the log cannot be edited; a viewer only reads.

use diesel::RunQueryDsl;
use serde_json::Value;
use sipas::db::audit::{self, Filter};
use sipas::domain::Role;

use crate::helpers::{add_user, run, test_actor, Browser, TestApp, TestDb};

fn entries(db: &TestDb, filter: &Filter) -> Vec<audit::Entry> {
    audit::list(&mut db.conn(), filter, 100).unwrap()
}

#[test]
fn user_changes_from_the_command_line_are_audited_without_the_password() {
    let db = TestDb::new();
    crate::helpers::fixture(&db);
    let (code, _, err) = run(
        db.sipas().args(["user", "ops.one"]),
        "a long enough password\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(
        db.sipas()
            .args(["user", "ops.one", "--role", "viewer", "--agency", "T1"]),
        "another long password\n",
    );
    assert_eq!(code, Some(0), "{err}");

    let log = entries(
        &db,
        &Filter {
            entity_id: Some("ops.one".into()),
            ..Default::default()
        },
    );
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.update", "user.create"], "newest first");
    let (update, create) = (&log[0], &log[1]);
    assert_eq!(create.actor, "sipas user (CLI)");
    assert!(create.before.is_none());
    let after: &Value = create.after.as_ref().unwrap();
    assert_eq!(after["role"], "admin");
    assert_eq!(update.before.as_ref().unwrap()["role"], "admin");
    assert_eq!(update.after.as_ref().unwrap()["role"], "viewer");
    assert_eq!(update.after.as_ref().unwrap()["agency"], "T1");
    for e in &log {
        let text = format!("{:?} {:?}", e.before, e.after);
        assert!(
            !text.contains("argon2") && !text.contains("password\""),
            "{text}"
        );
    }
}

#[test]
fn the_audit_log_is_append_only() {
    let db = TestDb::new();
    add_user(&db, "ops.one", Role::Admin, None);
    assert_eq!(entries(&db, &Filter::default()).len(), 1);
    for sql in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = diesel::sql_query(sql).execute(&mut db.conn()).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(entries(&db, &Filter::default())[0].actor, "test (CLI)");
}

#[test]
fn a_key_rotation_from_the_staff_page_names_who_did_it() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let staff = Browser::signed_in(&app, "snv.admin");
    let csrf = staff.csrf();
    let desk = app.fixture.desk_id;
    let r = staff.post(
        &format!("/admin/desks/{desk}/rotate-key"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(r.status(), 303);
    let log = entries(
        &app.db,
        &Filter {
            action: Some("desk".into()),
            ..Default::default()
        },
    );
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "desk.rotate_key");
    assert_eq!(log[0].actor, "snv.admin");
    assert_eq!(log[0].entity_id, desk.to_string());
    assert_eq!(log[0].before.as_ref().unwrap()["key_version"], 1);
    assert_eq!(log[0].after.as_ref().unwrap()["key_version"], 2);
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    let by_day = |from, to| {
        entries(
            &app.db,
            &Filter {
                action: Some("desk.rotate_key".into()),
                from,
                to,
                ..Default::default()
            },
        )
        .len()
    };
    assert_eq!(by_day(Some(yesterday), Some(today.succ_opt().unwrap())), 1);
    assert_eq!(by_day(None, Some(yesterday.pred_opt().unwrap())), 0);
}

#[test]
fn a_viewer_reads_the_desks_but_cannot_revoke_their_codes() {
    let app = TestApp::spawn();
    add_user(&app.db, "t1.viewer", Role::Viewer, Some("T1"));
    let viewer = Browser::signed_in(&app, "t1.viewer");
    let list = viewer.page("/admin");
    assert!(list.contains("Quầy số 1"));
    assert!(
        !list.contains("rotate-key"),
        "no button a viewer may not use"
    );
    let poster = viewer.get(&format!("/admin/desks/{}/poster", app.fixture.desk_id));
    assert_eq!(poster.status(), 200);
    let csrf = viewer.csrf();
    let r = viewer.post(
        &format!("/admin/desks/{}/rotate-key", app.fixture.desk_id),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(r.status(), 403);
    assert!(r.text().unwrap().contains("chỉ được xem"));
    assert_eq!(
        app.db.count("SELECT key_version::int8 AS n FROM desks"),
        1,
        "nothing rotated"
    );
    assert!(entries(
        &app.db,
        &Filter {
            action: Some("desk".into()),
            ..Default::default()
        }
    )
    .is_empty());
}

#[test]
fn a_disabled_account_cannot_sign_in_and_its_sessions_end() {
    let app = TestApp::spawn();
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(manager.get("/admin").status(), 200);
    sipas::db::users::set_active(&mut app.db.conn(), &test_actor(), "t1.manager", false)
        .unwrap()
        .unwrap();
    assert_eq!(manager.get("/admin").status(), 303, "the session ended");
    assert_eq!(
        Browser::new(&app)
            .sign_in("t1.manager", crate::helpers::PASSWORD)
            .status(),
        401,
        "the same answer as a wrong password"
    );
    let log = entries(
        &app.db,
        &Filter {
            action: Some("user.disable".into()),
            ..Default::default()
        },
    );
    assert_eq!(log[0].before.as_ref().unwrap()["active"], true);
    assert_eq!(log[0].after.as_ref().unwrap()["active"], false);
}
