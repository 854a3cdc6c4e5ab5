//! The desk stream's daily aggregates equal the raw rows: after a random mix of ratings through
//! both doors (replays, refusals, a revoked code, concurrency), every index computed from the
//! aggregates is the index computed from the raw answers, and `sipas rollup rebuild` gives back
//! the same cells.

use analysis::{IndexEstimate, IndexReport};
use rand::{Rng, SeedableRng};
use sipas::db::instruments::{load_form, Form};
use sipas::db::results::{answers_in_period, Period};
use sipas::results::{desk, rollup};
use sipas::web::filters::today_in_vietnam;

use crate::helpers::{agency_with_desk, run, sid, TestApp, SECRET};

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-12
}

fn same(x: &Option<IndexEstimate>, y: &Option<IndexEstimate>) -> bool {
    match (x, y) {
        (Some(x), Some(y)) => {
            near(x.estimate, y.estimate)
                && near(x.se, y.se)
                && near(x.ci_low, y.ci_low)
                && near(x.ci_high, y.ci_high)
                && (x.n, x.df) == (y.n, y.df)
        }
        (None, None) => true,
        _ => false,
    }
}

fn assert_same(a: &IndexReport, b: &IndexReport, what: &str) {
    for (i, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
        assert!(
            same(&x.index, &y.index),
            "{what} item {i}: {:?} vs {:?}",
            x.index,
            y.index
        );
        assert_eq!(
            (x.valid_n, x.missing_rate),
            (y.valid_n, y.missing_rate),
            "{what} item {i}"
        );
        assert!(
            x.mean_score
                .zip(y.mean_score)
                .is_none_or(|(p, q)| near(p, q)),
            "{what} item {i}"
        );
        for (p, q) in x.distribution.iter().zip(&y.distribution) {
            assert!(near(*p, *q), "{what} item {i} distribution");
        }
    }
    for (j, (x, y)) in a.factors.iter().zip(&b.factors).enumerate() {
        assert!(same(x, y), "{what} factor {j}");
    }
    assert!(
        same(&a.overall, &b.overall),
        "{what} overall: {:?} vs {:?}",
        a.overall,
        b.overall
    );
    assert!(
        same(&a.comprehensive, &b.comprehensive),
        "{what} comprehensive"
    );
}

/// A random rating: each desk question answered 1–5, "no opinion", or skipped.
fn random_fields(rng: &mut impl Rng) -> Vec<(String, String)> {
    let mut fields = vec![("submission_id".to_owned(), sid())];
    for code in ["F1", "F2", "F3", "F4", "F5", "OVERALL"] {
        match rng.gen_range(0..10) {
            0 => {}
            1 => fields.push((format!("a.{code}"), "na".into())),
            // Mostly satisfied, as real desks are.
            _ => fields.push((
                format!("a.{code}"),
                rng.gen_range(1..=5).max(rng.gen_range(2..=5)).to_string(),
            )),
        }
    }
    if rng.gen_bool(0.3) {
        fields.push(("respondent_kind".into(), "organisation".into()));
    }
    fields
}

#[test]
fn aggregates_give_the_indices_of_the_raw_rows_and_a_rebuild_gives_the_same_cells() {
    let app = TestApp::spawn();
    let (child, child_desk) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    let token_of = |desk: i32| {
        sipas::domain::DeskToken {
            desk_id: desk,
            key_version: 1,
        }
        .sign(SECRET.as_bytes())
    };
    let tokens = [token_of(app.fixture.desk_id), token_of(child_desk)];
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (app, tokens) = (&app, &tokens);
            s.spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(2026 + t);
                for _ in 0..60 {
                    let fields = random_fields(&mut rng);
                    let token = &tokens[rng.gen_range(0..2)];
                    let pairs: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    let r = app.post_form(token, &pairs);
                    let answered = fields.len()
                        > 1 + usize::from(fields.iter().any(|f| f.0 == "respondent_kind"));
                    assert_eq!(r.status().as_u16(), if answered { 200 } else { 422 });
                    if rng.gen_bool(0.2) {
                        // A replay: acknowledged, never counted twice.
                        assert_eq!(
                            app.post_form(token, &pairs).status().as_u16(),
                            if answered { 200 } else { 422 }
                        );
                    }
                }
            });
        }
    });
    // The API door adds kiosk ratings; a revoked code adds nothing.
    for i in 0..15 {
        let body = serde_json::json!({
            "submission_id": sid(), "desk_token": tokens[i % 2],
            "answers": { "F1": 1 + (i % 5) as i64, "F3": null, "OVERALL": 5 }
        });
        assert_eq!(app.post_json(&body).status(), 201);
    }
    sipas::db::desks::rotate_key(
        &mut app.db.conn(),
        &crate::helpers::test_actor(),
        child_desk,
    )
    .unwrap();
    let revoked = app.post_form(&tokens[1], &[("submission_id", &sid()), ("a.F1", "5")]);
    assert_eq!(revoked.status(), 410);

    let stored = app.responses();
    assert!(stored > 150, "{stored} ratings");
    assert_eq!(
        app.db
            .count("SELECT sum(responses)::int8 AS n FROM desk_daily"),
        stored,
        "every stored rating is aggregated once"
    );
    assert_eq!(
        app.db
            .count("SELECT count(DISTINCT channel)::int8 AS n FROM desk_daily"),
        2,
        "desk_qr and kiosk cells"
    );

    let mut conn = app.db.conn();
    let form = load_form(&mut conn, "sipas-2017", Form::Desk).unwrap();
    let cells = sipas::db::rollup::all_cells(&mut conn, form.instrument_id).unwrap();
    let today = today_in_vietnam();
    assert!(
        cells.iter().all(|c| (c.day - today).num_days().abs() <= 1),
        "local days"
    );
    let period = |channel: &str| Period {
        from: today - chrono::Duration::days(2),
        to: today + chrono::Duration::days(2),
        channel: channel.into(),
        instrument_id: form.instrument_id,
    };
    for agency in [app.fixture.agency_id, child] {
        for channel in ["desk_qr", "kiosk"] {
            let raw = answers_in_period(&mut conn, agency, &period(channel)).unwrap();
            let (from_rows, n_rows) = desk::report(&form, &raw).unwrap().unwrap();
            let mine: Vec<_> = cells
                .iter()
                .filter(|c| c.agency_id == agency && c.channel == channel)
                .cloned()
                .collect();
            let (from_cells, n_cells) = rollup::report(&form, &mine).unwrap().unwrap();
            assert_eq!(n_rows, n_cells, "agency {agency} {channel}");
            assert_same(
                &from_cells,
                &from_rows,
                &format!("agency {agency} {channel}"),
            );
        }
    }

    // Recomputing from raw rows gives the same cells.
    let (code, out, err) = run(app.db.sipas().args(["rollup", "rebuild"]), "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("rebuilt"), "{out}");
    let rebuilt = sipas::db::rollup::all_cells(&mut conn, form.instrument_id).unwrap();
    assert_eq!(rebuilt.len(), cells.len());
    for (a, b) in rebuilt.iter().zip(&cells) {
        assert_eq!(
            (
                a.agency_id,
                a.day,
                a.desk_id,
                &a.channel,
                &a.respondent_kind,
                a.responses
            ),
            (
                b.agency_id,
                b.day,
                b.desk_id,
                &b.channel,
                &b.respondent_kind,
                b.responses
            )
        );
        assert!(
            a.stats.iter().zip(&b.stats).all(|(x, y)| near(*x, *y)),
            "cell {a:?}"
        );
    }
}

/// Any period's report read through the monthly aggregates (whole compacted months) and the
/// daily ones (the rest) is the report of the raw rows, for periods that cut months anywhere.
#[test]
fn monthly_aggregates_give_the_raw_rows_for_any_period() {
    let app = TestApp::spawn();
    let (child, child_desk) = agency_with_desk(&app.db, "CHILD", Some(app.fixture.agency_id));
    let mut rng = rand::rngs::StdRng::seed_from_u64(77);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    for _ in 0..400 {
        let day = start + chrono::Duration::days(rng.gen_range(0..150));
        let desk = if rng.gen_bool(0.5) {
            app.fixture.desk_id
        } else {
            child_desk
        };
        let mut answers: Vec<(&str, Option<i16>)> = Vec::new();
        for code in ["F1", "F2", "F3", "F4", "F5", "OVERALL"] {
            if rng.gen_bool(0.9) {
                let value = (!rng.gen_bool(0.1)).then(|| rng.gen_range(1..=5));
                answers.push((code, value));
            }
        }
        if !answers.is_empty() {
            crate::helpers::store_rating_on(&app.db, desk, &day.to_string(), &answers);
        }
    }
    crate::helpers::rebuild_aggregates(&app.db);
    assert!(
        app.db.count("SELECT count(*) AS n FROM desk_months_done") >= 4,
        "closed months are compacted by the rebuild"
    );
    assert_eq!(
        app.db
            .count("SELECT sum(responses)::int8 AS n FROM desk_monthly")
            + app.db.count(
                "SELECT coalesce(sum(responses), 0)::int8 AS n FROM desk_daily d \
                 WHERE NOT EXISTS (SELECT 1 FROM desk_months_done m \
                   WHERE m.month = date_trunc('month', d.day)::date)"
            ),
        app.responses(),
        "every rating is in exactly one month cell or one uncompacted day"
    );

    let mut conn = app.db.conn();
    let form = load_form(&mut conn, "sipas-2017", Form::Desk).unwrap();
    for round in 0..25 {
        let from = start + chrono::Duration::days(rng.gen_range(0..140));
        let to = from + chrono::Duration::days(rng.gen_range(0..120));
        // Some periods are whole months, some cut months; some pass cuts of other periods.
        let cuts = if round % 3 == 0 {
            vec![from, to + chrono::Duration::days(1)]
        } else {
            sipas::results::periods::cuts(from, to)
        };
        let selection = sipas::db::rollup::Selection {
            slice: sipas::db::slice::Slice {
                instrument_id: form.instrument_id,
                agency_ids: vec![app.fixture.agency_id, child],
                desk_id: None,
                channel: None,
                respondent_kind: None,
            },
            from: sipas::results::periods::window_start(from, to).min(from),
            to,
            cuts,
        };
        let cells = sipas::db::rollup::selected(&mut conn, &selection).unwrap();
        let from_cells = sipas::results::periods::report_between(&form, &cells, from, to).unwrap();
        let period = Period {
            from,
            to,
            channel: "desk_qr".into(),
            instrument_id: form.instrument_id,
        };
        let mut raw = answers_in_period(&mut conn, app.fixture.agency_id, &period).unwrap();
        raw.extend(answers_in_period(&mut conn, child, &period).unwrap());
        raw.sort_by_key(|r| r.0);
        let from_rows = desk::report(&form, &raw).unwrap();
        match (from_cells, from_rows) {
            (None, None) => {}
            (Some((a, n)), Some((b, m))) => {
                assert_eq!(n, m, "{from}..{to}");
                assert_same(&a, &b, &format!("{from}..{to}"));
            }
            (a, b) => panic!("{from}..{to}: {:?} vs {:?}", a.map(|x| x.1), b.map(|x| x.1)),
        }
    }
}
