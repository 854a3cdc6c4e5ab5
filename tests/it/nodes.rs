//! Several nodes notice each other (issue #21, point 2): each writes a heartbeat, and a node
//! whose rate limits are kept in memory while another node serves the same database says so
//! on `/health/ready` and on every administrator's page; with shared limits it says nothing.

use crate::helpers::{add_user, Browser, TestApp};
use sipas::config::RateStore;
use sipas::domain::Role;

fn ready_body(base: &str) -> String {
    let r = reqwest::blocking::get(format!("{base}/health/ready")).unwrap();
    assert_eq!(r.status(), 200);
    r.text().unwrap()
}

#[test]
fn a_second_node_with_limits_in_memory_warns_operators_and_administrators() {
    let app = TestApp::spawn();
    assert!(
        ready_body(&app.base)
            .contains("nodes: 0 other live node(s) on this database; rate limits here: memory"),
        "{}",
        ready_body(&app.base)
    );
    assert!(!ready_body(&app.base).contains("WARNING"));
    let second = app.another_node();
    // The second node saw the first at its start.
    let body = ready_body(&second.base);
    assert!(body.contains("nodes: 1 other live node(s)"), "{body}");
    assert!(
        body.contains("each such node gives every client and desk its full allowance"),
        "{body}"
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM nodes"), 2);
    // An administrator on that node sees it on every page; a manager does not.
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let at_second = |user: &str| {
        let b = Browser::at(&second.base);
        assert_eq!(b.sign_in(user, crate::helpers::PASSWORD).status(), 303);
        b
    };
    let page = at_second("snv.admin").page("/admin/dashboard");
    assert!(
        page.contains("Cảnh báo vận hành: có 1 máy chủ SIPAS khác"),
        "{page}"
    );
    let page = at_second("t1.manager").page("/admin/dashboard");
    assert!(!page.contains("Cảnh báo vận hành"), "{page}");
    // A node that stops removes its row.
    second.stop();
    assert_eq!(app.db.count("SELECT count(*) AS n FROM nodes"), 1);
}

#[test]
fn nodes_sharing_their_limits_in_postgresql_say_nothing_alarming() {
    let app = TestApp::spawn_with(|s| s.rate_store = RateStore::Postgres);
    let second = app.another_node();
    let body = ready_body(&second.base);
    assert!(
        body.contains("nodes: 1 other live node(s) on this database; rate limits here: postgres"),
        "{body}"
    );
    assert!(!body.contains("WARNING"), "{body}");
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let page = Browser::signed_in(&app, "snv.admin").page("/admin/dashboard");
    assert!(!page.contains("Cảnh báo vận hành"), "{page}");
    second.stop();
}
