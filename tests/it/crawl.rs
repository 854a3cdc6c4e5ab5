//! Every page of every role, found by following the links (not a hand-picked list), in
//! Chromium at 360 and 1280 px (issue #20, points 1 and 9): each answers 200, fits the screen
//! with nothing scrolling sideways, and axe-core finds no violation. Runs on a small demo
//! province. axe-core comes from npm (`scripts/test` installs it under `target/a11y`).

use std::collections::{BTreeSet, VecDeque};

use crate::fieldwork::sipas_ok;
use crate::helpers::{add_user, TestApp};
use crate::webdriver::Chromium;
use sipas::domain::Role;

/// Where `scripts/test` puts axe-core.
fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: scripts/test installs axe-core from npm",
            path.display()
        )
    })
}

/// A page's address without what makes it one of many alike: the path with numbers as `N`,
/// and the query's keys. The crawl opens two pages of each shape.
fn shape(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path: String = path
        .split('/')
        .map(|s| {
            if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
                "N"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{path}?{}", keys.join("&"))
}

/// Links not to follow: downloads, images, leaving, switching language (a cookie), and pages
/// meant for printing.
fn skipped(path: &str) -> bool {
    let p = path.split('?').next().unwrap_or(path);
    [".csv", ".xlsx", ".png", ".svg", ".json", ".txt", ".ico"]
        .iter()
        .any(|e| p.ends_with(e))
        || p.starts_with("/admin/lang/")
        || p.starts_with("/admin/logout")
        || p.ends_with("/poster")
        || p.ends_with("/letters.html")
        || p.starts_with("/api/")
        || p.starts_with("/health")
}

/// What is wrong with the page open in `browser`, if anything.
fn problems_of(browser: &Chromium, axe: &str, width: u32, url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let status = browser.script(
        "const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0;",
    );
    if status != 200 {
        out.push(format!("{url} at {width} px: status {status}"));
    }
    let over = browser.overflow_x();
    if over != 0 {
        out.push(format!(
            "{url} at {width} px: {over} px wider than the screen"
        ));
    }
    let scrolling = browser.boxes_scrolling_x();
    if !scrolling.is_empty() {
        out.push(format!(
            "{url} at {width} px: scrolls sideways inside: {scrolling}"
        ));
    }
    if width == 360 {
        let found = browser.script_async(&format!(
            "const done = arguments[arguments.length - 1]; {axe}; \
             axe.run(document, {{resultTypes: ['violations']}}).then(r => done(r.violations.map(v => \
             v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));"
        ));
        for v in found.as_array().unwrap() {
            out.push(format!("{url}: axe {}", v.as_str().unwrap()));
        }
    }
    out
}

/// Opens every page reachable from `start` by links (two of each shape, at most `cap`) and
/// gives back what is wrong, and the pages seen. With `SIPAS_SCREENSHOTS` set, each page is
/// kept there as `<who><path>-<width>.png`.
fn crawl(
    browser: &Chromium,
    who: &str,
    base: &str,
    start: &[String],
    axe: &str,
    width: u32,
    cap: usize,
) -> (Vec<String>, usize) {
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut seen: BTreeSet<String> = start.iter().cloned().collect();
    let mut shapes: std::collections::HashMap<String, usize> = Default::default();
    let mut problems = Vec::new();
    let mut opened = 0;
    while let Some(path) = queue.pop_front() {
        let n = shapes.entry(shape(&path)).or_default();
        if *n >= 2 || opened >= cap {
            continue;
        }
        *n += 1;
        opened += 1;
        browser.open(&format!("{base}{path}"));
        problems.extend(problems_of(browser, axe, width, &path));
        if std::env::var_os("SIPAS_SCREENSHOTS").is_some() {
            let name: String = format!("{who}{path}")
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(90)
                .collect();
            crate::browser::keep(&browser.full_screenshot(), &format!("{name}-{width}"));
        }
        let links = browser.script(&format!(
            "return [...document.querySelectorAll('a[href]')].filter(a => !a.hasAttribute('download')) \
             .map(a => new URL(a.getAttribute('href'), location.href)) \
             .filter(u => u.origin === '{base}').map(u => u.pathname + u.search);"
        ));
        for l in links.as_array().unwrap() {
            let l = l.as_str().unwrap().to_owned();
            if !skipped(&l) && seen.insert(l.clone()) {
                queue.push_back(l);
            }
        }
    }
    (problems, opened)
}

#[test]
fn every_page_of_every_role_fits_360_and_1280_px_and_axe_finds_nothing() {
    let app = TestApp::spawn();
    sipas_ok(&app.db, &["demo", "--responses", "3000", "--seed", "3"]);
    let department = app.db.text(
        "SELECT a.code AS name FROM agencies a JOIN agencies p ON p.id = a.parent_id \
         WHERE p.code = 'DEMO' AND a.name LIKE 'Sở%' ORDER BY a.code LIMIT 1",
    );
    add_user(&app.db, "crawl.admin", Role::Admin, None);
    add_user(
        &app.db,
        "crawl.manager",
        Role::Manager,
        Some(department.as_str()),
    );
    add_user(
        &app.db,
        "crawl.viewer",
        Role::Viewer,
        Some(department.as_str()),
    );
    // The settings link every digest ends with (a manager's, opened without signing in).
    let manager_id = app
        .db
        .count("SELECT id::int8 AS n FROM users WHERE username = 'crawl.manager'");
    let mail_settings = sipas::domain::mail_settings_token::MailSettingsToken {
        user_id: manager_id as i32,
    }
    .sign(crate::helpers::SECRET.as_bytes());
    let axe = axe_source();
    let mut problems = Vec::new();
    let mut pages = 0;
    for width in [360, 1280] {
        // The public: the desk form, the published results and the method.
        let citizen = Chromium::start(width, 900);
        let start = vec![
            format!("/q/{}", app.token()),
            "/public".to_owned(),
            "/phuong-phap".to_owned(),
            format!("/mail-settings/{mail_settings}"),
        ];
        let (found, opened) = crawl(&citizen, "public", &app.base, &start, &axe, width, 20);
        problems.extend(found);
        pages += opened;
        for user in ["crawl.admin", "crawl.manager", "crawl.viewer"] {
            let browser = crate::browser::signed_in(&app, user, width, 900);
            let start = vec!["/admin/dashboard".to_owned()];
            let (found, opened) = crawl(&browser, user, &app.base, &start, &axe, width, 80);
            assert!(opened >= 5, "{user} reached only {opened} pages");
            problems.extend(found);
            pages += opened;
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems on {pages} pages:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
