//! Managers' digests and alerts (issue #20, point 8): composed once per person and period
//! however many passes run at once, sent through the outbox to a real SMTP server on loopback
//! in Vietnamese and English, with the dashboard's own numbers; alerts on a significant fall
//! and a target not met; a signed settings link and one-click unsubscribe.

use chrono::NaiveDate;
use serde_json::Value;

use crate::helpers::{
    add_user, hidden, rebuild_aggregates, run, store_rating_on, Browser, TestApp, SECRET,
};
use crate::mail::{free_port, worker, Sink};
use sipas::digest::{Composer, Queued};
use sipas::domain::mail_settings_token::MailSettingsToken;
use sipas::domain::Role;

/// Monday 7 December 2026: last week is 30/11–06/12, last month November.
fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

fn pass(app: &TestApp, today: NaiveDate, hour: u32) -> Queued {
    let mut c = app.db.conn();
    let form =
        sipas::db::instruments::load_form(&mut c, "sipas-2017", sipas::db::instruments::Form::Desk)
            .unwrap();
    Composer {
        form: &form,
        key: SECRET.as_bytes(),
        base: "https://sipas.example.vn",
        views: sipas::views::Views::shared().unwrap(),
    }
    .pass(&mut c, today, hour)
    .unwrap()
}

/// `n` ratings on each day from `first` for `days` days, the k-th of a day answering
/// `cycle[k % len]` to every question.
fn rate_days(app: &TestApp, first: &str, days: i64, n: usize, cycle: &[i16]) {
    let first: NaiveDate = first.parse().unwrap();
    for d in 0..days {
        let day = (first + chrono::Duration::days(d)).to_string();
        for k in 0..n {
            let v = cycle[k % cycle.len()];
            let answers: Vec<(&str, Option<i16>)> = ["F1", "F2", "F3", "F4", "F5"]
                .iter()
                .map(|c| (*c, Some(v)))
                .collect();
            store_rating_on(&app.db, app.fixture.desk_id, &day, &answers);
        }
    }
}

fn mail_to(app: &TestApp, user: &str, email: &str, digest: &str, lang: &str) {
    app.db.exec(&format!(
        "UPDATE users SET email = '{email}', digest = '{digest}', mail_lang = '{lang}' WHERE username = '{user}'"
    ));
}

fn user_id(app: &TestApp, user: &str) -> i32 {
    app.db.count(&format!(
        "SELECT id::int8 AS n FROM users WHERE username = '{user}'"
    )) as i32
}

/// The overall index of T1 as the read API gives it, for `from`–`to`, printed as the mail
/// prints it in `lang`.
fn api_overall(app: &TestApp, token: &str, from: &str, to: &str, vi: bool) -> String {
    let got: Value = app
        .http
        .get(format!(
            "{}/api/v1/agencies/T1/indices?from={from}&to={to}",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let o = &got["overall"];
    let p = |x: &Value| {
        let s = format!("{:.2}", 100.0 * x.as_f64().unwrap());
        if vi {
            s.replace('.', ",")
        } else {
            s
        }
    };
    format!(
        "{}% ({}–{}%; n = {})",
        p(&o["estimate"]),
        p(&o["ci_low"]),
        p(&o["ci_high"]),
        got["responses"]
    )
}

#[test]
fn each_reader_gets_one_digest_per_period_in_their_language_through_smtp() {
    let app = TestApp::spawn();
    add_user(&app.db, "quan.ly", Role::Manager, Some("T1"));
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "nguoi.xem", Role::Viewer, Some("T1"));
    add_user(&app.db, "khong.dia.chi", Role::Manager, Some("T1"));
    mail_to(
        &app,
        "quan.ly",
        "quan.ly@so-tu-phap.example.vn",
        "weekly",
        "vi",
    );
    mail_to(&app, "snv.admin", "snv@snv.example.vn", "monthly", "en");
    // A viewer starts with digests off, even with an address.
    app.db
        .exec("UPDATE users SET email = 'xem@example.vn' WHERE username = 'nguoi.xem'");
    rate_days(&app, "2026-11-24", 13, 6, &[5, 4, 3]);
    rebuild_aggregates(&app.db);

    // Not before seven in the morning.
    assert_eq!(pass(&app, monday(), 6), Queued::default());
    // Four passes at once, as four nodes' schedulers would: one message per person.
    let queued: Vec<Queued> = std::thread::scope(|s| {
        let all: Vec<_> = (0..4)
            .map(|_| s.spawn(|| pass(&app, monday(), 7)))
            .collect();
        all.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        queued.iter().map(|q| q.digests).sum::<usize>(),
        2,
        "{queued:?}"
    );
    assert_eq!(
        pass(&app, monday(), 9),
        Queued::default(),
        "once per period"
    );
    assert_eq!(
        pass(&app, monday().succ_opt().unwrap(), 9),
        Queued::default()
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM digests"), 2);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM outbox WHERE kind = 'digest' AND status = 'queued'"),
        2
    );

    // The worker sends them; the numbers are the read API's for the same days.
    let sink = Sink::start(free_port(), &[]);
    let (code, out, err) = run(worker(&app.db, sink.port).arg("--until-idle"), "");
    assert_eq!(code, Some(0), "{out}{err}");
    let got = sink.messages();
    assert_eq!(got.len(), 2, "{got:?}");
    let (_, reader, _) = run(
        app.db
            .sipas()
            .args(["api-token", "create", "--user", "snv.admin"]),
        "",
    );
    let reader = reader.trim();
    let vi = got
        .iter()
        .find(|m| m["rcpt_tos"][0] == "quan.ly@so-tu-phap.example.vn")
        .expect("the manager's digest");
    let subject = vi["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("SIPAS tuần 30/11/2026–06/12/2026: Tỉnh Thử <nghiệm>"),
        "{subject}"
    );
    let text = vi["text"].as_str().unwrap();
    let week = api_overall(&app, reader, "2026-11-30", "2026-12-06", true);
    assert!(text.contains(&format!("SIPAS: {week}")), "{week}\n{text}");
    assert!(text.contains("Kính gửi quan.ly,"), "{text}");
    assert!(text.contains("n = 42"), "{text}");
    assert!(text.contains("Các câu hỏi có chỉ số thấp nhất"), "{text}");
    assert!(text.contains("Chưa đặt mục tiêu"), "{text}");
    assert!(
        text.contains("https://sipas.example.vn/admin/dashboard?agency="),
        "{text}"
    );
    let html = vi["html"].as_str().unwrap();
    assert!(
        html.contains("Tỉnh Thử &lt;nghiệm&gt;"),
        "the name is escaped in HTML"
    );
    assert!(!html.contains("<nghiệm>"));

    let en = got
        .iter()
        .find(|m| m["rcpt_tos"][0] == "snv@snv.example.vn")
        .expect("the administrator's digest");
    let subject = en["subject"].as_str().unwrap();
    assert!(subject.starts_with("SIPAS November 2026: "), "{subject}");
    let text = en["text"].as_str().unwrap();
    let november = api_overall(&app, reader, "2026-11-01", "2026-11-30", false);
    assert!(
        text.contains(&format!("SIPAS: {november}")),
        "{november}\n{text}"
    );
    assert!(text.contains("Open the dashboard"), "{text}");
    assert!(text.contains("The five factors"), "{text}");
    // One-click unsubscribe for mail programs, to this person's signed settings link.
    let token = MailSettingsToken {
        user_id: user_id(&app, "snv.admin"),
    }
    .sign(SECRET.as_bytes());
    let raw = sink.raw().join("\n");
    assert!(
        raw.contains(&format!(
            "List-Unsubscribe: <https://sipas.example.vn/mail-settings/{token}/off>"
        )),
        "{raw}"
    );
    assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(text.contains(&format!("https://sipas.example.vn/mail-settings/{token}")));
}

#[test]
fn a_significant_fall_and_a_target_not_met_each_raise_one_alert_a_month() {
    let app = TestApp::spawn();
    add_user(&app.db, "quan.ly", Role::Manager, Some("T1"));
    mail_to(&app, "quan.ly", "quan.ly@example.vn", "monthly", "vi");
    // The 28 days before the alert window: nearly all very satisfied; the window (9/11–6/12):
    // most dissatisfied.
    rate_days(&app, "2026-10-12", 28, 2, &[5, 5, 4, 3]);
    rate_days(&app, "2026-11-09", 28, 2, &[2, 3, 2, 4]);
    app.db.exec(&format!(
        "INSERT INTO targets (agency_id, value) VALUES ({}, 0.8)",
        app.fixture.agency_id
    ));
    rebuild_aggregates(&app.db);
    let q = pass(&app, monday(), 8);
    assert_eq!(
        q,
        Queued {
            digests: 1,
            alerts: 2
        }
    );
    let subjects = app.db.text(
        "SELECT string_agg(kind || ': ' || subject, ' | ' ORDER BY kind) AS name FROM digests",
    );
    assert!(
        subjects.contains(
            "alert_fall: Cảnh báo SIPAS: chỉ số của Tỉnh Thử <nghiệm> giảm có ý nghĩa thống kê"
        ),
        "{subjects}"
    );
    assert!(
        subjects.contains("alert_target: Cảnh báo SIPAS: Tỉnh Thử <nghiệm> không đạt mục tiêu"),
        "{subjects}"
    );
    let fall = app
        .db
        .text("SELECT body_text AS name FROM digests WHERE kind = 'alert_fall'");
    assert!(fall.contains("SIPAS: giảm"), "{fall}");
    assert!(fall.contains("so với 12/10/2026–08/11/2026"), "{fall}");
    // Later the same month: nothing again.
    assert_eq!(
        pass(&app, NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(), 8).alerts,
        0
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM outbox WHERE kind = 'alert'"),
        2
    );
}

#[test]
fn nothing_falls_nothing_alerts() {
    let app = TestApp::spawn();
    add_user(&app.db, "quan.ly", Role::Manager, Some("T1"));
    mail_to(&app, "quan.ly", "quan.ly@example.vn", "weekly", "en");
    rate_days(&app, "2026-10-12", 56, 2, &[4, 4, 3]);
    rebuild_aggregates(&app.db);
    assert_eq!(
        pass(&app, monday(), 8),
        Queued {
            digests: 1,
            alerts: 0
        }
    );
    let body = app.db.text("SELECT body_text AS name FROM digests");
    assert!(
        body.contains("No change is significant against the previous period"),
        "{body}"
    );
}

#[test]
fn the_settings_link_changes_only_its_account_and_one_click_unsubscribes() {
    // The link shares the sign-in limit of its address; this test sends many at once.
    let app = TestApp::spawn_with(|s| s.rate_login = crate::helpers::generous());
    add_user(&app.db, "quan.ly", Role::Manager, Some("T1"));
    add_user(&app.db, "quan.ly.khac", Role::Manager, Some("T1"));
    mail_to(&app, "quan.ly", "quan.ly@example.vn", "weekly", "vi");
    mail_to(&app, "quan.ly.khac", "khac@example.vn", "weekly", "vi");
    let id = user_id(&app, "quan.ly");
    let token = MailSettingsToken { user_id: id }.sign(SECRET.as_bytes());
    let b = Browser::new(&app);
    let page = b.page(&format!("/mail-settings/{token}"));
    assert!(page.contains("Cài đặt bản tin SIPAS"), "{page}");
    assert!(page.contains("Tài khoản: quan.ly"));
    let choice = |u: &str| {
        app.db.text(&format!(
            "SELECT digest || ' ' || mail_lang AS name FROM users WHERE username = '{u}'"
        ))
    };
    // Hostile input changes nothing and is a 4xx.
    for (digest, lang) in [
        ("hằng tuần\u{202e}", "vi"),
        ("weekly", "vi\u{200b}"),
        ("off ", "en"),
        ("", ""),
    ] {
        let r = b.post(
            &format!("/mail-settings/{token}"),
            &[("digest", digest), ("lang", lang)],
        );
        assert_eq!(r.status(), 400, "{digest:?} {lang:?}");
    }
    assert_eq!(choice("quan.ly"), "weekly vi");
    let r = b.post(
        &format!("/mail-settings/{token}"),
        &[("digest", "monthly"), ("lang", "en")],
    );
    assert_eq!(r.status(), 200);
    let saved = r.text().unwrap();
    assert!(
        saved.contains("Saved.") && saved.contains("SIPAS digest settings"),
        "{saved}"
    );
    assert_eq!(choice("quan.ly"), "monthly en");
    assert_eq!(choice("quan.ly.khac"), "weekly vi");
    // The mail program's one-click POST (RFC 8058).
    let r = app
        .http
        .post(format!("{}/mail-settings/{token}/off", app.base))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(choice("quan.ly"), "off en");
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'user.mail' AND entity_id = 'quan.ly'"
        ),
        2
    );
    // No address reaches the audit log.
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE after::text LIKE '%@%'"),
        0
    );
    rate_days(&app, "2026-11-30", 7, 5, &[5, 4, 3]);
    rebuild_aggregates(&app.db);
    assert_eq!(
        pass(&app, monday(), 8).digests,
        1,
        "only the other manager's"
    );
    // A link of another key, or altered, opens nothing; a GET changes nothing.
    let forged = MailSettingsToken { user_id: id }.sign(b"another key, another service");
    assert_eq!(b.get(&format!("/mail-settings/{forged}")).status(), 404);
    assert_eq!(b.get("/mail-settings/%F0%9F%98%80%E2%80%AE").status(), 404);
    // A mail program that opens the unsubscribe address gets the page with "off" chosen, and
    // nothing changes until it is saved.
    app.db
        .exec("UPDATE users SET digest = 'weekly' WHERE username = 'quan.ly'");
    let opened = b.get(&format!("/mail-settings/{token}/off"));
    assert_eq!(opened.status(), 200);
    let opened = opened.text().unwrap();
    assert!(opened.contains("value=\"off\" checked"), "{opened}");
    assert_eq!(choice("quan.ly"), "weekly en");
    // Many changes at once: each logged with the state the one before left.
    let logged_before = app
        .db
        .count("SELECT coalesce(max(id), 0) AS n FROM audit_log");
    std::thread::scope(|s| {
        for k in 0..16 {
            let (app, token) = (&app, &token);
            s.spawn(move || {
                let digest = ["weekly", "monthly", "off"][k % 3];
                let r = app
                    .http
                    .post(format!("{}/mail-settings/{token}", app.base))
                    .form(&[("digest", digest), ("lang", "vi")])
                    .send()
                    .unwrap();
                assert_eq!(r.status(), 200);
            });
        }
    });
    let broken = app.db.count(&format!(
        "SELECT count(*) AS n FROM (SELECT before, lag(after) OVER (ORDER BY id) AS previous \
         FROM audit_log WHERE action = 'user.mail' AND entity_id = 'quan.ly' AND id > {logged_before}) x \
         WHERE previous IS NOT NULL AND before->>'digest' IS DISTINCT FROM previous->>'digest'"
    ));
    assert_eq!(broken, 0, "an audit row's before is the row before's after");
    assert_eq!(
        app.db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'user.mail' \
             AND actor <> 'quan.ly (liên kết trong thư)'"
        ),
        0,
        "the log says the change came through the link"
    );
    // A disabled account's link opens nothing.
    app.db
        .exec("UPDATE users SET active = false WHERE username = 'quan.ly.khac'");
    let other = MailSettingsToken {
        user_id: user_id(&app, "quan.ly.khac"),
    }
    .sign(SECRET.as_bytes());
    assert_eq!(b.get(&format!("/mail-settings/{other}")).status(), 404);
    // Its digest, queued before, is not sent to a disabled account: failed, with the reason.
    let sink = Sink::start(free_port(), &[]);
    let (code, out, err) = run(worker(&app.db, sink.port).arg("--until-idle"), "");
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(sink.messages().is_empty());
    assert_eq!(
        app.db.text("SELECT status || ': ' || last_error AS name FROM outbox WHERE kind = 'digest'"),
        "failed: the person no longer receives digests (account disabled, no address, or digests off)"
    );
}

#[test]
fn an_administrator_sets_an_accounts_address_and_digest_with_refusals_that_name_the_field() {
    let app = TestApp::spawn();
    add_user(&app.db, "snv.admin", Role::Admin, None);
    add_user(&app.db, "quan.ly", Role::Manager, Some("T1"));
    let b = Browser::signed_in(&app, "snv.admin");
    let page = b.page("/admin/users/quan.ly");
    assert!(page.contains("Bản tin và cảnh báo qua thư"), "{page}");
    let csrf = hidden(&page, "csrf");
    let r = b.post(
        "/admin/users/quan.ly/mail",
        &[
            ("csrf", &csrf),
            ("email", "khong phai dia chi\u{200b}"),
            ("digest", "hằng tuần"),
            ("mail_lang", "vi"),
        ],
    );
    assert_eq!(r.status(), 422);
    let refused = r.text().unwrap();
    assert!(refused.contains("Địa chỉ thư điện tử:"), "{refused}");
    assert!(refused.contains("Bản tin: vui lòng chọn"), "{refused}");
    assert_eq!(
        app.db
            .text("SELECT coalesce(email, '-') || ' ' || digest AS name FROM users WHERE username = 'quan.ly'"),
        "- weekly"
    );
    let r = b.post(
        "/admin/users/quan.ly/mail",
        &[
            ("csrf", &csrf),
            ("email", " Quan.Ly@So-Tu-Phap.example.vn "),
            ("digest", "monthly"),
            ("mail_lang", "en"),
        ],
    );
    assert_eq!(r.status(), 303);
    let stored = app
        .db
        .text("SELECT email || ' ' || digest || ' ' || mail_lang AS name FROM users WHERE username = 'quan.ly'");
    assert!(stored.ends_with(" monthly en"), "{stored}");
    // The log shows that the address changed, not which it is.
    assert_eq!(
        app.db.text(
            "SELECT (after->>'email_changed') AS name FROM audit_log \
             WHERE action = 'user.mail' AND entity_id = 'quan.ly' ORDER BY id DESC LIMIT 1"
        ),
        "true"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM audit_log WHERE after::text LIKE '%@%'"),
        0
    );
    assert!(
        stored
            .to_lowercase()
            .starts_with("quan.ly@so-tu-phap.example.vn"),
        "{stored}"
    );
    let page = b.page("/admin/users/quan.ly");
    assert!(page.contains("value=\"monthly\" selected"), "{page}");
}
