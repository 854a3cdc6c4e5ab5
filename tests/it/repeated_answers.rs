//! Identical answers (issue #19, point 4): a run of them implausible for the desk is held
//! whole, and so are answers a clerk repeats between citizens, judged by their count among the
//! day's ratings against the desk's own share of them.

use serde_json::json;

use crate::helpers::{sid, TestApp};
use crate::screening::{counted, held, screened};

/// A month of history at the fixture's desk: 100 ratings on past days, 10 of them all fours.
fn a_month_with_a_tenth_all_fours(app: &TestApp) {
    let desk = app.fixture.desk_id;
    let today = sipas::web::filters::today_in_vietnam();
    for k in 0..100 {
        let day = today - chrono::Duration::days(1 + (k % 20));
        let v = if k % 10 == 0 {
            4
        } else {
            [5, 3, 2, 5, 4, 1, 5, 3, 4][k as usize % 9]
        };
        let other = if k % 10 == 0 { 4 } else { 5 - (k % 3) as i16 };
        crate::helpers::store_rating_on(
            &app.db,
            desk,
            &day.to_string(),
            // Only the tenth ones give all fours: the others start with a five.
            &[
                ("F1", Some(if k % 10 == 0 { 4 } else { 5 })),
                ("F2", Some(other)),
                ("F3", Some(v)),
                ("F4", Some(other)),
                ("F5", Some(v)),
                ("OVERALL", Some(v)),
            ],
        );
    }
    crate::helpers::rebuild_aggregates(&app.db);
}

#[test]
fn a_run_of_identical_answers_implausible_for_the_desk_is_held_whole() {
    let app = screened(5);
    let desk = app.fixture.desk_id;
    let token = app.token();
    a_month_with_a_tenth_all_fours(&app);
    let before = counted(&app, desk);
    let all_fours = json!({"F1": 4, "F2": 4, "F3": 4, "F4": 4, "F5": 4, "OVERALL": 4});
    let kiosk = |answers: &serde_json::Value| {
        let r = app.post_json(&json!({"submission_id": sid(), "desk_token": token,
            "channel": "kiosk", "answers": answers}));
        assert_eq!(r.status(), 201);
    };
    // An honest pair, then the same answers five times in a row: the desk gives them in a
    // tenth of its ratings, so four in a row is plausible ((1/6)^3 ≈ 0.005), five is not
    // ((1/6)^4 ≈ 0.0008), and the run of five is held whole.
    kiosk(&json!({"F1": 5, "F2": 4, "F3": 5, "F4": 4, "F5": 3, "OVERALL": 5}));
    kiosk(&json!({"F1": 3, "F2": 3, "F3": 4, "F4": 4, "F5": 3, "OVERALL": 3}));
    for k in 0..5 {
        kiosk(&all_fours);
        if k == 3 {
            assert_eq!(counted(&app, desk), before + 6);
        }
    }
    assert_eq!(held(&app, "identical"), 5);
    assert_eq!(counted(&app, desk), before + 2, "the honest pair stays");
}

#[test]
fn answers_a_clerk_repeats_between_citizens_are_held_by_the_days_count() {
    let app = screened(5);
    let token = app.token();
    a_month_with_a_tenth_all_fours(&app);
    let kiosk = |answers: &serde_json::Value| {
        let r = app.post_json(&json!({"submission_id": sid(), "desk_token": token,
            "channel": "kiosk", "answers": answers}));
        assert_eq!(r.status(), 201);
    };
    // (Twenty ratings in a minute are a burst too, so this reads the identical test alone.)
    // A citizen, then the clerk's all fours, ten times: no run is longer than one. The desk
    // gives all fours in a sixth of its ratings (shrunk: (10 + 10) / 120), so nine of eighteen
    // is plausible (P(X ≥ 9), X ~ Bin(18, 1/6) = 0.00113, R: pbinom(8, 18, 1/6,
    // lower.tail = FALSE)) and ten of twenty is not (0.000599, pbinom(9, 20, 1/6, …)).
    for k in 0..10_i64 {
        let a = 1 + k % 5;
        let b = 5 - k % 3;
        kiosk(&json!({"F1": a, "F2": b, "F3": 5, "F4": a, "F5": 3, "OVERALL": b}));
        kiosk(&json!({"F1": 4, "F2": 4, "F3": 4, "F4": 4, "F5": 4, "OVERALL": 4}));
        if k == 8 {
            assert_eq!(held(&app, "identical"), 0, "nine of eighteen is plausible");
        }
    }
    assert_eq!(held(&app, "identical"), 10);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM held_ratings h JOIN responses r ON r.id = h.response_id \
             WHERE 'identical' = ANY(h.reasons) AND r.answer_values = \
               (SELECT answer_values FROM responses ORDER BY submitted_at DESC LIMIT 1)"
        ),
        10,
        "all ten of the clerk's (the last one sent is one), none of the citizens'"
    );
    let test = app.db.count(
        "SELECT count(*) AS n FROM held_ratings WHERE details->'identical'->>'test' = 'day'",
    );
    assert_eq!(test, 10, "each hold says which test held it");
}
