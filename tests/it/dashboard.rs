//! The agency dashboard reads the aggregates and shows what the raw rows say, with intervals
//! and n; nobody sees an agency or desk outside their scope.

use sipas::db::instruments::{load_form, Form};
use sipas::db::results::{answers_in_period, Period};
use sipas::domain::{DeskToken, Role};
use sipas::results::desk;
use sipas::views::percent;
use sipas::views::Lang;
use sipas::web::filters::today_in_vietnam;

use analysis::compare::difference_welch;
use sipas::db;

use crate::helpers::{
    add_user, agency_with_desk, rebuild_aggregates, sid, store_rating_on, test_actor, Browser,
    TestApp, SECRET,
};

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
    let today = today_in_vietnam();
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
    let today = today_in_vietnam();
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
    // Two desks: the design effect of the desks is printed under the overall index; one desk
    // alone: the page says its interval takes the ratings as independent (issue #18, point 1).
    assert!(page.contains("Hiệu ứng thiết kế do các lượt đánh giá cùng quầy giống nhau"));
    let desk = manager.page(&format!("/admin/dashboard?desk={}", app.fixture.desk_id));
    assert!(desk.contains("Các lượt đánh giá này đến từ một quầy"));
}

/// (F1…F5) for one rating: all five factors at `v`.
fn all(v: i16) -> Vec<(&'static str, Option<i16>)> {
    ["F1", "F2", "F3", "F4", "F5"]
        .iter()
        .map(|c| (*c, Some(v)))
        .collect()
}

#[test]
fn the_dashboard_compares_periods_judges_the_target_by_the_interval_and_draws_the_trend() {
    let app = TestApp::spawn();
    let desk = app.fixture.desk_id;
    // September: everyone satisfied; October: a third dissatisfied; October a year earlier:
    // much the same as this October.
    for i in 0..60 {
        store_rating_on(&app.db, desk, "2026-09-10", &all(5));
        store_rating_on(
            &app.db,
            desk,
            "2026-10-10",
            &all(if i % 3 == 0 { 2 } else { 5 }),
        );
        if i < 45 {
            store_rating_on(
                &app.db,
                desk,
                "2025-10-15",
                &all(if i % 3 == 0 { 2 } else { 4 }),
            );
        }
    }
    // Too few in August for a number: no point on the trend.
    for _ in 0..5 {
        store_rating_on(&app.db, desk, "2026-08-10", &all(4));
    }
    rebuild_aggregates(&app.db);
    let mut conn = app.db.conn();
    db::targets::set(
        &mut conn,
        &test_actor(),
        db::targets::Subject::Agency(app.fixture.agency_id),
        Some(0.9),
    )
    .unwrap();

    // Independent: each period's overall SIPAS from the raw rows, their difference by analysis.
    let form = load_form(&mut conn, "sipas-2017", Form::Desk).unwrap();
    let overall = |c: &mut diesel::PgConnection, from: &str, to: &str| {
        let p = Period {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            channel: "desk_qr".into(),
            instrument_id: form.instrument_id,
        };
        let rows = answers_in_period(c, app.fixture.agency_id, &p).unwrap();
        desk::report(&form, &rows)
            .unwrap()
            .unwrap()
            .0
            .overall
            .unwrap()
    };
    let october = overall(&mut conn, "2026-10-01", "2026-10-31");
    let september = overall(&mut conn, "2026-08-31", "2026-09-30");
    let last_year = overall(&mut conn, "2025-10-01", "2025-10-31");
    let vs_previous = difference_welch(&october, &september, 0.95).unwrap();
    let vs_year = difference_welch(&october, &last_year, 0.95).unwrap();
    assert!(vs_previous.significant && !vs_year.significant);

    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let page = admin.page("/admin/dashboard?from=2026-10-01&to=2026-10-31");
    let pp = |x: f64| {
        format!("{:+.2}", 100.0 * x)
            .replace('.', ",")
            .replace('-', "−")
    };
    for expected in [
        format!("{} điểm %", pp(vs_previous.estimate)),
        format!("{} đến {}", pp(vs_previous.ci_low), pp(vs_previous.ci_high)),
        format!("{} điểm %", pp(vs_year.estimate)),
        // tera escapes "/" in text.
        "31&#x2F;08&#x2F;2026 – 30&#x2F;09&#x2F;2026".to_owned(),
        "01&#x2F;10&#x2F;2025 – 31&#x2F;10&#x2F;2025".to_owned(),
    ] {
        assert!(page.contains(&expected), "{expected} missing");
    }
    let overall_row = page
        .split("<td>Chỉ số SIPAS chung</td>")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap();
    let cells: Vec<&str> = overall_row.split("<td>").collect();
    assert!(cells[1].contains("có ý nghĩa thống kê"), "{overall_row}");
    assert!(cells[2].contains("chưa khác biệt rõ"), "{overall_row}");
    // The read API gives the same changes with the raw and the Benjamini–Hochberg adjusted
    // p-value across the page's comparisons (issue #18, point 3), recomputed here.
    let api: serde_json::Value = admin
        .get("/admin/api/v1/agencies/T1/indices?from=2026-10-01&to=2026-10-31")
        .json()
        .unwrap();
    let changes = api["changes"].as_array().unwrap();
    let p: Vec<f64> = changes
        .iter()
        .map(|c| c["p_value"].as_f64().unwrap())
        .collect();
    let m = p.len() as f64;
    for (c, &pi) in changes.iter().zip(&p) {
        // BH: min over every p_j ≥ p_i of p_j · m / rank_j, capped at 1.
        let adjusted = p
            .iter()
            .filter(|&&pj| pj >= pi)
            .map(|&pj| pj * m / p.iter().filter(|&&pk| pk <= pj).count() as f64)
            .fold(1.0_f64, f64::min);
        assert!(
            (c["p_adjusted"].as_f64().unwrap() - adjusted).abs() < 1e-12,
            "{c}"
        );
    }
    let overall_previous = changes
        .iter()
        .find(|c| c["index"] == "overall" && c["against"] == "previous")
        .unwrap();
    assert!(
        (overall_previous["difference"].as_f64().unwrap() - vs_previous.estimate).abs() < 1e-12
    );
    assert_eq!(overall_previous["against_from"], "2026-08-31");
    assert_eq!(overall_previous["significant"], true);
    // October's interval lies wholly below 90%: not met, by the interval.
    assert!(october.ci_high < 0.9);
    assert!(page.contains("Chưa đạt mục tiêu") && page.contains("mục tiêu 90,00%"));
    // The trend: twelve months to October, a point for each month with enough answers only.
    // (Drawn twice, for a phone and a wide screen; the wide drawing labels every month.)
    let wide = page.split("class=\"size-wide\"").nth(1).unwrap();
    let wide = &wide[..wide.find("</svg>").unwrap()];
    for m in ["11/25", "08/26", "09/26", "10/26"] {
        let m = m.replace('/', "&#x2F;");
        assert!(wide.contains(&format!(">{m}</text>")), "{m} on the axis");
    }
    assert_eq!(
        wide.matches("<circle").count(),
        2,
        "September and October only"
    );
    assert_eq!(page.matches("<circle").count(), 4, "in each drawing");
    assert!(page.contains("Mục tiêu 90,00%"));

    // A level's target applies when the agency has none; the agency's own wins.
    db::targets::set(
        &mut conn,
        &test_actor(),
        db::targets::Subject::Agency(app.fixture.agency_id),
        None,
    )
    .unwrap();
    let level: i32 = {
        use diesel::prelude::*;
        sipas::db::schema::agencies::table
            .find(app.fixture.agency_id)
            .select(sipas::db::schema::agencies::level_id)
            .first(&mut conn)
            .unwrap()
    };
    db::targets::set(
        &mut conn,
        &test_actor(),
        db::targets::Subject::Level(level),
        Some(0.5),
    )
    .unwrap();
    let page = admin.page("/admin/dashboard?from=2026-10-01&to=2026-10-31");
    assert!(page.contains("Đạt mục tiêu") && page.contains("mục tiêu 50,00%"));
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'target.set'"),
        3
    );
}

#[test]
fn administrators_set_targets_on_a_page_with_precise_refusals() {
    let app = TestApp::spawn();
    add_user(&app.db, "boss", Role::Admin, None);
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let admin = Browser::signed_in(&app, "boss");
    let csrf = admin.csrf();
    let subject = format!("agency:{}", app.fixture.agency_id);
    let no_target = "Chưa đặt mục tiêu cho cơ quan này";
    assert!(admin.page("/admin/dashboard").contains(no_target));
    let r = admin.post(
        "/admin/targets",
        &[("csrf", &csrf), ("subject", &subject), ("value", "97,5")],
    );
    assert_eq!(r.status(), 303);
    let page = admin.page("/admin/targets");
    assert!(page.contains("97,50%") && page.contains("T1"));
    assert!(!admin.page("/admin/dashboard").contains(no_target));
    // Refused: the field is named, nothing changes.
    for (value, says) in [("120", "không quá 100%"), ("abc", "ví dụ 98")] {
        let r = admin.post(
            "/admin/targets",
            &[("csrf", &csrf), ("subject", &subject), ("value", value)],
        );
        assert_eq!(r.status(), 422);
        let body = r.text().unwrap();
        assert!(body.contains("Mục tiêu") && body.contains(says), "{body}");
    }
    let r = admin.post(
        "/admin/targets",
        &[
            ("csrf", &csrf),
            ("subject", "agency:999999"),
            ("value", "90"),
        ],
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM targets WHERE value = 0.975"),
        1
    );
    // Without CSRF, or as a manager: refused, nothing stored.
    let r = admin.post("/admin/targets", &[("subject", &subject), ("value", "50")]);
    assert_eq!(r.status(), 403);
    let manager = Browser::signed_in(&app, "t1.manager");
    let csrf_m = manager.csrf();
    let r = manager.post(
        "/admin/targets",
        &[("csrf", &csrf_m), ("subject", &subject), ("value", "50")],
    );
    assert_eq!(r.status(), 404);
    assert_eq!(manager.get("/admin/targets").status(), 404);
    // Removed with an empty value; every change is in the audit log.
    let r = admin.post(
        "/admin/targets",
        &[("csrf", &csrf), ("subject", &subject), ("value", "")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM targets"), 0);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'target.set'"),
        2
    );
}

#[test]
fn comments_render_inert_and_a_manager_hides_one_without_deleting_it() {
    let app = TestApp::spawn();
    let (_, other_desk) = agency_with_desk(&app.db, "OTHER", None);
    let evil = "<script>alert('x')</script> Cán bộ thái độ kém";
    for (token, comment) in [
        (app.token(), evil),
        (app.token(), "Thủ tục nhanh, cảm ơn."),
        (
            DeskToken {
                desk_id: other_desk,
                key_version: 1,
            }
            .sign(SECRET.as_bytes()),
            "Ý kiến của cơ quan khác",
        ),
    ] {
        let r = app.post_form(
            &token,
            &[
                ("submission_id", &sid()),
                ("a.F1", "4"),
                ("comment", comment),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "t1.viewer", Role::Viewer, Some("T1"));
    add_user(&app.db, "other.manager", Role::Manager, Some("OTHER"));
    let manager = Browser::signed_in(&app, "t1.manager");
    let page = manager.page("/admin/dashboard");
    assert!(!page.contains("<script>alert"), "the comment is escaped");
    assert!(page.contains("&lt;script&gt;alert"));
    assert!(page.contains("Thủ tục nhanh, cảm ơn."));
    assert!(
        !page.contains("Ý kiến của cơ quan khác"),
        "not in the scope"
    );
    // Search narrows the list.
    let found = manager.page("/admin/dashboard?q=c%C3%A1n+b%E1%BB%99");
    assert!(found.contains("thái độ kém") && !found.contains("Thủ tục nhanh"));

    let id: String = {
        use diesel::prelude::*;
        use sipas::db::schema::responses;
        responses::table
            .filter(responses::comment.eq(evil))
            .select(responses::id)
            .first::<uuid::Uuid>(&mut app.db.conn())
            .unwrap()
            .to_string()
    };
    let path = format!("/admin/comments/{id}/hidden");
    let csrf = manager.csrf();
    // Without CSRF: refused.
    assert_eq!(manager.post(&path, &[("hidden", "true")]).status(), 403);
    // A viewer may not hide; a manager of another agency does not even find it.
    let viewer = Browser::signed_in(&app, "t1.viewer");
    let vcsrf = viewer.csrf();
    assert_eq!(
        viewer
            .post(&path, &[("csrf", &vcsrf), ("hidden", "true")])
            .status(),
        403
    );
    let other = Browser::signed_in(&app, "other.manager");
    let ocsrf = other.csrf();
    assert_eq!(
        other
            .post(&path, &[("csrf", &ocsrf), ("hidden", "true")])
            .status(),
        404
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM hidden_comments"), 0);

    // The manager hides it; a crafted "back" cannot redirect elsewhere or split the header.
    let r = manager.post(
        &path,
        &[
            ("csrf", &csrf),
            ("hidden", "true"),
            ("back", "/admin/dashboard?x=1\r\nSet-Cookie: a=b"),
        ],
    );
    assert_eq!(r.status(), 303);
    // Back to the comment itself, on the dashboard only.
    assert_eq!(
        r.headers()["location"],
        format!("/admin/dashboard#comment-{id}").as_str()
    );
    let r = manager.post(
        &path,
        &[
            ("csrf", &csrf),
            ("hidden", "true"),
            ("back", "https://evil.example/"),
        ],
    );
    assert_eq!(
        r.headers()["location"],
        format!("/admin/dashboard#comment-{id}").as_str()
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM hidden_comments"), 1);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE id = '{id}' AND comment LIKE '%thái độ kém'"
        )),
        1,
        "the comment is kept as it was"
    );
    // The viewer sees that a comment was hidden, not its text; the manager can show it again.
    let seen = viewer.page("/admin/dashboard");
    assert!(seen.contains("đã được ẩn") && !seen.contains("thái độ kém"));
    assert!(manager.page("/admin/dashboard").contains("Hiện lại"));
    let r = manager.post(
        &path,
        &[
            ("csrf", &csrf),
            ("hidden", "false"),
            ("back", "/admin/dashboard?q=x"),
        ],
    );
    assert_eq!(
        r.headers()["location"],
        format!("/admin/dashboard?q=x#comment-{id}").as_str()
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM hidden_comments"), 0);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action IN ('comment.hide', 'comment.show')"
        ),
        2,
        "hiding twice records once; showing again is recorded"
    );
    assert_eq!(
        manager
            .post(
                "/admin/comments/not-a-uuid/hidden",
                &[("csrf", &csrf), ("hidden", "true")]
            )
            .status(),
        404
    );
}

/// Pearson's r by the two-pass (centred) formula, independent of the one-pass sums the
/// aggregates keep.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

#[test]
fn what_to_improve_first_names_the_factor_that_matters_most_and_scores_lowest() {
    let app = TestApp::spawn();
    // F1 follows the overall answer and scores low; the other factors score high and, over
    // whole cycles of their patterns, do not move with it at all.
    // 120 ratings: a quadrant is claimed only from 100 ratings answering both (issue #18,
    // point 10); the first 60 are dated a month earlier to check that below it none is.
    let (mut f1, mut f2, mut overall) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..120 {
        let a = [1, 2, 4, 5, 3][i % 5];
        let b = [5, 4][i % 2];
        f1.push(a as f64);
        f2.push(b as f64);
        overall.push(a as f64);
        let mut answers = vec![
            ("F1", Some(a)),
            ("F2", Some(b)),
            ("F3", Some([4, 5, 5][i % 3])),
            ("F4", Some([5, 5, 4, 4][i % 4])),
            ("F5", Some([5, 4, 4][i % 3])),
            ("OVERALL", Some(a)),
        ];
        if i == 7 {
            answers[1].1 = None; // no opinion on F2: that rating does not count for F2's r
            f2.pop();
        }
        let day = if i < 60 { "2026-09-10" } else { "2026-10-10" };
        store_rating_on(&app.db, app.fixture.desk_id, day, &answers);
    }
    rebuild_aggregates(&app.db);
    let r1 = pearson(&f1, &overall);
    let overall_f2: Vec<f64> = overall
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 7)
        .map(|(_, v)| *v)
        .collect();
    let r2 = pearson(&f2, &overall_f2);
    assert!((r1 - 1.0).abs() < 1e-12);

    add_user(&app.db, "boss", Role::Admin, None);
    let boss = Browser::signed_in(&app, "boss");
    let september = boss.page("/admin/dashboard?from=2026-09-01&to=2026-09-30");
    assert!(
        september.contains("Chưa xếp nhóm: cần ít nhất 100 lượt trả lời cả hai câu")
            && !september.contains("Ưu tiên cải thiện</td>"),
        "60 ratings: r is shown with its interval, no quadrant is claimed"
    );
    let page = boss.page("/admin/dashboard?from=2026-09-01&to=2026-10-31");
    let section = page
        .split("Nên cải thiện điều gì trước?")
        .nth(1)
        .and_then(|s| s.split("Từng câu hỏi").next())
        .unwrap();
    // r with its Fisher-z interval (analysis::compare::correlation_interval, = R's cor.test).
    let r_shown = |r: f64, n: f64| {
        let (lo, hi) = analysis::compare::correlation_interval(r, n, 0.95)
            .unwrap()
            .unwrap();
        let d = |x: f64| format!("{x:.2}").replace('.', ",");
        format!("<td>{} ({}–{}; n = {n})</td>", d(r), d(lo), d(hi))
    };
    assert!(section.contains(&r_shown(r1, 120.0)), "{section}");
    assert!(section.contains(&r_shown(r2, 119.0)), "{section}");
    assert!(
        section.contains("Nên ưu tiên cải thiện:</strong> Tiếp cận dịch vụ."),
        "{section}"
    );
    assert_eq!(section.matches("Ưu tiên cải thiện</td>").count(), 1);
}

#[test]
fn sums_of_past_days_are_reused_until_a_rebuild_and_today_is_always_fresh() {
    let app = TestApp::spawn();
    let desk = app.fixture.desk_id;
    for _ in 0..3 {
        store_rating_on(&app.db, desk, "2026-03-10", &all(5));
    }
    rebuild_aggregates(&app.db);
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let march = "/admin/dashboard?from=2026-03-01&to=2026-03-31";
    assert!(admin.page(march).contains("hint\">3 phiếu"));
    // A row written behind the aggregates' back is not seen: past days are kept in memory.
    store_rating_on(&app.db, desk, "2026-03-11", &all(4));
    assert!(admin.page(march).contains("hint\">3 phiếu"));
    // A rebuild starts a new generation: every node forgets what it kept.
    rebuild_aggregates(&app.db);
    assert!(admin.page(march).contains("hint\">4 phiếu"));
    // Today is read at every request.
    let today = "/admin/dashboard?period=month";
    let before = admin.page(today).contains("hint\">0 phiếu");
    assert!(before);
    let r = app.post_form(&app.token(), &[("submission_id", &sid()), ("a.F1", "5")]);
    assert_eq!(r.status(), 200);
    assert!(admin.page(today).contains("hint\">1 phiếu"));
}

#[test]
fn the_results_pages_switch_to_english_and_back() {
    let app = TestApp::spawn();
    for i in 0..40 {
        let r = app.post_form(
            &app.token(),
            &[
                ("submission_id", &sid()),
                ("a.F1", ["5", "4", "2"][i % 3]),
                ("a.F2", "4"),
                ("a.OVERALL", ["5", "3"][i % 2]),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");
    let vi = admin.page("/admin/dashboard");
    assert!(vi.contains("<html lang=\"vi\">") && vi.contains("Chỉ số hài lòng chung (SIPAS)"));
    // The switch comes back to the same page, in English, and stays English on other pages.
    let r = admin.get("/admin/lang/en?back=%2Fadmin%2Fdashboard%3Fperiod%3Dyear");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/dashboard?period=year");
    let en = admin.page("/admin/dashboard?period=year");
    assert!(en.contains("<html lang=\"en\">"));
    for text in [
        "Overall satisfaction index (SIPAS)",
        "95% confidence interval",
        "Twelve-month trend",
        "What to improve first?",
        "Recent comments",
        "Sign out",
        "Tiếng Việt",
    ] {
        assert!(
            en.contains(text),
            "{text} missing from the English dashboard"
        );
    }
    let f1 = sipas::views::percent(
        {
            let api: serde_json::Value = admin
                .get("/admin/api/v1/agencies/T1/indices")
                .json()
                .unwrap();
            api["items"][0]["estimate"].as_f64().unwrap()
        },
        Lang::En,
    );
    assert!(
        en.contains(&format!("{f1}%")),
        "decimals with a point in English"
    );
    let ranking = admin.page("/admin/ranking");
    assert!(ranking.contains("Ranking of units") && ranking.contains("rank interval"));
    // A crafted way back stays on the site.
    let r = admin.get("/admin/lang/vi?back=https%3A%2F%2Fevil.example%2F");
    assert_eq!(r.headers()["location"], "/admin/dashboard");
    assert!(admin
        .page("/admin/dashboard")
        .contains("<html lang=\"vi\">"));
    assert_eq!(admin.get("/admin/lang/fr").status(), 404);
}

#[test]
fn phone_numbers_emails_and_id_numbers_in_comments_are_masked_except_for_administrators() {
    let app = TestApp::spawn();
    let typed = "Cán bộ hẹn gọi 0912 345 678 hoặc email nguyen.van.a@gmail.com, \
                 CCCD 079123456789, mà không gọi lại.";
    let masked = "Cán bộ hẹn gọi [số điện thoại đã ẩn] hoặc email [email đã ẩn], \
                  CCCD [số giấy tờ đã ẩn], mà không gọi lại.";
    let r = app.post_form(
        &app.token(),
        &[("submission_id", &sid()), ("a.F1", "2"), ("comment", typed)],
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE comment = '{typed}'"
        )),
        1,
        "stored as typed"
    );
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let today = today_in_vietnam();
    let range = format!("from={}-01&to={today}", today.format("%Y-%m"));

    let manager = Browser::signed_in(&app, "t1.manager");
    let page = manager.page("/admin/dashboard");
    assert!(
        page.contains(masked),
        "the manager reads the masked comment"
    );
    for personal in ["0912 345 678", "nguyen.van.a", "079123456789"] {
        assert!(!page.contains(personal), "{personal} on the manager's page");
    }
    let csv = manager
        .get(&format!("/admin/microdata.csv?{range}&comments=1"))
        .text()
        .unwrap();
    assert!(csv.contains("[số điện thoại đã ẩn]"), "{csv}");
    assert!(!csv.contains("0912 345 678") && !csv.contains("079123456789"));

    let admin = Browser::signed_in(&app, "snv.admin");
    let page = admin.page(&format!(
        "/admin/dashboard?agency={}",
        app.fixture.agency_id
    ));
    assert!(
        page.contains(masked),
        "masked first for the administrator too"
    );
    assert!(
        page.contains("<details class=\"original\">") && page.contains("0912 345 678"),
        "the original, behind a disclosure, for administrators only"
    );
    let csv = admin
        .get(&format!("/admin/microdata.csv?{range}&comments=1"))
        .text()
        .unwrap();
    assert!(
        !csv.contains("079123456789"),
        "exports are masked whoever downloads them"
    );
}

/// The staff frame marks the tab of the page one is on, for eyes and for screen readers.
#[test]
fn the_navigation_marks_the_current_page() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.admin");
    for (path, tab) in [
        ("/admin", "/admin"),
        ("/admin/dashboard", "/admin/dashboard"),
        ("/admin/ranking", "/admin/ranking"),
        ("/admin/agencies", "/admin/agencies"),
        ("/admin/waves", "/admin/waves"),
    ] {
        let page = admin.page(path);
        assert_eq!(page.matches("aria-current=\"page\">").count(), 1, "{path}");
        assert!(
            page.contains(&format!("<a href=\"{tab}\" aria-current=\"page\">")),
            "{path}"
        );
    }
}
