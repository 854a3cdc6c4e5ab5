//! The agency dashboard reads the aggregates and shows what the raw rows say, with intervals
//! and n; nobody sees an agency or desk outside their scope.

use sipas::db::instruments::{load_form, Form};
use sipas::db::results::{answers_in_period, Period};
use sipas::domain::{DeskToken, Role};
use sipas::results::desk;
use sipas::views::percent;
use sipas::views::Lang;

use crate::helpers::{add_user, agency_with_desk, sid, Browser, TestApp, SECRET};

#[test]
fn a_manager_sees_the_indices_of_the_raw_rows_with_intervals_and_only_their_scope() {
    let app = TestApp::spawn();
    let (child, child_desk) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    let (_, other_desk) = agency_with_desk(&app.db, "OTHER", None);
    for i in 0..45 {
        let f1 = ["5", "4", "2", "na"][i % 4];
        let f2 = ["5", "3", "4"][i % 3];
        let r = app.post_form(
            &app.token(),
            &[
                ("submission_id", &sid()),
                ("a.F1", f1),
                ("a.F2", f2),
                ("a.F3", "4"),
                ("a.F4", "5"),
                ("a.F5", "4"),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    let child_token = DeskToken {
        desk_id: child_desk,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    for _ in 0..5 {
        assert_eq!(
            app.post_form(&child_token, &[("submission_id", &sid()), ("a.F1", "5")])
                .status(),
            200
        );
    }

    // What the raw rows say for T1 and the unit below it.
    let mut conn = app.db.conn();
    let form = load_form(&mut conn, "sipas-2017", Form::Desk).unwrap();
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let period = Period {
        from: today,
        to: today,
        channel: "desk_qr".into(),
        instrument_id: form.instrument_id,
    };
    let mut raw = answers_in_period(&mut conn, app.fixture.agency_id, &period).unwrap();
    raw.extend(answers_in_period(&mut conn, child, &period).unwrap());
    raw.sort_by_key(|r| r.0);
    let (report, n) = desk::report(&form, &raw).unwrap().unwrap();
    assert_eq!(n, 50);
    let overall = report.overall.unwrap();
    let f1 = report.items[0].index.unwrap();

    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let page = manager.page("/admin/dashboard");
    for expected in [
        format!("{}%", percent(overall.estimate, Lang::Vi)),
        format!(
            "{}–{}%",
            percent(overall.ci_low, Lang::Vi),
            percent(overall.ci_high, Lang::Vi)
        ),
        format!("{}%", percent(f1.estimate, Lang::Vi)),
        format!(
            "{}–{}%",
            percent(f1.ci_low, Lang::Vi),
            percent(f1.ci_high, Lang::Vi)
        ),
        "50 phiếu".to_owned(),
        "không phải mẫu ngẫu nhiên".to_owned(),
    ] {
        assert!(
            page.contains(&expected),
            "{expected} not on the page: {page}"
        );
    }
    assert!(
        !page.contains("OTHER"),
        "no agency outside the scope is offered"
    );

    // The unit below: too few ratings for a number.
    let small = manager.page(&format!("/admin/dashboard?agency={child}"));
    assert!(small.contains("Chưa đủ số phản hồi"));
    assert!(small.contains("5 phiếu"));

    // Outside the scope: 404, whatever is typed in the address.
    add_user(&app.db, "child.viewer", Role::Viewer, Some("CHILD"));
    let viewer = Browser::signed_in(&app, "child.viewer");
    let parent = format!("/admin/dashboard?agency={}", app.fixture.agency_id);
    assert_eq!(viewer.get(&parent).status(), 404);
    assert_eq!(
        viewer
            .get(&format!("/admin/dashboard?desk={other_desk}"))
            .status(),
        404
    );
    assert_eq!(
        viewer
            .get(&format!("/admin/dashboard?desk={}", app.fixture.desk_id))
            .status(),
        404
    );
    assert_eq!(viewer.get("/admin/dashboard").status(), 200);
    // Bad filters are refused with the reason.
    let bad = viewer.get("/admin/dashboard?from=yesterday");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("YYYY-MM-DD"));
    assert_eq!(viewer.get("/admin/dashboard?channel=paper").status(), 400);
    // Named periods: this year and this quarter include today's ratings; last month does not.
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let year = manager.page("/admin/dashboard?period=year");
    assert!(year.contains("hint\">50 phiếu"));
    assert!(year.contains(&format!("value=\"{}-01-01\"", today.format("%Y"))));
    assert!(manager
        .page("/admin/dashboard?period=quarter")
        .contains("50 phiếu"));
    let last_month = manager.page("/admin/dashboard?period=last_month");
    assert!(
        last_month.contains("hint\">0 phiếu"),
        "no rating last month"
    );
    // The desk filter narrows to one desk.
    let one = manager.page(&format!("/admin/dashboard?desk={child_desk}"));
    assert!(one.contains("hint\">5 phiếu"));
}
