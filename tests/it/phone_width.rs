//! Pages at a phone's width and a laptop's (issue #20, point 1): nothing wider than the screen,
//! and the citizen's form switches language without losing the answers picked.

use crate::helpers::TestApp;
use crate::webdriver::Chromium;

#[test]
fn the_desk_form_fits_a_phone_in_both_languages_and_switching_keeps_the_answers() {
    let app = TestApp::spawn();
    let url = format!("{}/q/{}", app.base, app.token());
    for (sent, width) in [360, 390, 1280].into_iter().enumerate() {
        let sent = sent as i64;
        let browser = Chromium::start(width, 900);
        browser.open(&url);
        assert_eq!(browser.overflow_x(), 0, "Vietnamese at {width} px");
        // Pick answers, then switch: the same answers are picked in English, and it fits.
        browser.click("input[name='a.F1'][value='5']");
        browser.click("input[name='a.F3'][value='na']");
        browser.click("input[name='respondent_kind'][value='organisation']");
        browser.type_into("#comment", "Cán bộ (quầy 2) nhiệt tình 👍");
        browser.click("button.lang");
        let english = browser.source_with("Rate our service");
        assert!(english.contains("<html lang=\"en\">"), "{english}");
        assert_eq!(browser.overflow_x(), 0, "English at {width} px");
        let checked = |css: &str| {
            browser
                .script(&format!(
                    "return document.querySelector(\"{css}\").checked;"
                ))
                .as_bool()
                .unwrap()
        };
        assert!(checked("input[name='a.F1'][value='5']"));
        assert!(checked("input[name='a.F3'][value='na']"));
        assert!(checked(
            "input[name='respondent_kind'][value='organisation']"
        ));
        assert!(!checked("input[name='a.F2'][value='5']"));
        let comment = browser.script("return document.querySelector('#comment').value;");
        assert_eq!(comment, "Cán bộ (quầy 2) nhiệt tình 👍");
        // Nothing was stored by switching; back to Vietnamese, then send once.
        assert_eq!(app.db.count("SELECT count(*) AS n FROM responses"), sent);
        browser.click("button.lang");
        browser.source_with("Đánh giá");
        assert!(checked("input[name='a.F1'][value='5']"));
        browser.click("form#rating button[type=submit]:not(.lang)");
        browser.source_with("Cảm ơn");
        if width == 360 {
            crate::browser::keep(&browser.screenshot(), "thanks-360");
        }
    }
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM responses"),
        3,
        "one rating per browser, none from switching"
    );
}

/// Posts a form to `path` and gives back the status and page.
fn post_to(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .form(fields)
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn every_form_switches_language_by_posting_and_keeps_what_was_picked() {
    use crate::receipts::{issue_many, system_token};
    let app = TestApp::spawn();
    crate::helpers::agency_with_desk(&app.db, "SO-TP", Some(app.fixture.agency_id));
    let system = system_token(&app, "motcua", "SO-TP");
    let receipt = issue_many(&app, &system, "SO-TP", 1).remove(0);
    let wave = crate::fieldwork::drawn_wave(&app.db, 10, 0);
    crate::fieldwork::sipas_ok(&app.db, &["wave", "start", "--wave", &wave]);
    let (main, _) = crate::fieldwork::unit_ids(&app.db);
    let invitation = crate::fieldwork::code_of(main[0]);
    let comment = "Thủ tục nhanh, [phòng 3] ✓ +84";
    for path in [
        format!("/q/{}", app.token()),
        format!("/r/{receipt}"),
        format!("/s/{invitation}"),
    ] {
        let sid = crate::helpers::sid();
        let (status, page) = post_to(
            &app,
            &path,
            &[
                ("submission_id", sid.as_str()),
                ("lang", "vi"),
                ("a.F1", "4"),
                ("comment", comment),
                ("switch_lang", "en"),
            ],
        );
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page.contains("<html lang=\"en\">"), "{path}");
        assert!(
            page.contains(r#"name="a.F1" value="4" checked"#),
            "{path}: the answer stays picked"
        );
        assert!(page.contains("Thủ tục nhanh, [phòng 3] ✓ +84"), "{path}");
        assert!(
            page.contains(&format!(r#"name="submission_id" value="{sid}""#)),
            "{path}: the same rating, so a later send still deduplicates"
        );
        assert!(!page.contains("role=\"alert\""), "{path}: no complaint");
    }
    assert_eq!(app.db.count("SELECT count(*) AS n FROM responses"), 0);
}

#[test]
fn the_publishing_steps_and_the_public_pages_fit_a_phone_and_a_laptop() {
    use sipas::domain::Role;
    let app = TestApp::spawn();
    crate::helpers::add_user(&app.db, "snv.admin", Role::Admin, None);
    for day in ["2026-09-20", "2026-10-10"] {
        for k in 0..35 {
            let v = Some(1 + (k % 5) as i16);
            crate::helpers::store_rating_on(&app.db, app.fixture.desk_id, day, &[("F1", v)]);
        }
    }
    for width in [360, 1280] {
        let browser = crate::browser::signed_in(&app, "snv.admin", width, 1000);
        browser.open(&format!("{}/admin/publications", app.base));
        let (from, to) = if width == 360 {
            ("2026-07-01", "2026-09-30")
        } else {
            ("2026-10-01", "2026-10-31")
        };
        // Typed as a person would into the date fields (Chromium's date input takes the
        // digits of its locale's order: month, day, year).
        let typed = |d: &str| format!("{}{}{}", &d[5..7], &d[8..10], &d[0..4]);
        browser.type_into("#from", &typed(from));
        browser.type_into("#to", &typed(to));
        browser.click("form[action='/admin/publications'] button[type=submit]");
        let asked = browser.source_with("Không thể hoàn tác");
        assert!(asked.contains("Công bố kết quả"), "{asked}");
        assert_eq!(browser.overflow_x(), 0, "confirmation at {width} px");
        crate::browser::keep(&browser.screenshot(), &format!("confirm-publish-{width}"));
        browser.click("form.confirm button[type=submit]");
        browser.source_with("SHA-256");
        assert_eq!(browser.overflow_x(), 0, "public period at {width} px");
        assert_eq!(
            browser.boxes_scrolling_x(),
            "",
            "its table fits at {width} px"
        );
        crate::browser::keep(&browser.screenshot(), &format!("public-period-{width}"));
        browser.open(&format!("{}/public", app.base));
        assert_eq!(browser.overflow_x(), 0, "public list at {width} px");
        assert_eq!(
            browser.boxes_scrolling_x(),
            "",
            "its table fits at {width} px"
        );
        crate::browser::keep(&browser.screenshot(), &format!("public-list-{width}"));
    }
    assert_eq!(app.db.count("SELECT count(*) AS n FROM publications"), 2);
}
