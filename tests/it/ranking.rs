//! The province ranking: the numbers of the raw rows, units below the minimum n apart, a unit
//! counting the agencies below it, the CSV equal to the page, a printed seed that reproduces
//! the table, and every reader seeing the same table of a level's units (peers included), with
//! what lies below a unit's index kept within the reader's scope.

use sipas::db;
use sipas::db::instruments::{load_form, Form};
use sipas::db::results::{answers_in_period, Period};
use sipas::domain::{DeskToken, Role};
use sipas::results::desk;
use sipas::views::{percent, Lang};
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{add_user, sid, Browser, TestApp, SECRET};

fn rate(app: &TestApp, desk_id: i32, answers: &[(&str, &str)]) {
    let token = DeskToken {
        desk_id,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    let id = sid();
    let mut fields = vec![("submission_id", id.as_str())];
    fields.extend_from_slice(answers);
    assert_eq!(app.post_form(&token, &fields).status(), 200);
}

fn rate_many(app: &TestApp, desk_id: i32, count: usize, scores: &[&str]) {
    for i in 0..count {
        let s = scores[i % scores.len()];
        let t = scores[(i + 1) % scores.len()];
        rate(
            app,
            desk_id,
            &[
                ("a.F1", s),
                ("a.F2", t),
                ("a.F3", s),
                ("a.F4", "4"),
                ("a.F5", t),
            ],
        );
    }
}

fn csv_rows(body: &str) -> Vec<csv::StringRecord> {
    let body = body.strip_prefix('\u{feff}').expect("a BOM for Excel");
    csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn the_ranking_shows_the_raw_rows_with_rank_intervals_and_keeps_small_units_apart() {
    let app = TestApp::spawn();
    let mut c = app.db.conn();
    let unit = db::agencies::ensure_level(&mut c, "dept", "Sở", "Department", 2).unwrap();
    let team = db::agencies::ensure_level(&mut c, "team", "Phòng", "Team", 3).unwrap();
    let province = app.fixture.agency_id;
    let mk = |c: &mut diesel::PgConnection, code: &str, level, parent| {
        let a = db::agencies::create(c, code, &format!("Sở {code}"), level, Some(parent)).unwrap();
        (a, db::desks::create(c, a, "Q1", "Quầy 1").unwrap())
    };
    let (high, high_desk) = mk(&mut c, "HIGH", unit, province);
    let (high_team, high_team_desk) = mk(&mut c, "HIGH.T", team, high);
    let (low, low_desk) = mk(&mut c, "LOW", unit, province);
    let (small, small_desk) = mk(&mut c, "SMALL", unit, province);
    let (_idle, _) = mk(&mut c, "IDLE", unit, province);

    rate_many(&app, high_desk, 25, &["5", "5", "4", "3"]);
    // Counted with HIGH, the unit above it.
    rate_many(&app, high_team_desk, 15, &["5", "4"]);
    rate_many(&app, low_desk, 40, &["2", "3", "4", "1", "5"]);
    rate_many(&app, small_desk, 6, &["5"]);

    // What the raw rows say.
    let form = load_form(&mut c, "sipas-2017", Form::Desk).unwrap();
    let today = today_in_vietnam();
    let period = Period {
        from: today,
        to: today,
        channel: "desk_qr".into(),
        instrument_id: form.instrument_id,
    };
    let raw_of = |c: &mut diesel::PgConnection, agencies: &[i32]| {
        let mut rows = Vec::new();
        for a in agencies {
            rows.extend(answers_in_period(c, *a, &period).unwrap());
        }
        rows.sort_by_key(|r| r.0);
        desk::report(&form, &rows)
            .unwrap()
            .unwrap()
            .0
            .overall
            .unwrap()
    };
    let high_idx = raw_of(&mut c, &[high, high_team]);
    let low_idx = raw_of(&mut c, &[low]);
    assert_eq!(
        high_idx.n, 40,
        "HIGH counts the ratings of the team below it"
    );

    add_user(&app.db, "province.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "province.admin");
    let q = format!("level=dept&from={today}&to={today}");
    let page = admin.page(&format!("/admin/ranking?{q}"));
    for e in [&high_idx, &low_idx] {
        for shown in [
            format!("{}%", percent(e.estimate, Lang::Vi)),
            format!(
                "{}–{}%",
                percent(e.ci_low, Lang::Vi),
                percent(e.ci_high, Lang::Vi)
            ),
        ] {
            assert!(page.contains(&shown), "{shown} missing from the page");
        }
    }
    let ranked = page
        .split("Chưa đủ số phản hồi (không xếp hạng)")
        .collect::<Vec<_>>();
    assert_eq!(
        ranked.len(),
        2,
        "units below the minimum n are listed apart"
    );
    assert!(ranked[0].find("HIGH").unwrap() < ranked[0].find("LOW").unwrap());
    assert!(!ranked[0].contains("SMALL") && ranked[1].contains("SMALL"));
    assert!(
        ranked[1].contains("IDLE"),
        "a unit without ratings is listed, not ranked"
    );
    assert!(page.contains("Quy tắc xếp hạng"));
    assert!(page.contains("<svg"), "the funnel plot is drawn");
    assert!(!page.contains("<script"), "no JavaScript needed");
    let seed = page
        .split("hạt giống (seed): <code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();

    // The CSV is the page's table: same units, same numbers, the same seed in every row.
    let csv_body = admin
        .get(&format!("/admin/ranking.csv?{q}"))
        .text()
        .unwrap();
    let rows = csv_rows(&csv_body);
    assert_eq!(rows.len(), 4, "two ranked, two not ranked: {csv_body}");
    assert_eq!(&rows[0][3], "HIGH");
    assert_eq!(&rows[0][0], "1");
    assert_eq!(&rows[0][5], percent(high_idx.estimate, Lang::En));
    assert_eq!(&rows[0][6], percent(high_idx.ci_low, Lang::En));
    assert_eq!(&rows[0][8], high_idx.n.to_string());
    assert_eq!(&rows[1][3], "LOW");
    assert_eq!(&rows[1][5], percent(low_idx.estimate, Lang::En));
    // Tiers follow the funnel's null around the province index of every rating (σ from the
    // province's interval, τ² when the units are overdispersed) with Benjamini–Hochberg across
    // the ranked units (issue #18, points 2–3), recomputed here from the raw rows and τ².
    let province_idx = raw_of(&mut c, &[province, high, high_team, low, small]);
    let api: serde_json::Value = admin
        .get(&format!("/admin/api/v1/rankings?{q}"))
        .json()
        .unwrap();
    let tau2 = api["overdispersion"]["tau2"].as_f64().unwrap();
    let sigma = province_idx.se * (province_idx.n as f64 / province_idx.deff.unwrap_or(1.0)).sqrt();
    let normal = statrs::distribution::Normal::standard();
    let p: Vec<f64> = [&high_idx, &low_idx]
        .iter()
        .map(|e| {
            let se = (sigma * sigma / e.n as f64 + tau2).sqrt();
            let z = (e.estimate - province_idx.estimate).abs() / se;
            2.0 * statrs::distribution::ContinuousCDF::sf(&normal, z)
        })
        .collect();
    // Benjamini–Hochberg for two: the larger p stays, the smaller is min(2p, the larger).
    let (hi_p, lo_p) = (p[0].max(p[1]), p[0].min(p[1]));
    let adjusted: Vec<f64> = p
        .iter()
        .map(|&x| {
            if x == hi_p {
                hi_p
            } else {
                (2.0 * lo_p).min(hi_p)
            }
        })
        .collect();
    for (k, (row, e)) in rows.iter().zip([&high_idx, &low_idx]).enumerate() {
        let ranked = &api["ranked"][k];
        assert!((ranked["p_value"].as_f64().unwrap() - p[k]).abs() < 1e-9);
        assert!((ranked["p_adjusted"].as_f64().unwrap() - adjusted[k]).abs() < 1e-9);
        let expected = if adjusted[k] > 0.05 {
            "not_different"
        } else if e.estimate > province_idx.estimate {
            "above"
        } else {
            "below"
        };
        assert_eq!(&row[10], expected);
    }
    assert!(page.contains(&format!("{}%", percent(province_idx.estimate, Lang::Vi))));
    // SMALL (6 ratings) gets a model-based estimate, labelled and not ranked (issue #18,
    // point 11): the Fay–Herriot fit over the level's units with ratings, each with the
    // funnel's sampling variance σ²/n.
    let small_idx = raw_of(&mut c, &[small]);
    let fit = analysis::sae::fay_herriot(
        &[high_idx.estimate, low_idx.estimate, small_idx.estimate],
        &[
            sigma * sigma / high_idx.n as f64,
            sigma * sigma / low_idx.n as f64,
            sigma * sigma / small_idx.n as f64,
        ],
        &[vec![1.0], vec![1.0], vec![1.0]],
    )
    .unwrap();
    // Sorted by code: IDLE, then SMALL.
    let model = &api["not_ranked"][1];
    assert_eq!(model["code"], "SMALL");
    let eblup = model["model_based"]["eblup"].as_f64().unwrap();
    assert!(
        (eblup - fit.eblup[2]).abs() < 1e-9,
        "{eblup} vs {}",
        fit.eblup[2]
    );
    assert!((model["model_based"]["mse"].as_f64().unwrap() - fit.mse[2]).abs() < 1e-9);
    assert!(
        api["not_ranked"][0]["model_based"].is_null(),
        "IDLE has no ratings"
    );
    assert!(page.contains(&format!("{}% (", percent(eblup, Lang::Vi))));
    // The CSV carries the same: the ranked units' p-values, SMALL's model-based estimate.
    assert_eq!(
        &rows[0][16],
        format!("{:.6}", api["ranked"][0]["p_value"].as_f64().unwrap())
    );
    assert_eq!(&rows[3][3], "SMALL");
    assert_eq!(&rows[3][18], percent(eblup, Lang::En));
    assert!(rows[2][18].is_empty(), "IDLE has no ratings");
    assert!(page.contains("không được dùng để xếp hạng"));
    let tiers: Vec<&str> = rows.iter().map(|r| r.get(10).unwrap()).collect();
    assert_eq!(&tiers[2..], ["not_ranked", "not_ranked"]);
    assert!(rows.iter().all(|r| r[15] == seed));
    // The same query gives the same table, byte for byte; the page's sort links keep the seed.
    assert_eq!(
        admin
            .get(&format!("/admin/ranking.csv?{q}"))
            .text()
            .unwrap(),
        csv_body
    );
    let reseeded = admin
        .get(&format!("/admin/ranking.csv?{q}&seed=12345"))
        .text()
        .unwrap();
    assert!(csv_rows(&reseeded).iter().all(|r| &r[15] == "12345"));

    // A manager of HIGH sees HIGH among its peers — the same table, byte for byte, as Home
    // Affairs — and opens the ranking at their own level; a team's manager at the team level.
    add_user(&app.db, "high.manager", Role::Manager, Some("HIGH"));
    let manager = Browser::signed_in(&app, "high.manager");
    let theirs = manager.page(&format!("/admin/ranking?{q}"));
    assert!(theirs.contains("HIGH") && theirs.contains("LOW") && theirs.contains("SMALL"));
    assert_eq!(
        theirs.matches("(đơn vị của Ông&#x2F;Bà)").count(),
        1,
        "their own unit is marked, and only it"
    );
    assert!(!admin
        .page(&format!("/admin/ranking?{q}"))
        .contains("đơn vị của Ông&#x2F;Bà"));
    assert_eq!(
        manager
            .get(&format!("/admin/ranking.csv?{q}"))
            .text()
            .unwrap(),
        admin
            .get(&format!("/admin/ranking.csv?{q}"))
            .text()
            .unwrap()
    );
    let opened = manager.page(&format!("/admin/ranking?from={today}&to={today}"));
    assert!(opened.contains("LOW"), "opened at the department level");
    add_user(&app.db, "team.manager", Role::Manager, Some("HIGH.T"));
    let team = Browser::signed_in(&app, "team.manager");
    let theirs_csv = team
        .get(&format!("/admin/ranking.csv?from={today}&to={today}"))
        .text()
        .unwrap();
    let rows = csv_rows(&theirs_csv);
    assert_eq!(rows.len(), 1, "the only team");
    assert_eq!(&rows[0][3], "HIGH.T");
    // Below the ranking, a peer stays out of reach: its dashboard is not theirs to open.
    assert_eq!(
        manager
            .get(&format!("/admin/dashboard?agency={low}"))
            .status(),
        404
    );

    // A named period chosen stays chosen after "Xem", on the ranking and the dashboard.
    for page in ["/admin/ranking", "/admin/dashboard"] {
        let shown = admin.page(&format!("{page}?period=quarter"));
        assert!(
            shown.contains(r#"<option value="quarter" selected>"#),
            "{page}"
        );
        assert!(
            !shown.contains(r#"<option value="month" selected>"#),
            "{page}"
        );
    }

    // Bad filters name the field and show nothing, with a way back that keeps the others.
    let bad = admin.get("/admin/ranking?level=nope&channel=kiosk&kind=individual");
    assert_eq!(bad.status(), 400);
    let said = bad.text().unwrap().replace("&#x2F;", "/");
    assert!(said.contains("level"));
    assert!(
        said.contains(r#"href="/admin/ranking?channel=kiosk&amp;kind=individual""#),
        "{said}"
    );
    let reversed = admin.get("/admin/dashboard?from=2026-03-01&to=2026-02-01&channel=kiosk");
    assert_eq!(reversed.status(), 400);
    let said = reversed.text().unwrap().replace("&#x2F;", "/");
    assert!(said.contains("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc"));
    assert!(
        said.contains(r#"href="/admin/dashboard?channel=kiosk""#),
        "{said}"
    );
    let bad = admin.get("/admin/ranking?measure=F9");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("measure"));
    assert_eq!(admin.get("/admin/ranking.csv?seed=-1").status(), 400);
    assert_eq!(admin.get("/admin/ranking?to=2026-02-30").status(), 400);
}

#[test]
fn par_points_follow_the_year_rule_and_skip_units_below_the_minimum_n() {
    let app = TestApp::spawn();
    let mut c = app.db.conn();
    let dept = db::agencies::ensure_level(&mut c, "dept", "Sở", "Department", 2).unwrap();
    let mk = |c: &mut diesel::PgConnection, code: &str| {
        let a = db::agencies::create(
            c,
            code,
            &format!("Sở {code}"),
            dept,
            Some(app.fixture.agency_id),
        )
        .unwrap();
        db::desks::create(c, a, "Q1", "Quầy 1").unwrap()
    };
    let (good, small) = (mk(&mut c, "GOOD"), mk(&mut c, "SMALL"));
    rate_many(&app, good, 40, &["5", "4", "2", "5", "3"]);
    rate_many(&app, small, 5, &["5"]);
    let year = today_in_vietnam().format("%Y").to_string();
    let today = today_in_vietnam();
    let form = load_form(&mut c, "sipas-2017", Form::Desk).unwrap();
    let p = Period {
        from: format!("{year}-01-01").parse().unwrap(),
        to: today,
        channel: "desk_qr".into(),
        instrument_id: form.instrument_id,
    };
    let good_id = db::agencies::id_by_code(&mut c, "GOOD").unwrap().unwrap();
    let rows = answers_in_period(&mut c, good_id, &p).unwrap();
    let e = desk::report(&form, &rows)
        .unwrap()
        .unwrap()
        .0
        .overall
        .unwrap();

    add_user(&app.db, "province.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "province.admin");
    let csrf = admin.csrf();
    let page = admin.page(&format!("/admin/par?year={year}&level=dept"));
    assert!(page.contains("Chưa đặt quy tắc cho năm này"));
    // A bad bracket table is refused with the reason, nothing stored.
    let r = admin.post(
        "/admin/par",
        &[
            ("csrf", &csrf),
            ("year", &year),
            ("level", "dept"),
            ("max_points", "2"),
            ("kind", "brackets"),
            ("brackets", "95:1; 90:2"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("không được có ít điểm hơn"));
    assert_eq!(app.db.count("SELECT count(*) AS n FROM par_rules"), 0);
    // Proportional: 2 × index, two decimals.
    let r = admin.post(
        "/admin/par",
        &[
            ("csrf", &csrf),
            ("year", &year),
            ("level", "dept"),
            ("max_points", "2"),
            ("kind", "linear"),
            ("brackets", ""),
        ],
    );
    assert_eq!(r.status(), 303);
    let expected = ((2.0 * e.estimate) * 100.0).round() / 100.0;
    let sheet = admin
        .get(&format!("/admin/par.csv?year={year}&level=dept"))
        .text()
        .unwrap();
    let good_row = sheet.lines().find(|l| l.contains(",\"GOOD\",")).unwrap();
    assert!(
        good_row.contains(&format!(",{expected:.2},\"assessed\",")),
        "{good_row}"
    );
    assert!(good_row.contains(&format!(",{:.2},", 100.0 * e.ci_low)));
    let small_row = sheet.lines().find(|l| l.contains(",\"SMALL\",")).unwrap();
    assert!(
        small_row.contains("not_assessed_below_min_n"),
        "{small_row}"
    );
    let page = admin.page(&format!("/admin/par?year={year}&level=dept"));
    assert!(page.contains(&format!("{expected:.2}").replace('.', ",")));
    assert!(page.contains("Không chấm"));
    // Brackets: the highest bracket reached.
    let r = admin.post(
        "/admin/par",
        &[
            ("csrf", &csrf),
            ("year", &year),
            ("level", "dept"),
            ("max_points", "2"),
            ("kind", "brackets"),
            ("brackets", "95:2; 50:1,25; 0:0,5"),
        ],
    );
    assert_eq!(r.status(), 303);
    let bracket_points = if e.estimate >= 0.95 {
        "2.00"
    } else if e.estimate >= 0.5 {
        "1.25"
    } else {
        "0.50"
    };
    let sheet = admin
        .get(&format!("/admin/par.csv?year={year}&level=dept"))
        .text()
        .unwrap();
    let good_row = sheet.lines().find(|l| l.contains(",\"GOOD\",")).unwrap();
    assert!(
        good_row.contains(&format!(",{bracket_points},")),
        "{good_row}"
    );
    let xlsx = admin.get(&format!("/admin/par.xlsx?year={year}&level=dept"));
    assert_eq!(&xlsx.bytes().unwrap()[..2], b"PK");
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'par_rule.set'"),
        2
    );
    // Only Home Affairs.
    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(manager.get("/admin/par").status(), 404);
    assert_eq!(manager.get("/admin/par.xlsx").status(), 404);
    assert_eq!(admin.get("/admin/par?year=1990").status(), 400);
}

/// Units that differ far more than chance allows (issue #18, point 2): fourteen departments of
/// 80 ratings each whose satisfaction runs from 30% to 95%. Judged against limits that ignore
/// this, nearly every one would be "above" or "below"; the page instead says the units are
/// overdispersed, widens the funnel by τ², and claims a tier only outside the widened 95%
/// limits with the false discovery rate controlled — the tiers and the funnel agree.
#[test]
fn overdispersed_units_widen_the_funnel_and_no_tier_sits_inside_it() {
    let app = TestApp::spawn();
    let mut c = app.db.conn();
    let dept = db::agencies::ensure_level(&mut c, "dept", "Sở", "Department", 2).unwrap();
    let today = today_in_vietnam();
    let day = today.to_string();
    for k in 0..14 {
        let code = format!("S{k:02}");
        let a = db::agencies::create(
            &mut c,
            &code,
            &format!("Sở {code}"),
            dept,
            Some(app.fixture.agency_id),
        )
        .unwrap();
        let desk = db::desks::create(&mut c, a, "Q1", "Quầy 1").unwrap();
        // Satisfied share 30% … 95% in steps of 5 points.
        let satisfied = 24 + 4 * k;
        for i in 0..80 {
            let v = if i < satisfied { 5 } else { 2 };
            let answers: Vec<(&str, Option<i16>)> = ["F1", "F2", "F3", "F4", "F5"]
                .iter()
                .map(|q| (*q, Some(v)))
                .collect();
            crate::helpers::store_rating_on(&app.db, desk, &day, &answers);
        }
    }
    crate::helpers::rebuild_aggregates(&app.db);
    add_user(&app.db, "province.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "province.admin");
    let q = format!("level=dept&from={today}&to={today}");
    let api: serde_json::Value = admin
        .get(&format!("/admin/api/v1/rankings?{q}"))
        .json()
        .unwrap();
    let od = &api["overdispersion"];
    assert_eq!(od["widened"], true, "{od}");
    assert!(od["phi"].as_f64().unwrap() > 10.0, "{od}");
    let tau2 = od["tau2"].as_f64().unwrap();
    let province = &api["province"];
    let (p0, se0, n0) = (
        province["estimate"].as_f64().unwrap(),
        province["se"].as_f64().unwrap(),
        province["n"].as_f64().unwrap(),
    );
    // σ² of one rating taken as independent: the province's variance over its design effect.
    let deff0 = province["deff"].as_f64().unwrap_or(1.0);
    let sigma2 = se0 * se0 * n0 / deff0;
    let ranked = api["ranked"].as_array().unwrap();
    assert_eq!(ranked.len(), 14);
    let (mut flagged, mut naive) = (0, 0);
    for r in ranked {
        let e = &r["index"];
        let (y, n) = (e["estimate"].as_f64().unwrap(), e["n"].as_f64().unwrap());
        let half = 1.959_963_984_540_054 * (sigma2 / n + tau2).sqrt();
        let tier = r["tier"].as_str().unwrap();
        if tier != "not_different" {
            flagged += 1;
            assert!(
                (y - p0).abs() > half,
                "{} is {tier} inside the widened 95% limits",
                r["code"]
            );
            assert!(r["p_adjusted"].as_f64().unwrap() <= 0.05);
        }
        // The unit's own interval against the province: the rule this replaces.
        if e["ci_low"].as_f64().unwrap() > p0 || e["ci_high"].as_f64().unwrap() < p0 {
            naive += 1;
        }
    }
    assert!(naive >= 10, "the old rule flagged {naive} of 14");
    assert!(flagged < naive, "{flagged} flagged, the old rule {naive}");
    let page = admin.page(&format!("/admin/ranking?{q}"));
    assert!(
        page.contains("Các đơn vị khác nhau nhiều hơn mức ngẫu nhiên cho phép (hệ số phân tán φ ="),
        "the page says what was found and done"
    );
    assert!(page.contains("Benjamini–Hochberg"));
}

/// Issue #18 point 11: the small-area model's covariates are the unit's size in the latest
/// designed frame and its index a year earlier, each where known for every unit — recomputed
/// here from the raw rows of both years and the strata's N_h.
#[test]
fn the_small_area_model_uses_the_frame_size_and_last_years_index() {
    use crate::helpers::{rebuild_aggregates, store_rating_on};
    let app = TestApp::spawn();
    let mut c = app.db.conn();
    let dept = db::agencies::ensure_level(&mut c, "dept", "Sở", "Department", 2).unwrap();
    let province = app.fixture.agency_id;
    // (code, ratings now, ratings a year earlier, dossiers in the frame); SMALL is below 30.
    let plan = [
        ("SO-A", 40, 35, 1_200, [5, 4, 4, 3]),
        ("SO-B", 45, 40, 300, [3, 3, 2, 4]),
        ("SO-C", 50, 30, 4_000, [5, 5, 4, 5]),
        ("SO-D", 35, 33, 800, [4, 3, 5, 2]),
        ("SO-E", 60, 31, 150, [2, 3, 3, 4]),
        ("SMALL", 8, 32, 90, [3, 4, 4, 2]),
    ];
    let wave: i32 = diesel::RunQueryDsl::get_result::<IdRow>(
        diesel::sql_query(
            "INSERT INTO waves (name, year, instrument_id) \
             SELECT 'Khảo sát SIPAS 2026', 2026, id FROM instruments WHERE code = 'sipas-2017' RETURNING id",
        ),
        &mut c,
    )
    .unwrap()
    .id;
    let mut units = Vec::new();
    for (k, (code, now, before, dossiers, scores)) in plan.iter().enumerate() {
        let name = format!("Sở {code} (Văn phòng “một cửa”)");
        let a = db::agencies::create(&mut c, code, &name, dept, Some(province)).unwrap();
        let d = db::desks::create(&mut c, a, "Q1", "Quầy 1").unwrap();
        let answers = |i: usize| -> Vec<(&str, Option<i16>)> {
            let s = |j: usize| Some(scores[(i + j + k) % 4] as i16);
            vec![
                ("F1", s(0)),
                ("F2", s(1)),
                ("F3", s(2)),
                ("F4", s(3)),
                ("F5", s(0)),
            ]
        };
        for i in 0..*now {
            store_rating_on(
                &app.db,
                d,
                &format!("2026-03-{:02}", 1 + i % 28),
                &answers(i),
            );
        }
        // A year earlier: shifted scores, so last year's index differs from this year's.
        for i in 0..*before {
            store_rating_on(
                &app.db,
                d,
                &format!("2025-03-{:02}", 1 + i % 28),
                &answers(i + 1),
            );
        }
        app.db.exec(&format!(
            "INSERT INTO wave_strata (wave_id, agency_id, population, respondents, invited) \
             VALUES ({wave}, {a}, {dossiers}, 0, 0)"
        ));
        units.push((a, *dossiers));
    }
    rebuild_aggregates(&app.db);

    let form = load_form(&mut c, "sipas-2017", Form::Desk).unwrap();
    let overall = |c: &mut diesel::PgConnection, agency: i32, from: &str, to: &str| {
        let period = Period {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            channel: "desk_qr".into(),
            instrument_id: form.instrument_id,
        };
        let rows = answers_in_period(c, agency, &period).unwrap();
        desk::report(&form, &rows)
            .unwrap()
            .unwrap()
            .0
            .overall
            .unwrap()
    };
    add_user(&app.db, "province.admin", Role::Admin, None);
    let admin = Browser::signed_in(&app, "province.admin");
    let api: serde_json::Value = admin
        .get("/admin/api/v1/rankings?level=dept&from=2026-03-01&to=2026-03-31")
        .json()
        .unwrap();
    let model = &api["small_area_model"];
    assert_eq!(
        model["covariates"],
        serde_json::json!(["log_frame_size", "last_year_index"]),
        "{model}"
    );
    assert_eq!(model["units"], 6);
    // The fit recomputed: y and n from the raw rows, D = σ²/n with σ the province's spread of
    // one rating (se·√(n/deff)), x = (1, ln N, last year's index).
    let p = &api["province"];
    let deff = p["deff"].as_f64().unwrap_or(1.0);
    let sigma = p["se"].as_f64().unwrap() * (p["n"].as_f64().unwrap() / deff).sqrt();
    let mut y = Vec::new();
    let mut d = Vec::new();
    let mut x = Vec::new();
    for (a, dossiers) in &units {
        let now = overall(&mut c, *a, "2026-03-01", "2026-03-31");
        let before = overall(&mut c, *a, "2025-03-01", "2025-03-31");
        y.push(now.estimate);
        d.push(sigma * sigma / now.n as f64);
        x.push(vec![1.0, (*dossiers as f64).ln(), before.estimate]);
    }
    let fit = analysis::sae::fay_herriot(&y, &d, &x).unwrap();
    assert!((model["a"].as_f64().unwrap() - fit.a).abs() < 1e-9);
    let small = &api["not_ranked"][0];
    assert_eq!(small["code"], "SMALL");
    let got = small["model_based"]["eblup"].as_f64().unwrap();
    assert!(
        (got - fit.eblup[5]).abs() < 1e-9,
        "{got} vs {}",
        fit.eblup[5]
    );
    assert!((small["model_based"]["mse"].as_f64().unwrap() - fit.mse[5]).abs() < 1e-9);
    // The page says which covariates the model used.
    let page = admin.page("/admin/ranking?level=dept&from=2026-03-01&to=2026-03-31");
    assert!(
        page.contains("quy mô trong khung mẫu (log số hồ sơ), chỉ số cùng kỳ năm trước"),
        "the page names the model's covariates"
    );

    // A unit without ratings a year earlier: that covariate is left out, the size stays.
    app.db.exec(&format!(
        "DELETE FROM responses WHERE agency_id = {} AND submitted_at < '2026-01-01'",
        units[1].0
    ));
    rebuild_aggregates(&app.db);
    let api: serde_json::Value = admin
        .get("/admin/api/v1/rankings?level=dept&from=2026-03-01&to=2026-03-31")
        .json()
        .unwrap();
    assert_eq!(
        api["small_area_model"]["covariates"],
        serde_json::json!(["log_frame_size"])
    );
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Int4)]
    id: i32,
}
