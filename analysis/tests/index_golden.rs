//! Composite indices against R: analysis/reference/index-reference.csv was written by
//! analysis/reference/make-index-reference.R (survey 4.1.1, R 4.2.2): svyratio per item with
//! covmat = TRUE, then svycontrast for the factor and overall indices.

use analysis::{IndexAccumulator, IndexSpec, IntervalKind, LonelyPsu, ReportOptions, Respondent};

fn reference() -> Vec<(String, f64, f64, f64)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/index-reference.csv");
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_owned(),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

fn accumulate() -> IndexAccumulator {
    let spec = IndexSpec {
        items: 6,
        factors: vec![vec![0, 1], vec![2, 3, 4], vec![5]],
        threshold: 4,
    };
    let mut acc = IndexAccumulator::new(spec, false).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/index-data.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        // stratum,y1..y6,pop,w
        let answers: Vec<Option<u8>> = (1..=6).map(|i| r[i].parse().ok()).collect();
        acc.add(&Respondent {
            stratum: r[0].parse().unwrap(),
            psu: None,
            weight: r[8].parse().unwrap(),
            pop_size: Some(r[7].parse().unwrap()),
            answers: &answers,
        })
        .unwrap();
    }
    acc
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs(),
        "{what}: got {got}, R says {want}"
    );
}

#[test]
fn item_factor_and_overall_indices_match_svycontrast() {
    let report = accumulate()
        .report(
            None,
            &ReportOptions {
                lonely: LonelyPsu::Fail,
                interval: IntervalKind::Design(analysis::DesignMethod::Logit),
                ..Default::default()
            },
        )
        .unwrap();
    for (name, estimate, se, df) in reference() {
        let got = match name.as_str() {
            "item1" => report.items[0].index.unwrap(),
            "factor1" => report.factors[0].unwrap(),
            "factor2" => report.factors[1].unwrap(),
            "factor3" => report.factors[2].unwrap(),
            "overall" => report.overall.unwrap(),
            other => panic!("unexpected reference row {other}"),
        };
        close(got.estimate, estimate, &format!("{name} estimate"));
        close(got.se, se, &format!("{name} se"));
        assert_eq!(got.df, df, "{name} df");
        assert!(got.ci_low < got.estimate && got.estimate < got.ci_high);
    }
}

#[test]
fn merging_accumulators_that_split_strata_equals_one_pass() {
    let whole = accumulate()
        .report(None, &ReportOptions::default())
        .unwrap();
    // Deal the rows round-robin into three accumulators: every stratum is split three ways.
    let spec = IndexSpec {
        items: 6,
        factors: vec![vec![0, 1], vec![2, 3, 4], vec![5]],
        threshold: 4,
    };
    let mut parts: Vec<IndexAccumulator> = (0..3)
        .map(|_| IndexAccumulator::new(spec.clone(), false).unwrap())
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/index-data.csv");
    for (i, r) in csv::Reader::from_path(path).unwrap().records().enumerate() {
        let r = r.unwrap();
        let answers: Vec<Option<u8>> = (1..=6).map(|i| r[i].parse().ok()).collect();
        parts[i % 3]
            .add(&Respondent {
                stratum: r[0].parse().unwrap(),
                psu: None,
                weight: r[8].parse().unwrap(),
                pop_size: Some(r[7].parse().unwrap()),
                answers: &answers,
            })
            .unwrap();
    }
    let mut merged = parts.remove(0);
    for p in parts {
        merged.merge(p).unwrap();
    }
    let m = merged.report(None, &ReportOptions::default()).unwrap();
    let pairs = [
        (m.overall, whole.overall, "overall"),
        (m.comprehensive, whole.comprehensive, "comprehensive"),
        (m.factors[1], whole.factors[1], "factor2"),
        (
            m.factors_respondent_level[1],
            whole.factors_respondent_level[1],
            "factor2 respondent-level",
        ),
    ];
    for (a, b, what) in pairs {
        let (a, b) = (a.unwrap(), b.unwrap());
        close(a.estimate, b.estimate, what);
        close(a.se, b.se, &format!("{what} se"));
        assert_eq!((a.n, a.df), (b.n, b.df), "{what}");
    }
    for (a, b) in m.items.iter().zip(&whole.items) {
        assert_eq!(a.valid_n, b.valid_n);
        close(a.index.unwrap().se, b.index.unwrap().se, "item se");
        for (x, y) in a.distribution.iter().zip(&b.distribution) {
            close(*x, *y, "distribution");
        }
    }
}

#[test]
fn per_agency_reports_and_suppression() {
    let acc = accumulate();
    assert_eq!(acc.strata(), vec![1, 2, 3, 4, 5]);
    let opts = ReportOptions {
        min_n: 100,
        ..Default::default()
    };
    let mut suppressed = 0;
    for h in acc.strata() {
        let r = acc.report(Some(h), &opts).unwrap();
        let o = r.overall.unwrap();
        assert!(o.ci_low <= o.estimate && o.estimate <= o.ci_high);
        assert_eq!(
            o.df,
            o.n as f64 - 1.0,
            "one stratum: n − 1 degrees of freedom"
        );
        suppressed += usize::from(o.suppressed);
        // Item 5's missing rate, distribution and mean score, recomputed from the file.
        let (missing, total, levels) = direct_item_summary(h, 5);
        let item = &r.items[4];
        close(
            item.missing_rate,
            missing as f64 / total as f64,
            "missing rate",
        );
        let weight: f64 = levels.iter().sum();
        for (got, w) in item.distribution.iter().zip(levels) {
            close(*got, w / weight, "distribution");
        }
        let mean = levels
            .iter()
            .enumerate()
            .map(|(l, w)| (l + 1) as f64 * w)
            .sum::<f64>()
            / weight;
        close(item.mean_score.unwrap(), mean, "mean score");
    }
    assert!(
        suppressed >= 1,
        "the smallest agency (about 60 respondents) is below 100"
    );
}

/// Straight from index-data.csv: for stratum `h` and item `k` (1-based), the count missing, the
/// count of rows, and the weight at each level 1..=5.
fn direct_item_summary(h: u32, k: usize) -> (u64, u64, [f64; 5]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/index-data.csv");
    let (mut missing, mut total, mut levels) = (0u64, 0u64, [0.0; 5]);
    for r in csv::Reader::from_path(path).unwrap().records() {
        let r = r.unwrap();
        if r[0].parse::<u32>().unwrap() != h {
            continue;
        }
        total += 1;
        match r[k].parse::<usize>() {
            Ok(v) => levels[v - 1] += r[8].parse::<f64>().unwrap(),
            Err(_) => missing += 1,
        }
    }
    (missing, total, levels)
}
