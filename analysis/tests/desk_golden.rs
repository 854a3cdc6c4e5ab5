//! The desk stream's design (issue #18, point 1): ratings clustered by desk within agency
//! strata. Every interval equals R's `survey` on the same ratings
//! (`reference/make-desk-reference.R`: svydesign(ids = ~desk, strata = ~agency), lonely PSUs
//! adjusted; the file's header says where our documented rules stand in for R's missing
//! interval), whether the accumulator reads the raw ratings or per-desk-and-day cells.

use analysis::{
    DesignMethod, IndexAccumulator, IndexReport, IndexSpec, IntervalKind, LonelyPsu, ReportOptions,
    Respondent,
};

struct Rating {
    agency: u32,
    desk: u64,
    day: u32,
    answers: Vec<Option<u8>>,
}

fn ratings() -> Vec<Rating> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/desk-stream.csv");
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            Rating {
                agency: r[0].parse().unwrap(),
                desk: r[1].parse().unwrap(),
                day: r[2].parse().unwrap(),
                answers: (3..9).map(|i| r[i].parse().ok()).collect(),
            }
        })
        .collect()
}

/// The desk form: five factor questions, each its factor's one item, and the overall question.
fn spec() -> IndexSpec {
    IndexSpec {
        items: 6,
        factors: (0..5).map(|i| vec![i]).collect(),
        threshold: 4,
    }
}

fn options() -> ReportOptions {
    ReportOptions {
        interval: IntervalKind::Design(DesignMethod::Logit),
        lonely: LonelyPsu::Adjust,
        min_n: 30,
        ..ReportOptions::default()
    }
}

fn respondent(r: &Rating, psu: Option<u64>, stratum: u32) -> Respondent<'_> {
    Respondent {
        stratum,
        psu,
        weight: 1.0,
        pop_size: None,
        answers: &r.answers,
    }
}

/// From the raw ratings, each with its desk and agency.
fn from_rows(rows: &[&Rating]) -> IndexReport {
    let mut acc = IndexAccumulator::new(spec(), true).unwrap();
    for r in rows {
        acc.add(&respondent(r, Some(r.desk), r.agency)).unwrap();
    }
    acc.report(None, &options()).unwrap()
}

/// As the service reads them: one simple-stream cell per desk and day (what the aggregates
/// hold), added to a clustered accumulator as part of its desk.
fn from_cells(rows: &[&Rating]) -> IndexReport {
    let mut cells: std::collections::BTreeMap<(u32, u64, u32), IndexAccumulator> =
        Default::default();
    for r in rows {
        cells
            .entry((r.agency, r.desk, r.day))
            .or_insert_with(|| IndexAccumulator::new(spec(), false).unwrap())
            .add(&respondent(r, None, 0))
            .unwrap();
    }
    let mut acc = IndexAccumulator::new(spec(), true).unwrap();
    for ((agency, desk, _), cell) in cells {
        acc.add_cell(agency, desk, &cell.stats().unwrap()).unwrap();
    }
    acc.report(None, &options()).unwrap()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 + 1e-7 * want.abs(),
        "{what}: got {got}, R says {want}"
    );
}

#[test]
fn desk_clustered_intervals_match_r_survey() {
    let all = ratings();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/desk-reference.csv");
    let mut checked = 0;
    let mut cases = std::collections::BTreeMap::<String, (IndexReport, IndexReport)>::new();
    for r in csv::Reader::from_path(path).unwrap().records() {
        let r = r.unwrap();
        let (case, name) = (&r[0], &r[1]);
        let (rows, cells) = cases.entry(case.to_owned()).or_insert_with(|| {
            let keep = |x: &&Rating| match case {
                "all" => true,
                "agency2" => x.agency == 2,
                "single" => x.agency == 3,
                "lonely" => x.agency == 3 || x.agency == 6,
                other => panic!("unknown case {other}"),
            };
            let chosen: Vec<&Rating> = all.iter().filter(keep).collect();
            (from_rows(&chosen), from_cells(&chosen))
        });
        for report in [&*rows, &*cells] {
            let e = match name {
                "overall" => report.overall.unwrap(),
                item => {
                    let i: usize = item.trim_start_matches("item").parse().unwrap();
                    report.items[i - 1].index.unwrap()
                }
            };
            let what = format!("{case} {name}");
            close(
                e.estimate,
                r[2].parse().unwrap(),
                &format!("{what} estimate"),
            );
            close(e.se, r[3].parse().unwrap(), &format!("{what} se"));
            close(e.ci_low, r[4].parse().unwrap(), &format!("{what} ci_low"));
            close(e.ci_high, r[5].parse().unwrap(), &format!("{what} ci_high"));
            assert_eq!(e.df, r[6].parse::<f64>().unwrap(), "{what} df");
            if name != "overall" && name != "item6" {
                // A factor asked by one question is that question's estimate, interval and all.
                let i: usize = name.trim_start_matches("item").parse().unwrap();
                assert_eq!(report.factors[i - 1], Some(e), "{what}: factor = item");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 4 * 7);
}

#[test]
fn the_design_effect_is_reported_where_desks_can_be_told_apart() {
    let all = ratings();
    let rows: Vec<&Rating> = all.iter().collect();
    let r = from_cells(&rows);
    let overall = r.overall.unwrap();
    // The simulated desks differ (a random staff effect): the clustered variance is several
    // times that of independent ratings, and the design effect says by how much.
    let deff = overall.deff.unwrap();
    assert!(deff > 2.0, "{deff}");
    let single: Vec<&Rating> = all.iter().filter(|x| x.agency == 3).collect();
    assert_eq!(from_cells(&single).overall.unwrap().deff, None);
}
