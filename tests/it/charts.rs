//! Charts people can read (issue #20, point 3), measured in Chromium on a demo province at a
//! phone's width and a laptop's: no chart text under 11 px on screen, no two labels on top of
//! each other, every mark inside its plot, the funnel's axis past its largest n, a value shown
//! when a mark is tapped, the units named in the small multiples and the reader's unit marked.

use crate::fieldwork::sipas_ok;
use crate::helpers::{add_user, TestApp};
use sipas::domain::Role;

#[test]
fn the_charts_stay_readable_at_360_and_1280_px_for_home_affairs_and_an_agency() {
    let app = TestApp::spawn();
    sipas_ok(&app.db, &["demo", "--responses", "24000", "--seed", "11"]);
    let demo = app
        .db
        .count("SELECT id::bigint AS n FROM agencies WHERE code = 'DEMO'");
    let (commune, commune_name): (String, String) = {
        let id = app.db.count(
            "SELECT min(a.id)::bigint AS n FROM agencies a JOIN agencies p ON p.id = a.parent_id \
             WHERE p.code = 'DEMO' AND a.name LIKE 'UBND Xã%'",
        );
        let name = app
            .db
            .text(&format!("SELECT name FROM agencies WHERE id = {id}"));
        let code = app.db.text(&format!(
            "SELECT code AS name FROM agencies WHERE id = {id}"
        ));
        (code, name)
    };
    add_user(&app.db, "snv.charts", Role::Admin, None);
    add_user(&app.db, "xa.charts", Role::Manager, Some(commune.as_str()));
    for width in [360, 1280] {
        let browser = crate::browser::signed_in(&app, "snv.charts", width, 900);
        for page in [
            format!("/admin/dashboard?agency={demo}&period=year"),
            "/admin/ranking?period=year&level=commune".to_owned(),
        ] {
            browser.open(&format!("{}{page}", app.base));
            let (charts, problems) = browser.chart_problems();
            assert!(charts >= 2, "{page} at {width} px shows {charts} charts");
            assert!(
                problems.is_empty(),
                "{page} at {width} px:\n{}",
                problems.join("\n")
            );
            assert_eq!(browser.overflow_x(), 0, "{page} at {width} px");
        }
        // The funnel's axis runs past its largest n: the last tick is right of every mark.
        let past = browser.script(
            "const svg = [...document.querySelectorAll('figure svg')].find(s => s.getBoundingClientRect().width > 0 && s.querySelector('.dot-not_different, .dot-above, .dot-below')); \
             const ticks = [...svg.querySelectorAll('line')].filter(l => l.getAttribute('x1') === l.getAttribute('x2')).map(l => l.getBoundingClientRect().left); \
             const marks = [...svg.querySelectorAll('.pt circle')].map(c => c.getBoundingClientRect()).map(r => (r.left + r.right) / 2); \
             return Math.max(...ticks) >= Math.max(...marks);",
        );
        assert_eq!(past, true, "funnel axis at {width} px");
        // A tap on a mark prints its value.
        let shown = browser.script(
            "const pt = [...document.querySelectorAll('figure svg')].filter(s => s.getBoundingClientRect().width > 0)[0].querySelector('.pt'); \
             pt.setAttribute('id', 'tapped'); return getComputedStyle(pt.querySelector('.val')).display;",
        );
        assert_eq!(shown, "none", "hidden before the tap");
        browser.click("#tapped");
        let shown = browser.script(
            "const v = document.querySelector('#tapped .val'); return [getComputedStyle(v).display, v.textContent];",
        );
        assert_ne!(shown[0], "none", "shown after the tap at {width} px");
        assert!(shown[1].as_str().unwrap().ends_with('%'), "{shown}");
        crate::browser::keep(&browser.screenshot(), &format!("ranking-charts-{width}"));

        // A commune's manager: the ranking names every commune in the small multiples and
        // marks theirs, in the funnel too.
        let browser = crate::browser::signed_in(&app, "xa.charts", width, 900);
        browser.open(&format!("{}/admin/ranking?period=year", app.base));
        let (_, problems) = browser.chart_problems();
        assert!(
            problems.is_empty(),
            "manager's ranking at {width} px:\n{}",
            problems.join("\n")
        );
        let marked = browser.script(
            "return [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length > 0 && t.getAttribute('font-weight') === 'bold').map(t => t.textContent);",
        );
        let short = commune_name.trim_start_matches("UBND ");
        let marked: Vec<&str> = marked
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            marked.len() >= 6
                && marked.iter().all(|t| {
                    let t = t.trim_end_matches('…');
                    short.starts_with(t) || commune_name.starts_with(t)
                }),
            "the funnel and the five panels mark {short}: {marked:?}"
        );
        let names = browser.script(
            "return [...document.querySelectorAll('.multiples svg')][0].querySelectorAll('text').length;",
        );
        assert!(names.as_u64().unwrap() >= 10, "every row named: {names}");
        crate::browser::keep(&browser.screenshot(), &format!("ranking-manager-{width}"));
    }
}

/// An agency head's standing at a glance (issue #20, point 2): the dashboard says where the
/// agency stands among its level's units, with the rank interval, the tier and the level's
/// reference, and it is the ranking page's own figure for that unit, in either language.
#[test]
fn the_dashboard_shows_the_agency_among_its_peers_as_the_ranking_does() {
    use crate::helpers::Browser;
    let app = TestApp::spawn();
    sipas_ok(&app.db, &["demo", "--responses", "8000", "--seed", "5"]);
    let code = app.db.text(
        "SELECT a.code AS name FROM agencies a JOIN agencies p ON p.id = a.parent_id \
         WHERE p.code = 'DEMO' AND a.name LIKE 'UBND Phường%' ORDER BY a.code LIMIT 1",
    );
    add_user(&app.db, "phuong.head", Role::Manager, Some(code.as_str()));
    let head = Browser::signed_in(&app, "phuong.head");
    let ranking = head.page("/admin/ranking?period=year");
    let own_row = ranking
        .split("<tr class=\"tier-")
        .find(|r| r.contains(" own\""))
        .expect("the ranking marks the unit");
    let cell = |row: &str, k: usize| {
        let td = row.split("<td").nth(k).unwrap();
        td[td.find('>').unwrap() + 1..]
            .split("</td>")
            .next()
            .unwrap()
            .to_owned()
    };
    let (rank, interval) = (cell(own_row, 1), cell(own_row, 2));
    let ranked = ranking.matches("<tr class=\"tier-").count();
    let cells = own_row
        .split("</tr>")
        .next()
        .unwrap()
        .matches("<td")
        .count();
    let tier = cell(own_row, cells);

    let dashboard = head.page("/admin/dashboard?period=year");
    let standing = dashboard
        .split("id=\"standing\"")
        .nth(1)
        .expect("the standing panel")
        .split("</section>")
        .next()
        .unwrap();
    assert!(
        standing.contains(&format!("Xếp thứ <strong>{rank}</strong> trên {ranked}")),
        "rank {rank} of {ranked}: {standing}"
    );
    assert!(
        standing.contains(&format!(": {interval})")),
        "{interval}: {standing}"
    );
    assert!(
        standing.contains(&format!("{tier}</strong>")),
        "{tier}: {standing}"
    );
    assert!(standing.contains("Chỉ số chung toàn tỉnh"), "{standing}");
    assert!(standing.contains("biểu đồ phễu"), "{standing}");
    let href = standing
        .split("<a href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let linked = head.page(&href.replace("&amp;", "&").replace("&#x2F;", "/"));
    assert!(
        linked.contains(own_row.split("</tr>").next().unwrap()),
        "the link opens the same table"
    );

    // In English, the same figure.
    head.get("/admin/lang/en?back=%2Fadmin%2Fdashboard");
    let english = head.page("/admin/dashboard?period=year");
    assert!(
        english.contains(&format!("Rank <strong>{rank}</strong> of {ranked}")),
        "{english}"
    );

    // A desk chosen: a desk has no rank, and the panel is not shown.
    let desk = app.db.count(&format!(
        "SELECT min(d.id)::bigint AS n FROM desks d JOIN agencies a ON a.id = d.agency_id WHERE a.code = '{code}'"
    ));
    let one_desk = head.page(&format!("/admin/dashboard?period=year&desk={desk}"));
    assert!(!one_desk.contains("id=\"standing\""));
}
