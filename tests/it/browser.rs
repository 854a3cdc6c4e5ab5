//! The form in a real browser: headless Chromium (Debian's `chromium`) renders it without
//! JavaScript at phone size.

use std::process::Command;

use crate::helpers::{TempDir, TestApp};
use crate::webdriver::Chromium;

fn chromium(args: &[&str]) -> std::process::Output {
    let profile = TempDir::new("chromium");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .args(args)
        .output()
        .expect("chromium is installed (scripts/ensure-deps installs it)")
}

#[test]
fn chromium_renders_the_form_at_phone_size_without_javascript() {
    let app = TestApp::spawn();
    let url = format!("{}/q/{}", app.base, app.token());

    let dom = chromium(&["--dump-dom", &url]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<html lang=\"vi\">"));
    assert!(
        !dom.contains("<script"),
        "the form works without JavaScript: there is none"
    );
    assert_eq!(
        dom.matches("type=\"radio\"").count(),
        6 * 6 + 2,
        "six questions with 5 levels + no opinion, and the respondent kind"
    );
    assert_eq!(dom.matches("<legend>").count(), 7);
    assert!(dom.contains("<button type=\"submit\">Gửi đánh giá</button>"));

    let dir = TempDir::new("shot");
    let shot = dir.join("form.png");
    let out = chromium(&[
        "--window-size=390,844",
        &format!("--screenshot={}", shot.display()),
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&shot).unwrap();
    assert_eq!((img.width(), img.height()), (390, 844));
    // The page is not blank: the header's dark red band is at the top.
    let top = img.to_rgb8().get_pixel(5, 5).0;
    assert!(
        top[0] > 100 && top[1] < 60 && top[2] < 60,
        "header colour {top:?}"
    );
}

/// Chromium itself signs in: it types the name and password into the sign-in form, submits
/// it, keeps the session cookie and follows the redirect.
pub(crate) fn signed_in(app: &TestApp, user: &str, width: u32, height: u32) -> Chromium {
    let browser = Chromium::start(width, height);
    let login = format!("{}/admin/login", app.base);
    browser.open(&login);
    browser.type_into("#username", user);
    browser.type_into("#password", crate::helpers::PASSWORD);
    browser.click("button[type=submit]");
    assert_eq!(
        browser.wait_to_leave(&login),
        format!("{}/admin", app.base),
        "signed in and sent to the start page"
    );
    browser
}

/// SIPAS_SCREENSHOTS=DIR keeps what Chromium drew, to look at (not committed by tests).
pub(crate) fn keep(img: &image::DynamicImage, name: &str) {
    if let Ok(dir) = std::env::var("SIPAS_SCREENSHOTS") {
        img.save(format!("{dir}/{name}.png")).unwrap();
    }
}

/// Share of pixels that are not the page background: a painted chart and table, not a blank.
fn ink(img: &image::DynamicImage) -> f64 {
    let rgb = img.to_rgb8();
    let background = rgb.get_pixel(rgb.width() - 1, rgb.height() - 1).0;
    let inked = rgb.pixels().filter(|p| p.0 != background).count();
    inked as f64 / (rgb.width() * rgb.height()) as f64
}

#[test]
fn chromium_draws_the_dashboard_and_the_ranking_with_their_charts_and_numbers() {
    use sipas::domain::Role;
    let app = TestApp::spawn();
    let mut units = Vec::new();
    for code in ["A", "B", "C"] {
        units.push(crate::helpers::agency_with_desk(&app.db, code, Some(app.fixture.agency_id)).1);
    }
    for (k, desk) in units.iter().enumerate() {
        let token = sipas::domain::DeskToken {
            desk_id: *desk,
            key_version: 1,
        }
        .sign(crate::helpers::SECRET.as_bytes());
        for i in 0..35 {
            let score = ["5", "4", "3", "2"][(i + k) % (2 + k)];
            let r = app.post_form(
                &token,
                &[
                    ("submission_id", &crate::helpers::sid()),
                    ("a.F1", score),
                    ("a.F2", "4"),
                    ("a.F3", score),
                    ("a.F4", "5"),
                    ("a.F5", score),
                    ("a.OVERALL", score),
                ],
            );
            assert_eq!(r.status(), 200);
        }
    }
    crate::helpers::add_user(&app.db, "boss", Role::Admin, None);
    let admin = crate::helpers::Browser::signed_in(&app, "boss");
    let api: serde_json::Value = admin
        .get("/admin/api/v1/agencies/T1/indices")
        .json()
        .unwrap();
    let overall = format!(
        "{}%",
        sipas::views::percent(
            api["overall"]["estimate"].as_f64().unwrap(),
            sipas::views::Lang::Vi
        )
    );

    for width in [1280, 390] {
        let browser = signed_in(&app, "boss", width, 900);

        browser.open(&format!("{}/admin/dashboard", app.base));
        let dom = browser.source();
        assert!(
            dom.contains(&overall),
            "the overall SIPAS {overall} is drawn"
        );
        assert!(
            dom.contains("<svg") && dom.contains("<polyline"),
            "the trend chart"
        );
        assert!(!dom.contains("<script"));
        let img = browser.screenshot();
        assert_eq!(img.width(), width);
        assert!(ink(&img) > 0.05, "the dashboard is painted at {width}px");
        keep(&img, &format!("dashboard-{width}"));

        browser.open(&format!("{}/admin/ranking?level=unit", app.base));
        let dom = browser.source();
        for code in ["A", "B", "C"] {
            assert!(dom.contains(&format!(">{code}</td>")), "{code} ranked");
        }
        assert!(dom.contains("Biểu đồ phễu") && dom.matches("<circle").count() >= 3);
        assert!(
            ink(&browser.screenshot()) > 0.05,
            "the ranking is painted at {width}px"
        );
    }
}

#[test]
fn chromium_runs_a_wave_upload_design_and_draw_through_its_page() {
    use sipas::domain::Role;
    let app = TestApp::spawn();
    crate::helpers::agency_with_desk(&app.db, "A2", None);
    crate::helpers::add_user(&app.db, "boss", Role::Admin, None);
    let (code, out, err) = crate::helpers::run(
        app.db.sipas().args([
            "wave",
            "create",
            "--name",
            "Khảo sát 2026",
            "--year",
            "2026",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let wave = format!("{}/admin/waves/{}", app.base, out.trim());
    let dir = TempDir::new("frame");
    let file = dir.join("khung-mau.csv");
    let mut csv = String::from(
        "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address\n",
    );
    for (agency, n) in [("T1", 240), ("A2", 60)] {
        for i in 0..n {
            csv.push_str(&format!(
                "{agency}-{i},{agency},,2026-04-02,individual,Nguyễn Văn {i},0912345678,,\n"
            ));
        }
    }
    std::fs::write(&file, csv).unwrap();

    let browser = signed_in(&app, "boss", 1280, 2000);
    browser.open(&wave);
    // The file input takes the file's path as typed keys, as a person picks it.
    browser.type_into("#file", &file.display().to_string());
    browser.click("form[enctype] button[type=submit]");
    let dom = browser.source_with("Đã nhập khung mẫu");
    assert!(
        dom.contains("Đã nhập khung mẫu") && dom.contains("300 đơn vị"),
        "{dom}"
    );

    browser.click("button[value=preview]");
    let dom = browser.source_with("Xem trước (chưa lưu)");
    assert!(dom.contains("Xem trước (chưa lưu)"), "the preview: {dom}");
    keep(&browser.screenshot(), "wave-design-1280");
    browser.click("button[value=save]");
    let dom = browser.source_with("Đã lưu thiết kế mẫu");
    assert!(dom.contains("Đã lưu thiết kế mẫu"), "{dom}");
    browser.type_into("#seed", "7");
    browser.click("form[action$=draw] button[type=submit]");
    let dom = browser.source_with("Đã chọn mẫu; hạt giống");
    assert!(dom.contains("Đã chọn mẫu; hạt giống"), "{dom}");
    let img = browser.screenshot();
    assert!(ink(&img) > 0.05);
    keep(&img, "wave-drawn-1280");

    let phone = signed_in(&app, "boss", 390, 2000);
    phone.open(&wave);
    let img = phone.screenshot();
    assert_eq!(img.width(), 390);
    keep(&img, "wave-drawn-390");
}

#[test]
fn chromium_renders_the_full_annual_form_at_phone_size_one_item_per_row() {
    use crate::fieldwork::{code_of, drawn_wave, sipas_ok, unit_ids};
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 60, 0);
    sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    let (main, _) = unit_ids(&app.db);
    let url = format!("{}/s/{}", app.base, code_of(main[0]));

    let dom = chromium(&["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<html lang=\"vi\">") && !dom.contains("<script"));
    assert_eq!(
        dom.matches("<progress").count(),
        7,
        "a progress bar per part"
    );
    assert_eq!(
        dom.matches("type=\"radio\"").count(),
        28 * 6 + (3 + 6 + 6 + 9) + 2,
        "28 questions with 5 levels + no opinion, the profile's options, the respondent kind"
    );
    assert_eq!(
        dom.matches("type=\"checkbox\"").count(),
        5,
        "the five areas to improve"
    );

    let dir = TempDir::new("shot");
    let shot = dir.join("annual-form.png");
    let out = chromium(&[
        "--window-size=390,9000",
        &format!("--screenshot={}", shot.display()),
        &url,
    ]);
    assert!(out.status.success());
    let img = image::open(&shot).unwrap();
    // Phone width: nothing wider than the screen (no horizontal scrolling), and the page is
    // painted all the way down to the send button.
    assert_eq!(img.width(), 390);
    assert!(ink(&img) > 0.05);
    keep(&img.crop_imm(0, 0, 390, 1400), "annual-form-390-top");
    keep(&img.crop_imm(0, 7600, 390, 1400), "annual-form-390-end");
}

#[test]
fn chromium_keys_a_paper_questionnaire_with_the_keyboard_alone() {
    use crate::fieldwork::{code_of, drawn_wave, sipas_ok, unit_ids};
    use crate::webdriver::{ENTER, TAB};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 60, 0);
    sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    let (main, _) = unit_ids(&app.db);
    crate::helpers::add_user(&app.db, "boss", Role::Admin, None);

    let browser = signed_in(&app, "boss", 1280, 1400);
    let start = format!("{}/admin/waves/{w}/paper", app.base);
    browser.open(&start);
    // The code field has the focus: type the code from the paper (grouped, lower case), Enter.
    let code = sipas::domain::invitation::Invitation::grouped(&code_of(main[0])).to_lowercase();
    browser.press(&format!("{code}{ENTER}"));
    let dom = browser.source_with("Lần nhập 1");
    assert!(dom.contains("Lần nhập 1"), "{dom}");
    // 28 answers, one key each and Tab: 1, 2, 3, 4, 5, 0 (no opinion), over and over; then
    // the choice questions, the respondent kind (2, organisation) and Enter to save. No mouse,
    // no click.
    let typed: String = (0..28)
        .map(|i| format!("{}{TAB}", ["1", "2", "3", "4", "5", "0"][i % 6]))
        .collect();
    // Then the choice questions: areas 1 and 3, gender 2, age band 3, education left blank,
    // occupation 9; the kind; Tab to the comment, copied from the paper, and Enter saves.
    let comment = "Cán bộ (quầy 2) nhiệt tình 👍";
    browser.press(&format!(
        "{typed}13{TAB}2{TAB}3{TAB}{TAB}9{TAB}2{TAB}{comment}{ENTER}"
    ));
    let dom = browser.source_with("Đã lưu lần nhập 1");
    assert!(dom.contains("Đã lưu lần nhập 1"), "{dom}");
    keep(&browser.screenshot(), "paper-after-save-1280");
    // What was keyed, in the questionnaire's order: 1 2 3 4 5 0 1 2 …
    #[derive(diesel::QueryableByName)]
    struct Keyed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        keys: String,
    }
    let rows: Vec<Keyed> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT p.respondent_kind AS kind, \
                    string_agg(coalesce(v::text, '-'), '' ORDER BY i.position, i.id) AS keys \
             FROM paper_entries p \
             CROSS JOIN LATERAL unnest(p.answer_values) WITH ORDINALITY AS a(v, k) \
             JOIN (SELECT id, position, row_number() OVER (ORDER BY position, id) AS k FROM items \
                   WHERE instrument_id = (SELECT id FROM instruments WHERE code = 'sipas-2017')) i \
               ON i.k = a.k \
             GROUP BY p.respondent_kind",
        ),
        &mut app.db.conn(),
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "organisation");
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM paper_entries WHERE comment = '{comment}'"
        )),
        1,
        "Enter in the comment saved the questionnaire with it"
    );
    let expected: String = (0..28)
        .map(|i| ["1", "2", "3", "4", "5", "0"][i % 6])
        .collect();
    assert_eq!(rows[0].keys, expected);
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM paper_entries p, unnest(p.choices) c \
             WHERE c % 100 IN (1, 3, 2, 9) "
        ),
        5,
        "EXPECT 1 and 3, GENDER 2, AGE 3, OCCUPATION 9"
    );

    // The questionnaire screen as a keyer sees it.
    browser.open(&format!(
        "{}/admin/waves/{w}/paper/{}",
        app.base,
        code_of(main[1])
    ));
    keep(&browser.screenshot(), "paper-form-1280");
}

#[test]
fn chromium_draws_the_receipts_section_at_phone_and_laptop_width() {
    use crate::receipts::{issue_many, rate_with, system_token};
    use sipas::domain::Role;
    let app = TestApp::spawn();
    crate::helpers::agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let token = system_token(&app, "motcua", "SO-TP");
    let tokens = issue_many(&app, &token, "SO-TP", 45);
    for (k, t) in tokens[..36].iter().enumerate() {
        let v = [5, 4, 4, 2][k % 4];
        rate_with(
            &app,
            t,
            serde_json::json!({"F1": v, "F2": v, "F3": v, "F4": v, "F5": v, "OVERALL": v}),
        );
    }
    crate::helpers::add_user(&app.db, "boss", Role::Admin, None);
    for width in [1280, 390] {
        let browser = signed_in(&app, "boss", width, 1400);
        browser.open(&format!("{}/admin/dashboard#ho-so", app.base));
        let dom = browser.source();
        // 45 handled, 9 unsatisfied: (45 − 9) ÷ 45 = 80%; 36 of 45 rated.
        assert!(dom.contains("<strong>80,00%</strong>"), "the rate is drawn");
        assert!(dom.contains("tỷ lệ phản hồi 80,00%"));
        let img = browser.screenshot();
        assert!(ink(&img) > 0.05, "the section is painted at {width}px");
        keep(&img, &format!("dossiers-{width}"));
    }
}

#[test]
fn chromium_draws_the_reviewers_page_of_held_ratings_at_phone_and_laptop_width() {
    use sipas::domain::Role;
    let app = TestApp::spawn_with(|s| {
        s.screening.enabled = true;
        s.screening.client_max_per_day = 100;
        s.screening.default_hours = "T2-CN 00:00-23:59".to_owned();
    });
    let token = app.token();
    for score in ["5", "5", "4"] {
        let id = crate::helpers::sid();
        let mut fields = vec![("submission_id", id.as_str())];
        for code in ["a.F1", "a.F2", "a.F3", "a.F4", "a.F5", "a.OVERALL"] {
            fields.push((code, score));
        }
        assert_eq!(app.post_form(&token, &fields).status(), 200);
    }
    crate::helpers::add_user(&app.db, "boss", Role::Admin, None);
    for width in [1280, 390] {
        let browser = signed_in(&app, "boss", width, 900);
        browser.open(&format!("{}/admin/held", app.base));
        let dom = browser.source();
        assert!(dom.contains("<strong>3</strong> lượt đánh giá đang bị giữ lại"));
        assert_eq!(
            dom.matches("value=\"release\"").count(),
            1 + 3,
            "the rule and each row"
        );
        let img = browser.screenshot();
        assert!(ink(&img) > 0.05, "painted at {width}px");
        keep(&img, &format!("held-{width}"));
    }
}
