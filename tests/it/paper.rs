//! Keying returned paper questionnaires (issue #8, point 6): one key per answer, double entry
//! by two people, disagreements resolved against the paper before the response counts.

use crate::fieldwork::{code_of, drawn_wave, sipas_ok, unit_ids};
use crate::helpers::{add_user, hidden, Browser, TestApp};
use sipas::domain::invitation::Invitation;
use sipas::domain::Role;

/// The keys of a questionnaire: every question of the full form answered `base`, with
/// `changes` as (question code, key).
fn keys(app: &TestApp, base: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut conn = app.db.conn();
    let form = sipas::db::instruments::load_form(
        &mut conn,
        "sipas-2017",
        sipas::db::instruments::Form::Full,
    )
    .unwrap();
    let mut out: Vec<(String, String)> = form
        .questions
        .iter()
        .map(|q| {
            let v = changes
                .iter()
                .find(|(c, _)| *c == q.code)
                .map_or(base, |(_, v)| v);
            (format!("k.{}", q.code), v.to_owned())
        })
        .collect();
    out.push(("c.EXPECT".into(), "25".into()));
    out.push(("c.AGE".into(), "3".into()));
    out.push(("kind".into(), "1".into()));
    out.push(("comment".into(), "Thủ tục nhanh".into()));
    out
}

fn post(
    b: &Browser,
    path: &str,
    csrf: &str,
    fields: &[(String, String)],
) -> reqwest::blocking::Response {
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("csrf", csrf));
    b.post(path, &pairs)
}

#[test]
fn two_keyers_enter_a_questionnaire_blind_and_a_disagreement_waits_for_the_paper() {
    let app = TestApp::spawn();
    let w = drawn_wave(&app.db, 60, 0);
    sipas_ok(&app.db, &["wave", "start", "--wave", &w]);
    let (main, _) = unit_ids(&app.db);
    add_user(&app.db, "boss", Role::Admin, None);
    add_user(&app.db, "keyer2", Role::Admin, None);
    let one = Browser::signed_in(&app, "boss");
    let two = Browser::signed_in(&app, "keyer2");
    let csrf1 = hidden(&one.page(&format!("/admin/waves/{w}/paper")), "csrf");
    let csrf2 = hidden(&two.page(&format!("/admin/waves/{w}/paper")), "csrf");

    // The code as typed from the paper opens the questionnaire.
    let typed = Invitation::grouped(&code_of(main[0])).to_lowercase();
    let open = one.get(&format!("/admin/waves/{w}/paper?code={typed}"));
    assert_eq!(open.status(), 303);
    let path = open.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(path, format!("/admin/waves/{w}/paper/{}", code_of(main[0])));
    let page = one.page(&path);
    assert!(
        page.contains("Lần nhập 1") && page.contains("autofocus"),
        "{page}"
    );
    assert_eq!(
        page.matches("maxlength=\"1\"").count(),
        28 + 1,
        "one key per answer"
    );
    let wrong = one.get(&format!("/admin/waves/{w}/paper?code=ABCD"));
    assert_eq!(wrong.status(), 422);

    // A key that is not an answer is named by its question; nothing is kept.
    let bad = post(&one, &path, &csrf1, &keys(&app, "4", &[("F1.2", "7")]));
    assert_eq!(bad.status(), 422);
    assert!(bad.text().unwrap().contains("Câu F1.2: gõ một phím 1–5"));
    assert_eq!(app.db.count("SELECT count(*) AS n FROM paper_entries"), 0);

    // First keying: kept, not counted.
    let first = post(
        &one,
        &path,
        &csrf1,
        &keys(&app, "4", &[("F2.3", "0"), ("F5.4", "")]),
    );
    assert_eq!(
        first.headers()["location"],
        format!("/admin/waves/{w}/paper?done=first")
    );
    assert_eq!(app.responses(), 0);
    // The same person cannot key it a second time.
    let again = post(&one, &path, &csrf1, &keys(&app, "4", &[]));
    assert_eq!(again.status(), 409);
    assert!(again
        .text()
        .unwrap()
        .contains("phải do một người khác nhập"));
    // The second keyer sees nothing of the first keying.
    let blind = two.page(&path);
    assert!(
        blind.contains("Lần nhập 2") && !blind.contains("value=\"4\""),
        "{blind}"
    );
    // ...and keys F2.3 as 5 where the first read 0: the questionnaire waits for the paper.
    let second = post(
        &two,
        &path,
        &csrf2,
        &keys(&app, "4", &[("F2.3", "5"), ("F5.4", "")]),
    );
    assert_eq!(
        second.headers()["location"],
        format!("/admin/waves/{w}/paper?done=disagree")
    );
    assert_eq!(app.responses(), 0);
    let conflicts = one.page(&format!("/admin/waves/{w}/paper-conflicts"));
    assert!(
        conflicts.contains("Câu F2.3: lần 1 0 (không ý kiến), lần 2 5"),
        "{conflicts}"
    );
    assert!(conflicts.contains("boss và keyer2"), "{conflicts}");
    // Resolved against the paper: counted, as channel paper.
    let resolve = post(
        &one,
        &format!("/admin/waves/{w}/paper-conflicts/{}", main[0]),
        &csrf1,
        &keys(&app, "4", &[("F2.3", "5"), ("F5.4", "")]),
    );
    assert_eq!(resolve.status(), 303);
    assert_eq!(
        app.db.count(&format!(
            "SELECT count(*) AS n FROM responses WHERE channel = 'paper' AND sample_unit_id = {} \
             AND comment = 'Thủ tục nhanh'",
            main[0]
        )),
        1
    );
    assert!(one
        .page(&format!("/admin/waves/{w}/paper-conflicts"))
        .contains("Không có phiếu nào chờ"));

    // Two keyings that agree count at once.
    let path2 = format!("/admin/waves/{w}/paper/{}", code_of(main[1]));
    post(&one, &path2, &csrf1, &keys(&app, "3", &[]));
    let agreed = post(&two, &path2, &csrf2, &keys(&app, "3", &[]));
    assert_eq!(
        agreed.headers()["location"],
        format!("/admin/waves/{w}/paper?done=counted")
    );
    assert_eq!(app.responses(), 2);

    // Without double entry, one keying counts.
    let off = one.post(
        &format!("/admin/waves/{w}/double-entry"),
        &[("csrf", csrf1.as_str()), ("on", "0")],
    );
    assert_eq!(off.status(), 303);
    let path3 = format!("/admin/waves/{w}/paper/{}", code_of(main[2]));
    let single = post(&one, &path3, &csrf1, &keys(&app, "5", &[]));
    assert_eq!(
        single.headers()["location"],
        format!("/admin/waves/{w}/paper?done=counted")
    );
    assert_eq!(app.responses(), 3);
    // A questionnaire of someone who answered already is not counted twice.
    let twice = post(&two, &path3, &csrf2, &keys(&app, "5", &[]));
    assert_eq!(twice.status(), 409);
    assert!(twice.text().unwrap().contains("đã trả lời"));
    assert_eq!(app.responses(), 3);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE action = 'paper.key'"),
        5
    );
    assert_eq!(
        app.db.count("SELECT count(*) AS n FROM paper_entries p JOIN users u ON u.id = p.keyed_by WHERE u.username = 'keyer2'"),
        2,
        "who keyed is recorded"
    );
}
