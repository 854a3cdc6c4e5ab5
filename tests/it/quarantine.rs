//! The quarantine's reach (issue #19, point 6): ratings held as gaming count in no ranking, PAR
//! point or publication while they are held, and in all of them once a reviewer releases them.

use chrono::{Datelike, Duration};
use serde_json::{json, Value};
use sipas::db;
use sipas::domain::{DeskToken, Role};
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{
    add_user, hidden, rebuild_aggregates, sid, store_rating_on, Browser, TestApp, SECRET,
};
use crate::screening::screened;

/// The line of a CSV sheet for one agency code.
fn row_of(sheet: &str, code: &str) -> String {
    sheet
        .lines()
        .find(|l| l.contains(&format!(",\"{code}\",")))
        .unwrap_or_else(|| panic!("{code} missing from {sheet}"))
        .to_owned()
}

/// An agency's figures in a publication's snapshot.
fn published(app: &TestApp, id: i64, code: &str) -> Value {
    let doc: Value = app
        .http
        .get(format!("{}/public/{id}/snapshot.json", app.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    doc["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == code)
        .unwrap_or_else(|| panic!("{code} not published: {doc}"))
        .clone()
}

#[test]
fn held_ratings_count_in_no_ranking_par_point_or_publication_until_released() {
    let app = screened(5);
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
    let (honest, gamed) = (mk(&mut c, "HONEST"), mk(&mut c, "GAMED"));
    // Two days ago, forty citizens at each desk, most of them satisfied with about half.
    let day = today_in_vietnam() - Duration::days(2);
    let (day_s, year) = (day.to_string(), day.year().to_string());
    for desk in [honest, gamed] {
        for k in 0..40_i16 {
            let v = |i: i16| Some(1 + (k + i) % 5);
            let answers = [
                ("F1", v(0)),
                ("F2", v(1)),
                ("F3", v(2)),
                ("F4", v(3)),
                ("F5", v(4)),
                ("OVERALL", v(k % 3)),
            ];
            store_rating_on(&app.db, desk, &day_s, &answers);
        }
    }
    rebuild_aggregates(&app.db);

    add_user(&app.db, "snv.quan.tri", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.quan.tri");
    let csrf = admin.csrf();
    let r = admin.post(
        "/admin/par",
        &[
            ("csrf", csrf.as_str()),
            ("year", year.as_str()),
            ("level", "dept"),
            ("max_points", "2"),
            ("kind", "linear"),
            ("brackets", ""),
        ],
    );
    assert_eq!(r.status(), 303);
    let ranking = format!("/admin/ranking.csv?level=dept&from={day_s}&to={day_s}&seed=7");
    let par = format!("/admin/par.csv?year={year}&level=dept");
    let sheet = |url: &str| admin.get(url).text().unwrap();
    let (rank_before, par_before) = (sheet(&ranking), sheet(&par));

    // The clerk of GAMED: thirty "very satisfied" from a phone in a minute — held (as a run of
    // identical answers: once held for that, they are explained and make no burst).
    let token = DeskToken {
        desk_id: gamed,
        key_version: 1,
    }
    .sign(SECRET.as_bytes());
    for _ in 0..30 {
        let r = app.post_json(&json!({"submission_id": sid(), "desk_token": token,
            "channel": "desk_qr",
            "answers": {"F1": 5, "F2": 5, "F3": 5, "F4": 5, "F5": 5, "OVERALL": 5}}));
        assert_eq!(r.status(), 201);
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM held_ratings WHERE decision IS NULL"),
        30
    );
    // Say it happened on the same day as the citizens' ratings, and rebuild that day from the
    // raw rows: the rebuild leaves held ratings out as the live path did.
    app.db.exec(
        "UPDATE responses SET submitted_at = submitted_at - interval '2 days' \
         WHERE id IN (SELECT response_id FROM held_ratings)",
    );
    rebuild_aggregates(&app.db);
    assert_eq!(
        row_of(&sheet(&ranking), "GAMED"),
        row_of(&rank_before, "GAMED"),
        "the ranking does not move"
    );
    assert_eq!(
        sheet(&ranking),
        rank_before,
        "nor does any other unit's rank"
    );
    assert_eq!(
        row_of(&sheet(&par), "GAMED"),
        row_of(&par_before, "GAMED"),
        "nor the PAR points"
    );
    // A publication of that day, made while they are held, leaves them out for good.
    let r = admin.post(
        "/admin/publications",
        &[
            ("csrf", csrf.as_str()),
            ("from", day_s.as_str()),
            ("to", day_s.as_str()),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(published(&app, 1, "GAMED")["responses"], 40);

    // Released by rule: now they count, in the ranking and the PAR points alike.
    let page = admin.page(&format!("/admin/held?from={day_s}&to={day_s}"));
    let r = admin.post(
        &format!("/admin/held?from={day_s}&to={day_s}"),
        &[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("decision", "release"),
            ("reason", "identical"),
        ],
    );
    assert_eq!(r.status(), 303);
    let rank_after = sheet(&ranking);
    assert_ne!(row_of(&rank_after, "GAMED"), row_of(&rank_before, "GAMED"));
    assert!(
        row_of(&rank_after, "GAMED").contains(",70,"),
        "seventy ratings now: {}",
        row_of(&rank_after, "GAMED")
    );
    assert_eq!(
        row_of(&rank_after, "HONEST").split(',').nth(4),
        row_of(&rank_before, "HONEST").split(',').nth(4),
        "HONEST's own figures unchanged"
    );
    assert_ne!(row_of(&sheet(&par), "GAMED"), row_of(&par_before, "GAMED"));
    assert_eq!(
        published(&app, 1, "GAMED")["responses"],
        40,
        "what was published stays as it was published"
    );
}
