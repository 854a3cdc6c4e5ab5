//! `sipas analyze` reproduces R's survey package (analysis/reference/reference.csv, written by
//! analysis/reference/make-reference.R with survey 4.1.1 on R 4.2.2) to 1e-6 relative.

use std::path::Path;

use serde_json::Value;

use crate::helpers::{sipas, TempDir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn analyze(args: &[&str]) -> std::process::Output {
    sipas().arg("analyze").args(args).output().unwrap()
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-6 * want.abs().max(1e-9);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, R says {want}"
    );
}

#[test]
fn every_reference_case_matches_r_survey() {
    let mut reader =
        csv::Reader::from_path(root().join("analysis/reference/reference.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(
        rows.len() >= 60,
        "the reference file has {} rows",
        rows.len()
    );
    let mut cases: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].to_owned(), r[1].to_owned(), r[2].to_owned()))
        .collect();
    cases.dedup();
    for (case, data, args) in cases {
        let input = root().join("analysis/reference").join(&data);
        let mut argv: Vec<&str> = vec!["--input", input.to_str().unwrap(), "--format", "json"];
        argv.extend(args.split_whitespace());
        let out = analyze(&argv);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let expected: Vec<&csv::StringRecord> = rows.iter().filter(|r| r[0] == *case).collect();
        assert_eq!(got.len(), expected.len(), "{case}: number of groups");
        for (g, r) in got.iter().zip(expected) {
            let what = |k: &str| format!("{case} [{}] {k}", &r[3]);
            assert_eq!(
                g["group"].as_str().unwrap_or(""),
                &r[3],
                "{}",
                what("group")
            );
            for (key, col) in [("estimate", 4), ("se", 5), ("ci_low", 6), ("ci_high", 7)] {
                // R's SE(svyciprop(...)) is NaN when the variable has missing values (its interval
                // comes from svyglm, which drops them): compare what R does report.
                let want: f64 = r[col].parse().unwrap();
                if !want.is_nan() {
                    close(g[key].as_f64().unwrap(), want, &what(key));
                }
            }
            assert_eq!(
                g["df"].as_f64().unwrap(),
                r[8].parse::<f64>().unwrap(),
                "{}",
                what("df")
            );
            if !r[9].is_empty() {
                close(
                    g["deff"].as_f64().unwrap(),
                    r[9].parse().unwrap(),
                    &what("deff"),
                );
            }
        }
    }
}

#[test]
fn a_simple_sample_uses_binomial_intervals() {
    // 81 of 263 satisfied: Newcombe (1998) Table I, Wilson 0.2553–0.3662, exact 0.2527–0.3676.
    let dir = TempDir::new("analyze");
    let file = dir.join("desk.csv");
    let mut csv = String::from("agency,score\n");
    for i in 0..263 {
        csv += &format!("A,{}\n", if i < 81 { 5 } else { 2 });
    }
    csv += "A,\n"; // "no opinion": not counted
    std::fs::write(&file, csv).unwrap();
    let out = analyze(&[
        "--input",
        file.to_str().unwrap(),
        "--measure",
        "score",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["n"], 263);
    assert!(v[0]["group"].is_null() && v[0]["df"].is_null() && v[0]["deff"].is_null());
    assert!((v[0]["ci_low"].as_f64().unwrap() - 0.2553).abs() < 5e-5);
    assert!((v[0]["ci_high"].as_f64().unwrap() - 0.3662).abs() < 5e-5);
    let out = analyze(&[
        "--input",
        file.to_str().unwrap(),
        "--measure",
        "score",
        "--method",
        "clopper-pearson",
        "--format",
        "json",
    ]);
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v[0]["ci_low"].as_f64().unwrap() - 0.2527).abs() < 5e-5);
    assert!((v[0]["ci_high"].as_f64().unwrap() - 0.3676).abs() < 5e-5);
}

#[test]
fn bad_input_names_the_row_and_column_and_exits_2() {
    let dir = TempDir::new("analyze");
    let file = dir.join("bad.csv");
    std::fs::write(&file, "stratum,w,score\nA,1,5\nA,abc,4\nB,1,3\n").unwrap();
    let f = file.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--measure", "score", "--weight", "w"],
            "row 3, column 'w'",
        ),
        (&["--measure", "nope"], "column 'nope'"),
        (&["--measure", "score", "--level", "1.5"], "--level"),
        (
            &["--measure", "score", "--weight", "w", "--method", "wilson"],
            "logit or beta",
        ),
        (&["--mean", "score", "--strata", "stratum"], "only one PSU"),
    ];
    for (args, message) in cases {
        let mut argv = vec!["--input", f];
        argv.extend_from_slice(args);
        let out = analyze(&argv);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}

/// `sipas analyze sae` (issue #18, point 11): Fay–Herriot EBLUPs and MSEs of R's `sae` `milk`
/// data (analysis/reference/make-sae-reference.R, anchored to the package's published fixed
/// effects), with Vietnamese area names that survive the CSV both ways.
#[test]
fn small_area_estimates_of_milk_match_r_and_keep_vietnamese_area_names() {
    let milk: Vec<csv::StringRecord> =
        csv::Reader::from_path(root().join("analysis/reference/milk.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect();
    let want: Vec<csv::StringRecord> =
        csv::Reader::from_path(root().join("analysis/reference/sae-reference.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect();
    let mut seed = 18u64;
    let names: Vec<String> = (0..milk.len())
        .map(|i| {
            let bytes: Vec<u8> = (0..24)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                })
                .collect();
            // Generated Vietnamese text without its control characters, which a name may not
            // hold (refused below).
            let text: String = sipas::fuzzing::vietnamese::text(&bytes)
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            format!("Xã {i}, “{}”", text.trim())
        })
        .collect();
    let file_of = |variance_of_first: Option<&str>| {
        let mut body = String::from("ten_xa,uoc_luong,phuong_sai,vung\n");
        for (k, (r, name)) in milk.iter().zip(&names).enumerate() {
            let se: f64 = r[4].parse().unwrap();
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let variance = match (k, variance_of_first) {
                (0, Some(v)) => v.to_owned(),
                _ => (se * se).to_string(),
            };
            body.push_str(&format!("{quoted},{},{variance},{}\n", &r[3], &r[0]));
        }
        body
    };
    let body = file_of(None);
    let dir = TempDir::new("sae");
    let file = dir.join("milk.csv");
    std::fs::write(&file, &body).unwrap();
    let sae = [
        "sae",
        "--input",
        file.to_str().unwrap(),
        "--estimate",
        "uoc_luong",
        "--variance",
        "phuong_sai",
        "--factors",
        "vung",
    ];
    let out = analyze(&[&sae[..], &["--area", "ten_xa"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), want.len());
    for ((g, w), name) in got.iter().zip(&want).zip(&names) {
        // The area's name as given, through the one cell rule (a formula start a spreadsheet
        // could see gets an apostrophe).
        assert_eq!(
            &g[0],
            sipas::domain::cell::neutralise(name),
            "the area's name"
        );
        let (e, m): (f64, f64) = (g[3].parse().unwrap(), g[4].parse().unwrap());
        assert!(
            (e - w[1].parse::<f64>().unwrap()).abs() < 1e-9,
            "{}: eblup {e}",
            &w[0]
        );
        assert!(
            (m - w[2].parse::<f64>().unwrap()).abs() < 1e-9,
            "{}: mse {m}",
            &w[0]
        );
    }

    // Bad input names the row and the column, exits 2 and prints nothing on stdout.
    std::fs::write(&file, file_of(Some("không rõ"))).unwrap();
    let out = analyze(&sae);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column 'phuong_sai'") && err.contains("không rõ"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // An area's name with a control character is refused, named, not printed back.
    std::fs::write(
        &file,
        "ten_xa,uoc_luong,phuong_sai,vung\n\"Quầy số 1+2 (tầng 3)\u{0}\",0.5,0.01,1\nB,0.6,0.02,1\nC,0.7,0.01,2\nD,0.8,0.03,2\n",
    )
    .unwrap();
    let out = analyze(&[&sae[..], &["--area", "ten_xa"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column 'ten_xa'") && err.contains("U+0000"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
