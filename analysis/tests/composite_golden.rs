//! Every composite index, its SE and its interval, against R under a stratified and a two-stage
//! clustered design: analysis/reference/composite-reference.csv was written by
//! analysis/reference/make-composite-reference.R (survey 4.1.1, R 4.2.2): svyratio + svycontrast
//! for item, factor and overall indices, svyratio for the respondent-level factor indices and
//! the comprehensive index, logit intervals with t on degf(design) as svyciprop makes them.

use analysis::{
    DesignMethod, IndexAccumulator, IndexEstimate, IndexReport, IndexSpec, IntervalKind, LonelyPsu,
    ReportOptions, Respondent,
};

struct Row {
    design: String,
    name: String,
    values: [f64; 4],
    df: f64,
}

fn reference() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/reference/composite-reference.csv"
    );
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                design: r[0].to_owned(),
                name: r[1].to_owned(),
                values: [2, 3, 4, 5].map(|i| r[i].parse().unwrap()),
                df: r[6].parse().unwrap(),
            }
        })
        .collect()
}

fn spec() -> IndexSpec {
    IndexSpec {
        items: 6,
        factors: vec![vec![0, 1], vec![2, 3, 4], vec![5]],
        threshold: 4,
    }
}

/// The stratified file (stratum,y1..y6,pop,w) or the clustered one (stratum,psu,y1..y6,npsu,w).
fn report(design: &str) -> IndexReport {
    report_in_parts(design, 1)
}

/// The same, with the rows dealt round-robin into `parts` accumulators that are then merged:
/// every stratum, and with clusters every PSU, is split between them.
fn report_in_parts(design: &str, parts: usize) -> IndexReport {
    let clustered = design == "clustered";
    let file = if clustered {
        "index-clustered.csv"
    } else {
        "index-data.csv"
    };
    let path = format!("{}/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut accs: Vec<IndexAccumulator> = (0..parts)
        .map(|_| IndexAccumulator::new(spec(), clustered).unwrap())
        .collect();
    for (i, r) in csv::Reader::from_path(path).unwrap().records().enumerate() {
        let acc = &mut accs[i % parts];
        let r = r.unwrap();
        let first = if clustered { 2 } else { 1 };
        let answers: Vec<Option<u8>> = (first..first + 6).map(|i| r[i].parse().ok()).collect();
        acc.add(&Respondent {
            stratum: r[0].parse().unwrap(),
            psu: clustered.then(|| r[1].parse().unwrap()),
            weight: r[first + 7].parse().unwrap(),
            pop_size: Some(r[first + 6].parse().unwrap()),
            answers: &answers,
        })
        .unwrap();
    }
    let mut acc = accs.remove(0);
    for other in accs {
        acc.merge(other).unwrap();
    }
    acc.report(
        None,
        &ReportOptions {
            lonely: LonelyPsu::Fail,
            interval: IntervalKind::Design(DesignMethod::Logit),
            ..Default::default()
        },
    )
    .unwrap()
}

fn pick(r: &IndexReport, name: &str) -> IndexEstimate {
    match name {
        "item1" => r.items[0].index,
        "factor1" => r.factors[0],
        "factor2" => r.factors[1],
        "factor3" => r.factors[2],
        "overall" => r.overall,
        "factor1_respondent" => r.factors_respondent_level[0],
        "factor2_respondent" => r.factors_respondent_level[1],
        "factor3_respondent" => r.factors_respondent_level[2],
        "comprehensive" => r.comprehensive,
        other => panic!("unexpected reference row {other}"),
    }
    .unwrap()
}

#[test]
fn composite_indices_their_se_and_interval_match_r_under_both_designs_whole_or_merged() {
    let rows = reference();
    assert_eq!(rows.len(), 18, "9 estimates × 2 designs");
    for (design, parts) in [
        ("stratified", 1),
        ("clustered", 1),
        ("stratified", 3),
        ("clustered", 4),
    ] {
        let report = report_in_parts(design, parts);
        for row in rows.iter().filter(|r| r.design == design) {
            let got = pick(&report, &row.name);
            let got_values = [got.estimate, got.se, got.ci_low, got.ci_high];
            for (k, (g, want)) in ["estimate", "se", "ci_low", "ci_high"]
                .iter()
                .zip(got_values.iter().zip(row.values))
            {
                assert!(
                    (g - want).abs() <= 1e-6 * want.abs(),
                    "{design} in {parts} parts, {} {k}: got {g}, R says {want}",
                    row.name
                );
            }
            assert_eq!(got.df, row.df, "{design} {} df", row.name);
        }
    }
}

#[test]
fn clustering_changes_the_se_but_not_the_estimate() {
    // Both files hold the same respondents: a design changes uncertainty, never the point.
    let (s, c) = (report("stratified"), report("clustered"));
    let (a, b) = (s.overall.unwrap(), c.overall.unwrap());
    assert!((a.estimate - b.estimate).abs() < 1e-12);
    assert!((a.se - b.se).abs() > 1e-4, "{} vs {}", a.se, b.se);
    assert!(
        c.overall.unwrap().df < s.overall.unwrap().df,
        "df = PSUs − strata"
    );
}
