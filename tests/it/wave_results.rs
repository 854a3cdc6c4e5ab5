//! A wave's design-based results equal R's `survey` on the wave's own export (issue #8, points
//! 8 and 10). The test builds the same wave every time (frame, design, draw with a fixed seed,
//! answers from a fixed generator), exports its responses and checks them byte for byte
//! against `analysis/reference/wave-responses.csv` — the file `make-wave-reference.R` read to
//! write `wave-reference.csv` — then checks every index of `sipas wave results` against R's
//! to 1e-6. `SIPAS_WRITE_REFERENCE=1` rewrites the export (then run the R script).

use std::collections::HashMap;

use crate::fieldwork::{new_wave, sipas_ok};
use crate::helpers::{fixture, TempDir, TestDb};

const HEADER: &str =
    "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address";

fn reference(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("analysis/reference")
        .join(name)
}

/// SplitMix64: a fixed, portable stream of numbers from a seed.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The same wave every time: three agencies (300, 200, 120 frame units), Yamane at ±5%
/// allocated proportionally with a 60% response rate, drawn with seed 2026, in fieldwork, and
/// about 60% of the invited answering (more satisfied in A2, less in A3, some "no opinion"
/// and skipped questions). The wave id.
pub fn answered_wave(db: &TestDb) -> String {
    let f = fixture(db);
    build_wave(db, f.agency_id)
}

/// The same wave in a running app's database (which has agency T1 already).
pub fn answered_wave_on(app: &crate::helpers::TestApp) -> String {
    build_wave(&app.db, app.fixture.agency_id)
}

fn build_wave(db: &TestDb, parent: i32) -> String {
    crate::helpers::agency_with_desk(db, "A2", Some(parent));
    crate::helpers::agency_with_desk(db, "A3", Some(parent));
    let w = new_wave(db);
    let dir = TempDir::new("frame");
    let mut text = format!("{HEADER}\n");
    for (code, n) in [("T1", 300), ("A2", 200), ("A3", 120)] {
        for i in 0..n {
            text.push_str(&format!(
                "{code}-{i:04},{code},,2026-03-01,individual,Người {i},,,Số {i}\n"
            ));
        }
    }
    let file = dir.join("frame.csv");
    std::fs::write(&file, text).unwrap();
    sipas_ok(
        db,
        &["frame", "import", "--wave", &w, file.to_str().unwrap()],
    );
    sipas_ok(
        db,
        &[
            "wave",
            "design",
            "--wave",
            &w,
            "--size",
            "yamane",
            "--allocation",
            "proportional",
        ],
    );
    sipas_ok(db, &["wave", "draw", "--wave", &w, "--seed", "2026"]);
    sipas_ok(db, &["wave", "start", "--wave", &w]);

    let mut conn = db.conn();
    let form = sipas::db::instruments::load_form(
        &mut conn,
        "sipas-2017",
        sipas::db::instruments::Form::Full,
    )
    .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Unit {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let units: Vec<Unit> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT s.id, a.code FROM sample_units s JOIN agencies a ON a.id = s.agency_id \
             WHERE s.reserve_rank IS NULL ORDER BY s.id",
        ),
        &mut conn,
    )
    .unwrap();
    for (i, u) in units.iter().enumerate() {
        let i = i as u64;
        if mix(i) % 10 >= 6 {
            continue;
        }
        let shift: i64 = match u.code.as_str() {
            "A2" => 1,
            "A3" => -1,
            _ => 0,
        };
        let mut values = vec![None; form.item_count];
        for (k, q) in form.questions.iter().enumerate() {
            let h = mix(i * 1_000 + k as u64 + 17);
            values[q.slot] = match h % 25 {
                0 => None,    // skipped
                1 => Some(0), // no opinion
                _ => Some((1 + ((h >> 8) % 5) as i64 + shift).clamp(1, 5) as i16),
            };
        }
        // The choice questions: gender and age band, and one or two areas to improve.
        let pick = |code: &str| form.choice(code).unwrap().id;
        let mut choices = vec![
            (pick("GENDER"), 1 + (mix(i + 5) % 2) as i16),
            (pick("AGE"), 1 + (mix(i + 6) % 6) as i16),
            (pick("EXPECT"), 1 + (mix(i + 7) % 5) as i16),
        ];
        let second = 1 + (mix(i + 8) % 5) as i16;
        if !choices.contains(&(pick("EXPECT"), second)) {
            choices.push((pick("EXPECT"), second));
        }
        let stored = sipas::db::fieldwork::store_unit_response(
            &mut conn,
            &sipas::db::fieldwork::UnitResponse {
                id: uuid::Uuid::new_v4(),
                unit_id: u.id,
                instrument_id: form.instrument_id,
                channel: "annual_sample",
                respondent_kind: "individual",
                comment: None,
                answer_values: &values,
                choices: &choices,
            },
        )
        .unwrap();
        assert_eq!(stored, sipas::db::fieldwork::UnitStored::Created);
    }
    w
}

fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn the_waves_indices_equal_r_survey_on_its_exported_responses() {
    let db = TestDb::new();
    let w = answered_wave(&db);
    let export = sipas_ok(&db, &["wave", "export-responses", "--wave", &w]);
    if std::env::var("SIPAS_WRITE_REFERENCE").is_ok() {
        std::fs::write(reference("wave-responses.csv"), &export).unwrap();
    }
    let committed = std::fs::read_to_string(reference("wave-responses.csv")).unwrap();
    assert!(
        export == committed,
        "the export differs from the file R read: rerun with SIPAS_WRITE_REFERENCE=1, then \
         Rscript analysis/reference/make-wave-reference.R"
    );
    // No contact data and no frame row in the export.
    assert!(!export.contains("Người") && !export.contains("T1-0"));

    let ours = parse_csv(&sipas_ok(&db, &["wave", "results", "--wave", &w]));
    let theirs = parse_csv(&std::fs::read_to_string(reference("wave-reference.csv")).unwrap());
    let key =
        |r: &HashMap<String, String>| (r["level"].clone(), r["agency"].clone(), r["index"].clone());
    let ours: HashMap<_, _> = ours.into_iter().map(|r| (key(&r), r)).collect();
    assert_eq!(
        theirs.len(),
        4 * (35 + 5),
        "SIPAS, the desk form's SIPAS, 5 factors, 28 items and the 5 areas to improve; the \
         province and 3 agencies"
    );
    for r in &theirs {
        let mine = ours
            .get(&key(r))
            .unwrap_or_else(|| panic!("{:?} missing from sipas wave results", key(r)));
        for field in ["estimate", "se", "ci_low", "ci_high"] {
            // Every download writes shares as percent; R's reference holds proportions.
            let (a, b): (f64, f64) = (share(mine, field), r[field].parse().unwrap());
            assert!(
                (a - b).abs() < 1e-6,
                "{:?} {field}: sipas {a}, R survey {b}",
                key(r)
            );
        }
        assert_eq!(
            mine["df"].parse::<f64>().unwrap(),
            r["df"].parse::<f64>().unwrap(),
            "{:?} df",
            key(r)
        );
    }
}

#[test]
fn results_page_compares_with_the_desk_stream_then_the_wave_closes_and_its_contacts_are_purged() {
    use crate::helpers::{add_user, hidden, sid, Browser, TestApp};
    use sipas::domain::Role;
    let app = TestApp::spawn_with(|_| {});
    // TestApp has agency T1 with a desk: 40 desk ratings this year, mostly satisfied.
    for i in 0..40 {
        let v = if i % 4 == 0 { "2" } else { "5" };
        let mut fields = vec![("submission_id".to_owned(), sid())];
        for q in ["F1", "F2", "F3", "F4", "F5", "OVERALL"] {
            fields.push((format!("a.{q}"), v.to_owned()));
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(app.post_form(&app.token(), &pairs).status(), 200);
    }
    let w = answered_wave_on(&app);
    add_user(&app.db, "boss", Role::Admin, None);
    let admin = Browser::signed_in(&app, "boss");

    let page = admin.page(&format!("/admin/waves/{w}/results"));
    assert!(page.contains("Kết quả tạm thời"), "{page}");
    if let Ok(keep) = std::env::var("SIPAS_SCREENSHOTS") {
        std::fs::write(format!("{keep}/wave-results.html"), &page).unwrap();
    }
    // The page shows the same SIPAS as the results file, with its interval.
    let rows = parse_csv(&admin.page(&format!("/admin/waves/{w}/results.csv")));
    let t1 = rows
        .iter()
        .find(|r| r["agency"] == "T1" && r["index"] == "SIPAS")
        .unwrap();
    let shown = format!(
        "{}%",
        sipas::views::percent(share(t1, "estimate"), sipas::views::Lang::Vi)
    );
    assert!(
        page.contains(&format!("<strong>{shown}</strong>")),
        "{shown} in {page}"
    );
    // What to improve first: the share choosing each area, per agency and the province.
    assert!(
        page.contains("Lĩnh vực cần ưu tiên cải thiện") && page.contains("Toàn tỉnh</td>"),
        "{page}"
    );
    // Ranked by SIPAS with rank intervals and tiers: checked against the annual ranking below.
    // Next to the desk stream of the same agency and year: 75% satisfied there, compared with
    // the annual sample on the same five questions (issue #18, point 9).
    assert!(page.contains("75,00% (40)"), "{page}");
    assert!(page.contains("so trên cùng các câu hỏi: F1, F2, F3, F4, F5"));
    let comparable = rows
        .iter()
        .find(|r| r["agency"] == "T1" && r["index"] == "comparable")
        .unwrap();
    let comparable = sipas::views::percent(share(comparable, "estimate"), sipas::views::Lang::Vi);
    assert!(
        page.contains(&format!("<td>{comparable}%</td><td>75,00% (40)</td>")),
        "{comparable}% beside the desk stream: {page}"
    );
    assert!(
        page.contains("điểm %"),
        "the difference with its interval: {page}"
    );
    // The province ranking and the PAR points with the annual survey as their source: the
    // wave's agencies by their design-based SIPAS.
    let ranking = admin.get("/admin/ranking?source=annual");
    assert_eq!(ranking.status(), 200);
    let ranking = ranking.text().unwrap();
    assert!(
        ranking.contains("Nguồn: khảo sát hằng năm") && ranking.contains("Khảo sát 2026"),
        "{ranking}"
    );
    let csv = admin.page("/admin/ranking.csv?source=annual");
    // The wave's page shows each rank with the province ranking's own tier (the funnel's
    // null, Benjamini–Hochberg across the strata): the two pages cannot disagree.
    for r in parse_csv(&csv).iter().filter(|r| !r["rank"].is_empty()) {
        let words = match r["tier"].as_str() {
            "above" => "cao hơn toàn tỉnh",
            "below" => "thấp hơn toàn tỉnh",
            _ => "không khác biệt",
        };
        // The rank always with its 95% interval.
        let shown = format!(
            "<strong>{} ({}–{})</strong><br><small class=\"tier-{}\">{words}</small>",
            r["rank"], r["rank_low"], r["rank_high"], r["tier"]
        );
        assert!(page.contains(&shown), "{shown} in {page}");
    }
    let order: Vec<String> = parse_csv(&csv)
        .into_iter()
        .filter(|r| !r["rank"].is_empty())
        .map(|r| format!("{}:{}:{}", r["rank"], r["code"], r["channel"]))
        .collect();
    assert_eq!(
        order,
        [
            "1:A2:annual_sample",
            "2:T1:annual_sample",
            "3:A3:annual_sample"
        ]
    );
    let api: serde_json::Value = admin
        .get("/admin/api/v1/rankings?source=annual")
        .json()
        .unwrap();
    assert_eq!(api["source"], "annual");
    let codes: Vec<&str> = api["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["A2", "T1", "A3"]);
    assert_eq!(api["ranked"][0]["index"]["method"], "design-logit");
    // One ranking rule and one seed: the wave's own page shows the ranking's rank intervals.
    for r in api["ranked"].as_array().unwrap() {
        let (rank, low, high) = (&r["rank"], &r["rank_low"], &r["rank_high"]);
        let shown = format!("<strong>{rank} ({low}–{high})</strong>");
        assert!(
            page.contains(&shown),
            "{}: {shown} not on the wave's page",
            r["code"]
        );
    }
    let par = admin.get("/admin/par?year=2026&source=annual");
    assert_eq!(par.status(), 200);
    assert!(par.text().unwrap().contains("Nguồn: Khảo sát 2026"));
    let none = admin.get("/admin/ranking?source=annual&from=2025-01-01&to=2025-12-31");
    assert_eq!(none.status(), 400);
    assert!(none
        .text()
        .unwrap()
        .contains("Năm 2025 chưa có đợt khảo sát hằng năm"));
    assert_eq!(admin.get("/admin/ranking?source=census").status(), 400);

    // The dashboard's annual source: one agency's results, for its own staff.
    let a2 = rows
        .iter()
        .find(|r| r["agency"] == "A2" && r["index"] == "SIPAS")
        .unwrap();
    let a2_shown = format!(
        "{}%",
        sipas::views::percent(share(a2, "estimate"), sipas::views::Lang::Vi)
    );
    let annual = admin.page("/admin/dashboard/annual?agency=A2");
    if let Ok(keep) = std::env::var("SIPAS_SCREENSHOTS") {
        std::fs::write(format!("{keep}/dashboard-annual.html"), &annual).unwrap();
    }
    assert!(
        annual.contains(&format!("<strong>{a2_shown}</strong>")),
        "{annual}"
    );
    // A2's tier against the province is the annual ranking's.
    let a2_tier = parse_csv(&csv)
        .into_iter()
        .find(|r| r["code"] == "A2")
        .unwrap()["tier"]
        .clone();
    let a2_words = match a2_tier.as_str() {
        "above" => "cao hơn toàn tỉnh",
        "below" => "thấp hơn toàn tỉnh",
        _ => "không khác biệt với toàn tỉnh",
    };
    assert!(
        annual.contains(a2_words) && annual.contains("Kết quả tạm thời"),
        "{a2_words}: {annual}"
    );
    assert!(annual.contains("F5.4"), "every question: {annual}");
    assert!(admin
        .page("/admin/dashboard/annual?year=2025")
        .contains("Năm 2025 chưa có đợt khảo sát hằng năm"));
    assert!(admin
        .page("/admin/dashboard")
        .contains("/admin/dashboard/annual?agency="));
    // Outside the reader's scope, the agency does not exist.
    let (other, _) = crate::helpers::agency_with_desk(&app.db, "OTHER", None);
    let _ = other;
    add_user(&app.db, "other.manager", Role::Manager, Some("OTHER"));
    let outsider = Browser::signed_in(&app, "other.manager");
    assert_eq!(
        outsider.get("/admin/dashboard/annual?agency=A2").status(),
        404
    );
    let own = outsider.page("/admin/dashboard/annual");
    assert!(own.contains("không phải một tầng của mẫu"), "{own}");

    let xlsx = admin.get(&format!("/admin/waves/{w}/results.xlsx"));
    assert_eq!(xlsx.status(), 200);
    assert_eq!(&xlsx.bytes().unwrap()[..2], b"PK");
    let responses = admin.page(&format!("/admin/waves/{w}/responses.csv"));
    assert!(responses.contains("stratum,population,base_weight,weight"));
    assert!(!responses.contains("Người"), "no names");
    assert_eq!(
        admin.get(&format!("/admin/waves/{w}/nothing.csv")).status(),
        404
    );

    // Contacts cannot be purged before the wave is closed.
    let csrf = hidden(&admin.page(&format!("/admin/waves/{w}")), "csrf");
    let early = admin.post(
        &format!("/admin/waves/{w}/purge-contacts"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(early.status(), 422);
    let early = early.text().unwrap();
    assert!(
        early.contains("chỉ xoá thông tin liên hệ khi đợt đã kết thúc"),
        "{early}"
    );
    // Closing asks first, saying what it freezes; nothing changes until confirmed.
    let asked = admin.post(
        &format!("/admin/waves/{w}/close"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(asked.status(), 200);
    let asked = asked.text().unwrap();
    assert!(asked.contains("Kết thúc đợt khảo sát «"), "{asked}");
    assert!(asked.contains("đã được mời"), "{asked}");
    assert!(asked.contains("Không thể hoàn tác."));
    assert!(admin
        .page(&format!("/admin/waves/{w}/results"))
        .contains("Kết quả tạm thời"));
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM waves WHERE id = {w} AND state = 'fieldwork'"
        )),
        1
    );
    assert_eq!(
        admin
            .post(
                &format!("/admin/waves/{w}/close"),
                &[("csrf", csrf.as_str()), ("confirm", "yes")]
            )
            .status(),
        303
    );
    let page = admin.page(&format!("/admin/waves/{w}/results"));
    assert!(!page.contains("Kết quả tạm thời"), "final now");
    // A closed wave takes no more answers.
    let unit = app
        .db
        .count("SELECT min(id) AS n FROM sample_units WHERE status = 'invited'");
    let closed = reqwest::blocking::get(format!(
        "{}/s/{}",
        app.base,
        crate::fieldwork::code_of(unit)
    ))
    .unwrap();
    assert_eq!(closed.status(), 410);

    // Publishing: refused before closing (tested above for the purge), now published once,
    // as the year's annual-survey publication with the same numbers as the results file.
    let asked = admin.post(
        &format!("/admin/waves/{w}/publish"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(asked.status(), 200, "asked first");
    assert!(asked
        .text()
        .unwrap()
        .contains("Công bố kết quả khảo sát năm 2026?"));
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 0);
    let published = admin.post(
        &format!("/admin/waves/{w}/publish"),
        &[("csrf", csrf.as_str()), ("confirm", "yes")],
    );
    assert_eq!(published.status(), 303);
    let public = published.headers()["location"].to_str().unwrap().to_owned();
    assert!(public.starts_with("/public/"), "{public}");
    let snapshot: serde_json::Value = admin
        .get(&format!("{public}/snapshot.json"))
        .json()
        .unwrap();
    assert_eq!(snapshot["channel"], "annual_sample");
    let public_page = admin.get(&public);
    assert_eq!(public_page.status(), 200);
    assert!(public_page
        .text()
        .unwrap()
        .contains("Khảo sát mẫu hằng năm"));
    assert_eq!(snapshot["period"]["from"], "2026-01-01");
    assert!(snapshot["method"]
        .as_str()
        .unwrap()
        .contains("Taylor linearisation"));
    let t1_published = snapshot["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "T1")
        .unwrap();
    let t1_estimate: f64 = share(t1, "estimate");
    assert!((t1_published["overall"]["estimate"].as_f64().unwrap() - t1_estimate).abs() < 1e-9);
    let again = admin.post(
        &format!("/admin/waves/{w}/publish"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(
        again.headers()["location"],
        format!("/admin/waves/{w}/results?refused=published")
    );
    assert!(admin
        .page(&format!("/admin/waves/{w}/results?refused=published"))
        .contains("đã được công bố"));
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 1);

    let before = admin.page(&format!("/admin/waves/{w}/results.csv"));
    let asked = admin.post(
        &format!("/admin/waves/{w}/purge-contacts"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(asked.status(), 200);
    assert!(asked
        .text()
        .unwrap()
        .contains("Xoá thông tin liên hệ của đợt"));
    assert!(app.db.count("SELECT count(*) AS n FROM frame_units") > 0);
    assert_eq!(
        admin
            .post(
                &format!("/admin/waves/{w}/purge-contacts"),
                &[("csrf", csrf.as_str()), ("confirm", "yes")]
            )
            .status(),
        303
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM frame_units"),
        0,
        "the frame rows are gone"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM sample_units WHERE frame_unit_id IS NOT NULL"),
        0,
        "no unit names a frame row"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'wave.purge_contacts'"),
        1
    );
    // The results do not change: responses keep their stratum and weight.
    assert_eq!(admin.page(&format!("/admin/waves/{w}/results.csv")), before);
    let page = admin.page(&format!("/admin/waves/{w}"));
    assert!(
        page.contains("Thông tin liên hệ của đợt đã được xoá"),
        "{page}"
    );

    add_user(&app.db, "t1.manager", Role::Manager, Some("T1"));
    let manager = Browser::signed_in(&app, "t1.manager");
    assert_eq!(
        manager.get(&format!("/admin/waves/{w}/results")).status(),
        404
    );
    assert_eq!(
        manager
            .get(&format!("/admin/waves/{w}/responses.csv"))
            .status(),
        404
    );
}

/// A share of a results file as a proportion: the file writes `<field>_percent`.
fn share(row: &HashMap<String, String>, field: &str) -> f64 {
    let percent: f64 = row[&format!("{field}_percent")].parse().unwrap();
    percent / 100.0
}
