//! Downloads that open well in Excel (issue #20, point 5): the XLSX's header in words in the
//! reader's language, shares as percent cells, days as dates, an "about" sheet with the
//! selection and the method; the CSV keeps its machine names; every download writes shares in
//! percent, and every column it names has words.

use std::io::Read;

use crate::helpers::{add_user, store_rating_on, Browser, TestApp};
use sipas::domain::Role;
use sipas::views::sheet_labels::column;
use sipas::views::Lang;

/// `n` ratings of the fixture's desk on 15 October 2026, the k-th answering `level(k)` to each
/// of `questions`, and the aggregates rebuilt.
fn rated(app: &TestApp, n: usize, questions: &[&str], level: impl Fn(usize) -> i16) {
    for k in 0..n {
        let answers: Vec<(&str, Option<i16>)> =
            questions.iter().map(|q| (*q, Some(level(k)))).collect();
        store_rating_on(&app.db, app.fixture.desk_id, "2026-10-15", &answers);
    }
    crate::helpers::rebuild_aggregates(&app.db);
}

/// A part of an XLSX (a zip of XML files).
fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the workbook"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The value of cell `at` ("C2") of a worksheet's XML: a number as written, or the index of a
/// shared string.
fn cell(sheet: &str, at: &str) -> String {
    let start = sheet
        .find(&format!("<c r=\"{at}\""))
        .unwrap_or_else(|| panic!("{at} in {sheet}"));
    let rest = &sheet[start..];
    let end = rest.find("</c>").unwrap();
    let v = &rest[..end];
    v[v.find("<v>").unwrap() + 3..v.find("</v>").unwrap()].to_owned()
}

/// The shared strings of a workbook, in order.
fn strings(xlsx: &[u8]) -> Vec<String> {
    part(xlsx, "xl/sharedStrings.xml")
        .split("<si>")
        .skip(1)
        .map(|si| {
            si.split("<t")
                .skip(1)
                .map(|t| {
                    let t = &t[t.find('>').unwrap() + 1..];
                    t[..t.find("</t>").unwrap()].to_owned()
                })
                .collect::<String>()
        })
        .collect()
}

fn csv_header(text: &str) -> Vec<String> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"').to_owned())
        .collect()
}

#[test]
fn the_workbook_reads_like_a_report_in_either_language_and_the_csv_stays_machine_friendly() {
    let app = TestApp::spawn();
    rated(&app, 40, &["F1", "F2", "F3", "F4", "F5", "OVERALL"], |k| {
        2 + (k % 4) as i16
    });
    add_user(&app.db, "t1.head", Role::Manager, Some("T1"));
    let head = Browser::signed_in(&app, "t1.head");
    let range = "from=2026-10-01&to=2026-10-31";

    let csv = head.page(&format!("/admin/dashboard.csv?{range}"));
    let header = csv_header(&csv);
    assert_eq!(header[..3], ["code", "name", "index_percent"]);
    let first: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let index_percent: f64 = first[2].parse().unwrap();
    assert!(first[15] == "2026-10-01", "ISO dates in the CSV: {first:?}");

    let xlsx = head
        .get(&format!("/admin/dashboard.xlsx?{range}"))
        .bytes()
        .unwrap();
    let words = strings(&xlsx);
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    // The header in Vietnamese words.
    let a1: usize = cell(&sheet, "C1").parse().unwrap();
    assert_eq!(words[a1], "Chỉ số (%)");
    // The index: the proportion in the cell, shown as a percent with two decimals.
    let c2: f64 = cell(&sheet, "C2").parse().unwrap();
    assert!(
        (100.0 * c2 - index_percent).abs() < 0.005,
        "{c2} vs {index_percent}%"
    );
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(styles.contains(r#"formatCode="0.00%""#), "{styles}");
    assert!(styles.contains(r#"formatCode="dd/mm/yyyy""#), "{styles}");
    // The period's first day as a date: Excel's day number (days since 30/12/1899).
    let serial = (chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap())
    .num_days();
    assert_eq!(cell(&sheet, "P2"), serial.to_string());
    // The about sheet: the selection and the method.
    let book = part(&xlsx, "xl/workbook.xml");
    assert!(book.contains("name=\"Giới thiệu\""), "{book}");
    let about = words.join("\n");
    assert!(about.contains("T1 – "), "the agency chosen: {about}");
    assert!(
        about.contains("Phương pháp") && about.contains("Khoảng tin cậy 95%"),
        "{about}"
    );
    assert!(about.contains("Chỉ số (%) = index_percent"), "{about}");
    // Codes in words: the status and the channel chosen ("all").
    assert!(words.iter().any(|w| w == "Công bố"), "{about}");
    assert!(words.iter().any(|w| w == "Tất cả"), "{about}");
    assert!(
        !words.iter().any(|w| w == "reported" || w == "all"),
        "{about}"
    );
    assert!(csv.contains("\"reported\""), "the CSV keeps the codes");
    // The rows' names in the reader's language too.
    let b2: usize = cell(&sheet, "B2").parse().unwrap();
    assert_eq!(words[b2], "Chỉ số SIPAS chung");
    assert!(words.iter().any(|w| w == "Tiếp cận dịch vụ"), "{about}");

    // In English after the switch; the CSV is the same.
    head.get("/admin/lang/en?back=%2Fadmin%2Fdashboard");
    let xlsx = head
        .get(&format!("/admin/dashboard.xlsx?{range}"))
        .bytes()
        .unwrap();
    let words = strings(&xlsx);
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    let a1: usize = cell(&sheet, "C1").parse().unwrap();
    assert_eq!(words[a1], "Index (%)");
    assert!(part(&xlsx, "xl/workbook.xml").contains("name=\"About\""));
    assert!(
        words.iter().any(|w| w.starts_with("Desk QR stream")),
        "the method in English"
    );
    let b2: usize = cell(&sheet, "B2").parse().unwrap();
    assert_eq!(words[b2], "Overall SIPAS index");
    assert!(
        words.iter().any(|w| w == "Access to the service"),
        "the factors' names in English: {words:?}"
    );
    assert!(
        !words.iter().any(|w| w == "Tiếp cận dịch vụ"),
        "no Vietnamese name left: {words:?}"
    );
    assert_eq!(head.page(&format!("/admin/dashboard.csv?{range}")), csv);
}

#[test]
fn every_download_writes_shares_in_percent_and_names_each_column_in_words() {
    let app = TestApp::spawn();
    rated(&app, 40, &["F1", "OVERALL"], |k| 1 + (k % 5) as i16);
    let wave = crate::wave_results::answered_wave_on(&app);
    add_user(&app.db, "snv.books", Role::Admin, None);
    let admin = Browser::signed_in(&app, "snv.books");
    let range = "from=2026-10-01&to=2026-10-31";
    // A question's code ("F1.1", "OVERALL", "EXPECT.2") is its column's name.
    let is_code = |h: &str| {
        h.starts_with(|c: char| c.is_ascii_uppercase())
            && h.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '_')
    };
    for path in [
        format!("/admin/dashboard.csv?{range}"),
        format!("/admin/dashboard/dossiers.csv?{range}"),
        format!("/admin/ranking.csv?{range}"),
        "/admin/par.csv?year=2026".to_owned(),
        format!("/admin/microdata.csv?{range}"),
        format!("/admin/waves/{wave}/sample.csv"),
        format!("/admin/waves/{wave}/results.csv"),
    ] {
        let r = admin.get(&path);
        assert_eq!(r.status(), 200, "{path}");
        let header = csv_header(&r.text().unwrap());
        for h in &header {
            assert!(
                column(h, Lang::Vi).is_some() || is_code(h),
                "{path}: column {h} has no words"
            );
            // One convention: a share is a `…_percent` column, never a bare proportion.
            assert!(
                !["estimate", "ci_low", "ci_high", "se", "response_rate"].contains(&h.as_str()),
                "{path}: {h} is a proportion"
            );
        }
    }
}

/// Below the minimum n nothing gives the index away: not the mean, not the levels' shares
/// (levels 4 and 5 add up to the index), on the page or in the download.
#[test]
fn a_suppressed_index_keeps_its_mean_and_levels_hidden_too() {
    let app = TestApp::spawn();
    rated(&app, 10, &["F1"], |k| 1 + (k % 5) as i16);
    add_user(&app.db, "t1.small", Role::Manager, Some("T1"));
    let head = Browser::signed_in(&app, "t1.small");
    let range = "from=2026-10-01&to=2026-10-31";
    let csv = head.page(&format!("/admin/dashboard.csv?{range}"));
    let f1 = csv
        .lines()
        .find(|l| l.starts_with("\"F1\""))
        .expect("the F1 row");
    let cells: Vec<&str> = f1.split(',').collect();
    assert_eq!(cells[5], "10", "n is shown: {f1}");
    assert_eq!(cells[6], "\"suppressed\"", "{f1}");
    assert!(
        cells[8..14].iter().all(|c| c.is_empty()),
        "no mean, no levels: {f1}"
    );
    let page = head.page(&format!("/admin/dashboard?{range}"));
    assert!(!page.contains("class=\"bar\""), "no distribution bar");
}
