//! The authorisation matrix: each role reads exactly what it may — its own subtree's pages,
//! exports, microdata and API, nothing of another subtree, no province page unless it is Home
//! Affairs — whatever ids or codes are typed into the address; and every state-changing form
//! refuses a request without its CSRF token and changes nothing.

use sipas::domain::Role;

use crate::helpers::{add_user, agency_with_desk, generous, sid, Browser, TestApp};

/// The province T1 (the fixture) with a unit CHILD below it, and OTHER outside it.
struct World {
    app: TestApp,
    child: i32,
    child_desk: i32,
    other: i32,
    other_desk: i32,
}

fn world() -> World {
    // Many sign-ins from one address in a few seconds: lift the sign-in limit for this test.
    let app = TestApp::spawn_with(|s| s.rate_login = generous());
    let (child, child_desk) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    let (other, other_desk) = agency_with_desk(&app.db, "OTHER", None);
    add_user(&app.db, "admin.user", Role::Admin, None);
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "child.viewer", Role::Viewer, Some("CHILD"));
    add_user(&app.db, "other.manager", Role::Manager, Some("OTHER"));
    World {
        app,
        child,
        child_desk,
        other,
        other_desk,
    }
}

#[test]
fn each_role_reads_exactly_its_own_subtree_and_nothing_more() {
    let w = world();
    let app = &w.app;
    let t1 = app.fixture.agency_id;
    let t1_desk = app.fixture.desk_id;
    // Paths by whose they are; `{}` is filled with the agency id (or code, or desk id).
    let of_agency = |id: i32, code: &str| {
        vec![
            format!("/admin/dashboard?agency={id}"),
            format!("/admin/dashboard.csv?agency={id}"),
            format!("/admin/dashboard.xlsx?agency={id}"),
            format!("/admin/microdata.csv?agency={id}"),
            format!("/admin/api/v1/agencies/{code}/indices"),
        ]
    };
    let of_desk = |id: i32| {
        vec![
            format!("/admin/desks/{id}/poster"),
            // Without an agency, the desk's own agency is shown.
            format!("/admin/dashboard?desk={id}"),
            format!("/admin/dashboard.csv?desk={id}"),
        ]
    };
    let province_pages = [
        "/admin/agencies",
        "/admin/users",
        "/admin/audit",
        "/admin/targets",
        "/admin/par",
        "/admin/par.xlsx",
        "/admin/publications",
        "/admin/desks/new",
        "/admin/waves",
        "/admin/outbox",
        "/admin/held",
    ];
    let everyone = [
        "/admin",
        "/admin/dashboard",
        "/admin/ranking",
        "/admin/ranking.csv",
        "/admin/api/v1/agencies",
        "/admin/api/v1/rankings",
    ];
    // (user, agencies and desks they may read, Home Affairs?)
    type Case<'a> = (&'a str, Vec<(i32, &'a str)>, Vec<i32>, bool);
    let cases: [Case; 4] = [
        (
            "admin.user",
            vec![(t1, "T1"), (w.child, "CHILD"), (w.other, "OTHER")],
            vec![t1_desk, w.child_desk, w.other_desk],
            true,
        ),
        (
            "t1.manager",
            vec![(t1, "T1"), (w.child, "CHILD")],
            vec![t1_desk, w.child_desk],
            false,
        ),
        (
            "child.viewer",
            vec![(w.child, "CHILD")],
            vec![w.child_desk],
            false,
        ),
        (
            "other.manager",
            vec![(w.other, "OTHER")],
            vec![w.other_desk],
            false,
        ),
    ];
    let all_agencies = [(t1, "T1"), (w.child, "CHILD"), (w.other, "OTHER")];
    let all_desks = [t1_desk, w.child_desk, w.other_desk];
    for (user, agencies, desks, is_admin) in &cases {
        let b = Browser::signed_in(app, user);
        for (id, code) in all_agencies {
            let allowed = agencies.contains(&(id, code));
            for path in of_agency(id, code) {
                let status = b.get(&path).status().as_u16();
                assert_eq!(status, if allowed { 200 } else { 404 }, "{user} GET {path}");
            }
        }
        for id in all_desks {
            let allowed = desks.contains(&id);
            for path in of_desk(id) {
                let status = b.get(&path).status().as_u16();
                assert_eq!(status, if allowed { 200 } else { 404 }, "{user} GET {path}");
            }
        }
        for path in province_pages {
            let status = b.get(path).status().as_u16();
            assert_eq!(
                status,
                if *is_admin { 200 } else { 404 },
                "{user} GET {path}"
            );
        }
        for path in everyone {
            assert_eq!(b.get(path).status().as_u16(), 200, "{user} GET {path}");
        }
        // Lists show only what is theirs.
        let list: serde_json::Value = b.get("/admin/api/v1/agencies").json().unwrap();
        let mut codes: Vec<String> = list["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        let mut expected: Vec<String> = agencies.iter().map(|(_, c)| c.to_string()).collect();
        expected.sort();
        assert_eq!(codes, expected, "{user}'s agencies");
        let desks_page = b.page("/admin");
        for (id, code) in all_agencies {
            let _ = id;
            let shown = desks_page.contains(&format!("Cơ quan {code}"))
                || desks_page.contains(&format!(">{code}<"));
            if code != "T1" {
                assert_eq!(
                    shown,
                    agencies.iter().any(|(_, c)| *c == code),
                    "{user} sees {code} on the desk list"
                );
            }
        }
    }
    // Guessed ids that do not exist are 404 too, never 500.
    let b = Browser::signed_in(app, "t1.manager");
    for path in [
        "/admin/dashboard?agency=999999",
        "/admin/dashboard?agency=-1",
        "/admin/dashboard?agency=abc",
        "/admin/desks/999999/poster",
        "/admin/api/v1/agencies/NOPE/indices",
        "/admin/dashboard.pdf",
    ] {
        assert_eq!(b.get(path).status().as_u16(), 404, "{path}");
    }
    // Without a session: sign in first (pages) or 401 (API).
    let anon = Browser::new(app);
    assert_eq!(anon.get("/admin/dashboard").status(), 303);
    assert_eq!(anon.get("/admin/microdata.csv").status(), 303);
    assert_eq!(
        app.http
            .get(format!("{}/api/v1/agencies", app.base))
            .send()
            .unwrap()
            .status(),
        401
    );
    // A viewer may not change what they can see.
    let viewer = Browser::signed_in(app, "child.viewer");
    let csrf = viewer.csrf();
    let r = viewer.post(
        &format!("/admin/desks/{}/rotate-key", w.child_desk),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(r.status(), 403);
    // A manager may not rotate another subtree's desk.
    let other = Browser::signed_in(app, "other.manager");
    let csrf = other.csrf();
    let r = other.post(
        &format!("/admin/desks/{t1_desk}/rotate-key"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM desks WHERE key_version > 1"),
        0,
        "no key rotated"
    );
}

/// Every POST route of the staff side, with fields that would change something.
fn state_changing_forms(w: &World) -> Vec<(String, Vec<(&'static str, String)>)> {
    let t1 = w.app.fixture.agency_id;
    let desk = w.app.fixture.desk_id;
    vec![
        ("/admin/logout".into(), vec![]),
        (format!("/admin/desks/{desk}/rotate-key"), vec![]),
        (
            "/admin/agencies".into(),
            vec![
                ("code", "NEW".into()),
                ("name", "Cơ quan mới".into()),
                ("level_id", "1".into()),
            ],
        ),
        (
            format!("/admin/agencies/{}", w.child),
            vec![("code", "CHILD".into()), ("name", "Đổi tên".into())],
        ),
        (
            format!("/admin/agencies/{}/active", w.other),
            vec![("active", "false".into())],
        ),
        (
            "/admin/desks".into(),
            vec![
                ("agency_id", t1.to_string()),
                ("code", "Q9".into()),
                ("name", "Quầy 9".into()),
            ],
        ),
        (
            format!("/admin/desks/{desk}"),
            vec![("code", "Q1".into()), ("name", "Đổi tên".into())],
        ),
        (
            format!("/admin/desks/{desk}/active"),
            vec![("active", "false".into())],
        ),
        (
            "/admin/users".into(),
            vec![
                ("username", "new.user".into()),
                ("password", "a long enough password".into()),
                ("role", "admin".into()),
            ],
        ),
        (
            "/admin/users/t1.manager".into(),
            vec![("role", "viewer".into()), ("agency", "T1".into())],
        ),
        (
            "/admin/users/t1.manager/active".into(),
            vec![("active", "false".into())],
        ),
        (
            "/admin/users/t1.manager/mail".into(),
            vec![
                ("email", "quan.ly@so-tu-phap.example.vn".into()),
                ("digest", "monthly".into()),
                ("mail_lang", "en".into()),
            ],
        ),
        (
            "/admin/publications".into(),
            vec![("from", "2026-01-01".into()), ("to", "2026-01-31".into())],
        ),
        (
            "/admin/targets".into(),
            vec![("subject", format!("agency:{t1}")), ("value", "90".into())],
        ),
        (
            "/admin/par".into(),
            vec![
                ("year", "2026".into()),
                ("max_points", "2".into()),
                ("kind", "linear".into()),
            ],
        ),
        (
            format!("/admin/comments/{}/hidden", uuid::Uuid::new_v4()),
            vec![("hidden", "true".into())],
        ),
        (
            "/admin/waves".into(),
            vec![("name", "Đợt".into()), ("year", "2026".into())],
        ),
        ("/admin/waves/1/frame".into(), vec![("file", "x".into())]),
        (
            "/admin/waves/1/design".into(),
            vec![("size", "yamane".into()), ("action", "save".into())],
        ),
        ("/admin/waves/1/draw".into(), vec![("seed", "1".into())]),
        ("/admin/waves/1/start".into(), vec![]),
        ("/admin/waves/1/returns".into(), vec![("file", "x".into())]),
        ("/admin/waves/1/replace".into(), vec![]),
        ("/admin/waves/1/close".into(), vec![]),
        ("/admin/waves/1/publish".into(), vec![]),
        (
            "/admin/waves/1/paper/ABCD".into(),
            vec![("k.F1", "4".into())],
        ),
        (
            "/admin/waves/1/double-entry".into(),
            vec![("on", "0".into())],
        ),
        (
            "/admin/waves/1/paper-conflicts/1".into(),
            vec![("k.F1", "4".into())],
        ),
        ("/admin/waves/1/purge-contacts".into(), vec![]),
        ("/admin/outbox/1".into(), vec![("action", "retry".into())]),
        ("/admin/held".into(), vec![("decision", "reject".into())]),
    ]
}

#[test]
fn every_state_changing_form_refuses_a_request_without_its_csrf_token() {
    let w = world();
    let app = &w.app;
    let r = app.post_form(
        &app.token(),
        &[("submission_id", &sid()), ("a.F1", "4"), ("comment", "x")],
    );
    assert_eq!(r.status(), 200);
    let forms = state_changing_forms(&w);
    // The list covers every POST route the staff side registers (read from the router).
    let router = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/mod.rs"),
    )
    .unwrap();
    let mut in_router = 0;
    for part in router.split("resource(\"").skip(1) {
        let (path, rest) = part.split_once('"').unwrap();
        let methods = rest.split('"').nth(1).unwrap_or("");
        let staff = !path.starts_with("/q/")
            && !path.starts_with("/s/")
            && !path.starts_with("/r/")
            // The signed link in a digest is its own authority (no session, no cookie).
            && !path.starts_with("/mail-settings/")
            && !path.starts_with("/api/")
            && path != "/login"
            && path != "/public"
            && !path.starts_with("/public/");
        if methods.contains("POST") && staff {
            in_router += 1;
            let pattern = format!("/admin{path}");
            let covered = forms.iter().any(|(p, _)| {
                let (a, b) = (
                    p.split('/').collect::<Vec<_>>(),
                    pattern.split('/').collect::<Vec<_>>(),
                );
                a.len() == b.len()
                    && a.iter()
                        .zip(&b)
                        .all(|(x, y)| x == y || (y.starts_with('{') && y.ends_with('}')))
            });
            assert!(covered, "POST {pattern} is not in the CSRF test");
        }
    }
    assert_eq!(in_router, forms.len(), "one case per POST route");

    let admin = Browser::signed_in(app, "admin.user");
    let snapshot = |app: &TestApp| {
        [
            "SELECT count(*) AS n FROM audit_log",
            "SELECT count(*) AS n FROM agencies",
            "SELECT count(*) AS n FROM desks WHERE active",
            "SELECT count(*) AS n FROM users WHERE active",
            "SELECT max(key_version)::int8 AS n FROM desks",
            "SELECT count(*) AS n FROM publications",
            "SELECT count(*) AS n FROM targets",
            "SELECT count(*) AS n FROM par_rules",
            "SELECT count(*) AS n FROM hidden_comments",
            "SELECT count(*) AS n FROM waves",
            "SELECT count(*) AS n FROM paper_entries",
            "SELECT count(*) AS n FROM held_ratings WHERE decision IS NOT NULL",
        ]
        .map(|q| app.db.count(q))
    };
    let before = snapshot(app);
    for (path, fields) in &forms {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            admin.post(path, &pairs).status(),
            403,
            "POST {path} without csrf"
        );
        let mut wrong = pairs.clone();
        wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAA"));
        assert_eq!(
            admin.post(path, &wrong).status(),
            403,
            "POST {path} with a forged csrf"
        );
    }
    assert_eq!(snapshot(app), before, "nothing changed");
    // And the session is still good: the refusals did not sign anyone out.
    assert_eq!(admin.get("/admin/agencies").status(), 200);
}
