//! Properties that must hold for any input. Seeded (a fixed RNG seed), so a failure reproduces;
//! proptest writes failing cases to `analysis/tests/properties.proptest-regressions`, which is
//! committed and replayed first on every run.

use analysis::binomial::interval;
use analysis::sample::{allocate, Allocation};
use analysis::{
    BinomialMethod, IndexAccumulator, IndexSpec, LonelyPsu, Observation, ReportOptions, Respondent,
    TaylorAccumulator,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config() -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(20_171_010),
        ..Config::default()
    }
}

const METHODS: [BinomialMethod; 4] = [
    BinomialMethod::Wilson,
    BinomialMethod::ClopperPearson,
    BinomialMethod::Jeffreys,
    BinomialMethod::AgrestiCoull,
];

/// (stratum, weight, value) rows with at least two rows per stratum.
fn rows() -> impl Strategy<Value = Vec<(u32, f64, f64)>> {
    prop::collection::vec((0u32..4, 0.5f64..50.0, 1u8..=5), 8..120).prop_map(|mut v| {
        for s in 0..4u32 {
            v.push((s, 1.0, 3));
            v.push((s, 2.0, 5));
        }
        v.into_iter()
            .map(|(s, w, y)| (s, w, f64::from(y)))
            .collect()
    })
}

fn estimate(rows: &[(u32, f64, f64)], scale: f64) -> (f64, f64) {
    let mut acc = TaylorAccumulator::new(false);
    for &(stratum, w, y) in rows {
        acc.add(&Observation {
            stratum,
            psu: None,
            weight: w * scale,
            pop_size: None,
            domain: 0,
            values: &[(0, y, 1.0)],
        })
        .unwrap();
    }
    let e = acc.mean(0, LonelyPsu::Fail).unwrap();
    (e.estimate, e.se)
}

/// (stratum, PSU within stratum, weight, value, domain) with at least two PSUs per stratum,
/// each with rows of both domains.
fn design_rows() -> impl Strategy<Value = Vec<(u32, u64, f64, f64, u32)>> {
    prop::collection::vec((0u32..4, 0u64..4, 0.5f64..50.0, 1u8..=5, 0u32..2), 8..150).prop_map(
        |mut v| {
            for s in 0..4u32 {
                for psu in 0..2u64 {
                    v.push((s, psu, 1.0, 3, 0));
                    v.push((s, psu, 2.0, 5, 1));
                }
            }
            v.into_iter()
                .map(|(s, psu, w, y, d)| (s, psu, w, f64::from(y), d))
                .collect()
        },
    )
}

/// A clustered design with a finite population of 30 PSUs per stratum and two domains.
fn build(rows: &[(u32, u64, f64, f64, u32)]) -> TaylorAccumulator {
    let mut acc = TaylorAccumulator::new(true);
    for &(stratum, psu, weight, y, domain) in rows {
        acc.add(&Observation {
            stratum,
            psu: Some(u64::from(stratum) * 100 + psu),
            weight,
            pop_size: Some(30.0),
            domain,
            values: &[(domain as usize, y, 1.0)],
        })
        .unwrap();
    }
    acc
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn binomial_intervals_hold_the_estimate_within_0_and_1(n in 1u64..5_000, frac in 0.0f64..=1.0, level in 0.5f64..0.999) {
        let x = ((n as f64) * frac).round() as u64;
        let p = x as f64 / n as f64;
        for m in METHODS {
            let ci = interval(m, x, n, level).unwrap();
            prop_assert!(0.0 <= ci.low && ci.low <= ci.high && ci.high <= 1.0, "{m:?} {x}/{n}: {ci:?}");
            prop_assert!(ci.low <= p + 1e-12 && p <= ci.high + 1e-12, "{m:?} {x}/{n}: {ci:?}");
        }
    }

    #[test]
    fn intervals_narrow_as_n_grows(n in 10u64..2_000, frac in 0.05f64..0.95) {
        let x = ((n as f64) * frac).round() as u64;
        for m in METHODS {
            let small = interval(m, x, n, 0.95).unwrap();
            let large = interval(m, 4 * x, 4 * n, 0.95).unwrap();
            prop_assert!(large.high - large.low < small.high - small.low, "{m:?}");
        }
    }

    #[test]
    fn row_order_does_not_matter(rows in rows(), seed in any::<u64>()) {
        let mut shuffled = rows.clone();
        let mut rng = analysis::sample::SeededRng::new(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let (a, b) = (estimate(&rows, 1.0), estimate(&shuffled, 1.0));
        prop_assert!(close(a.0, b.0) && close(a.1, b.1), "{a:?} vs {b:?}");
    }

    #[test]
    fn scaling_every_weight_changes_nothing(rows in rows(), scale in 0.01f64..100.0) {
        let (a, b) = (estimate(&rows, 1.0), estimate(&rows, scale));
        prop_assert!(close(a.0, b.0) && (a.1 - b.1).abs() <= 1e-7 * a.1.max(1e-12), "{a:?} vs {b:?}");
    }

    #[test]
    fn merge_equals_one_pass_with_clusters_fpc_and_domains(rows in design_rows(), cut in 0.0f64..=1.0) {
        // The cut falls anywhere in the rows, so strata and PSUs are split across the halves.
        let cut = ((rows.len() as f64) * cut) as usize;
        let mut left = build(&rows[..cut]);
        left.merge(build(&rows[cut..])).unwrap();
        let whole = build(&rows);
        for domain in 0..2 {
            let (m, w) = (left.mean(domain, LonelyPsu::Fail).unwrap(), whole.mean(domain, LonelyPsu::Fail).unwrap());
            prop_assert!(close(m.estimate, w.estimate) && close(m.se, w.se), "domain {domain}: {m:?} vs {w:?}");
            prop_assert_eq!(m.n, w.n);
            prop_assert_eq!(m.df, w.df);
            let (m, w) = (left.total(domain, LonelyPsu::Fail).unwrap(), whole.total(domain, LonelyPsu::Fail).unwrap());
            prop_assert!(close(m.estimate, w.estimate) && close(m.se, w.se), "total, domain {domain}");
        }
    }

    #[test]
    fn neyman_allocation_follows_size_times_spread(
        strata in prop::collection::vec((50u64..5_000, 0.0f64..3.0), 2..30),
        share in 0.01f64..0.3,
    ) {
        let sizes: Vec<u64> = strata.iter().map(|s| s.0).collect();
        let sd: Vec<f64> = strata.iter().map(|s| s.1).collect();
        let population: u64 = sizes.iter().sum();
        let total = ((population as f64) * share) as u64;
        let score: Vec<f64> = sizes.iter().zip(&sd).map(|(&n, &s)| n as f64 * s).collect();
        let sum: f64 = score.iter().sum();
        prop_assume!(sum > 0.0);
        let ideal: Vec<f64> = score.iter().map(|s| total as f64 * s / sum).collect();
        // Only where no stratum would exceed its population does the textbook formula apply alone.
        prop_assume!(ideal.iter().zip(&sizes).all(|(i, &n)| *i <= n as f64));
        let a = allocate(total, &sizes, &Allocation::Neyman { sd: sd.clone() }, 0).unwrap();
        prop_assert_eq!(a.iter().sum::<u64>(), total);
        for h in 0..sizes.len() {
            prop_assert!((a[h] as f64 - ideal[h]).abs() < 1.0, "stratum {h}: {} vs ideal {}", a[h], ideal[h]);
            if sd[h] == 0.0 {
                prop_assert_eq!(a[h], 0, "no spread, no sample beyond the minimum");
            }
        }
        // With one spread everywhere, Neyman is proportional allocation.
        let same = allocate(total, &sizes, &Allocation::Neyman { sd: vec![1.7; sizes.len()] }, 0).unwrap();
        prop_assert_eq!(same, allocate(total, &sizes, &Allocation::Proportional, 0).unwrap());
    }

    #[test]
    fn quotas_are_kept_and_capped_at_the_population(
        strata in prop::collection::vec((0u64..500, 0u64..600), 1..30),
        total in 0u64..10_000,
    ) {
        let sizes: Vec<u64> = strata.iter().map(|s| s.0).collect();
        let quota: Vec<u64> = strata.iter().map(|s| s.1).collect();
        let a = allocate(total, &sizes, &Allocation::Quota { quota: quota.clone() }, 0).unwrap();
        for h in 0..sizes.len() {
            prop_assert_eq!(a[h], quota[h].min(sizes[h]));
        }
        let mut short = quota.clone();
        short.pop();
        let mismatched = allocate(total, &sizes, &Allocation::Quota { quota: short }, 0);
        prop_assert!(mismatched.is_err(), "one quota per stratum");
    }

    #[test]
    fn allocation_sums_to_n(sizes in prop::collection::vec(0u64..5_000, 1..40), share in 0.0f64..1.0, minimum in 0u64..50) {
        let population: u64 = sizes.iter().sum();
        let total = ((population as f64) * share) as u64;
        let spread: Vec<f64> = (0..sizes.len()).map(|h| 0.5 + (h % 3) as f64).collect();
        for method in [Allocation::Proportional, Allocation::Equal, Allocation::Neyman { sd: spread }] {
            if let Ok(a) = allocate(total, &sizes, &method, minimum) {
                prop_assert_eq!(a.iter().sum::<u64>(), total);
                prop_assert!(a.iter().zip(&sizes).all(|(n, big)| n <= big && *n >= minimum.min(*big)));
            } else {
                // Refused only when the minimums alone exceed the sample.
                prop_assert!(sizes.iter().map(|n| minimum.min(*n)).sum::<u64>() > total);
            }
        }
    }
}

/// Desk-form answer patterns (6 items: 1–5 or missing) with how many respondents gave each.
fn patterns() -> impl Strategy<Value = Vec<(Vec<Option<u8>>, u64)>> {
    prop::collection::vec(
        (
            prop::collection::vec(prop::option::weighted(0.85, 1u8..=5), 6),
            1u64..40,
        ),
        1..25,
    )
}

fn desk_spec() -> analysis::IndexSpec {
    analysis::IndexSpec {
        items: 6,
        factors: (0..5).map(|i| vec![i]).collect(),
        threshold: 4,
    }
}

fn desk_options() -> analysis::ReportOptions {
    analysis::ReportOptions {
        lonely: LonelyPsu::Remove,
        ..Default::default()
    }
}

/// Whether two reports agree: estimates to 1e-9 relative, SEs and interval ends to rounding.
fn same_report(a: &analysis::IndexReport, b: &analysis::IndexReport) -> bool {
    let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) + 1e-12;
    let same =
        |x: &Option<analysis::IndexEstimate>, y: &Option<analysis::IndexEstimate>| match (x, y) {
            (Some(x), Some(y)) => {
                near(x.estimate, y.estimate)
                    && near(x.se, y.se)
                    && near(x.ci_low, y.ci_low)
                    && near(x.ci_high, y.ci_high)
                    && x.n == y.n
                    && x.df == y.df
            }
            (None, None) => true,
            _ => false,
        };
    a.items.iter().zip(&b.items).all(|(x, y)| {
        same(&x.index, &y.index)
            && x.valid_n == y.valid_n
            && x.missing_rate == y.missing_rate
            && x.distribution
                .iter()
                .zip(&y.distribution)
                .all(|(p, q)| near(*p, *q))
    }) && a.factors.iter().zip(&b.factors).all(|(x, y)| same(x, y))
        && a.factors_respondent_level
            .iter()
            .zip(&b.factors_respondent_level)
            .all(|(x, y)| same(x, y))
        && same(&a.overall, &b.overall)
        && same(&a.comprehensive, &b.comprehensive)
}

fn desk_report(rows: &[(Vec<Option<u8>>, u64)], repeated: bool) -> analysis::IndexReport {
    use analysis::{IndexAccumulator, IndexSpec, Respondent};
    let spec = IndexSpec {
        items: 6,
        factors: (0..5).map(|i| vec![i]).collect(),
        threshold: 4,
    };
    let mut acc = IndexAccumulator::new(spec, false).unwrap();
    for (answers, count) in rows {
        let r = Respondent {
            stratum: 0,
            psu: None,
            weight: 1.0,
            pop_size: None,
            answers,
        };
        if repeated {
            acc.add_repeated(&r, *count).unwrap();
        } else {
            for _ in 0..*count {
                acc.add(&r).unwrap();
            }
        }
    }
    let opts = analysis::ReportOptions {
        lonely: LonelyPsu::Remove,
        ..Default::default()
    };
    acc.report(None, &opts).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn counted_patterns_give_the_report_of_the_rows(rows in patterns()) {
        let (a, b) = (desk_report(&rows, true), desk_report(&rows, false));
        // Both sums are exact (integer counts); the variance subtracts two nearly equal
        // products evaluated in another order, so a zero SE may come out as 1e-9: rounding.
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-8;
        let same = |x: Option<analysis::IndexEstimate>, y: Option<analysis::IndexEstimate>| match (x, y) {
            (Some(x), Some(y)) => close(x.estimate, y.estimate) && near(x.se, y.se)
                && near(x.ci_low, y.ci_low) && near(x.ci_high, y.ci_high)
                && x.n == y.n && x.df == y.df,
            (None, None) => true,
            _ => false,
        };
        for (x, y) in a.items.iter().zip(&b.items) {
            prop_assert!(same(x.index, y.index));
            prop_assert_eq!((x.valid_n, x.missing_rate), (y.valid_n, y.missing_rate));
            prop_assert_eq!(x.distribution, y.distribution);
        }
        for (x, y) in a.factors.iter().zip(&b.factors) {
            prop_assert!(same(*x, *y));
        }
        for (x, y) in a.factors_respondent_level.iter().zip(&b.factors_respondent_level) {
            prop_assert!(same(*x, *y));
        }
        prop_assert!(same(a.overall, b.overall));
        prop_assert!(same(a.comprehensive, b.comprehensive));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn summed_statistics_vectors_give_the_report_of_the_rows(rows in patterns(), cells in 1usize..6) {
        use analysis::{IndexAccumulator, Respondent};
        // Deal the respondents into cells (desks × days), keep each cell's statistics vector,
        // add the vectors as a database would, and rebuild.
        let mut parts: Vec<IndexAccumulator> =
            (0..cells).map(|_| IndexAccumulator::new(desk_spec(), false).unwrap()).collect();
        let mut i = 0;
        for (answers, count) in &rows {
            for _ in 0..*count {
                let r = Respondent { stratum: 0, psu: None, weight: 1.0, pop_size: None, answers };
                parts[i % cells].add(&r).unwrap();
                i += 1;
            }
        }
        let len = IndexAccumulator::stats_len(&desk_spec());
        let mut total = vec![0.0; len];
        for p in &parts {
            for (t, x) in total.iter_mut().zip(p.stats().unwrap()) {
                *t += x;
            }
        }
        let rebuilt = IndexAccumulator::from_stats(desk_spec(), &total).unwrap();
        let a = rebuilt.report(None, &desk_options()).unwrap();
        let b = desk_report(&rows, false);
        prop_assert!(same_report(&a, &b), "{a:?}\n{b:?}");
    }
}

/// Suppression composes (issue #18, point 5): 40 respondents answer factors 1 and 2, only 12
/// of them factor 3; the overall index has n = 40 but averages a factor below the minimum n,
/// so it is not reported either — and reported again once every factor reaches it.
#[test]
fn the_overall_index_is_suppressed_when_a_factor_it_averages_is() {
    let spec = IndexSpec {
        items: 3,
        factors: vec![vec![0], vec![1], vec![2]],
        threshold: 4,
    };
    let run = |third_answered: usize| {
        let mut acc = IndexAccumulator::new(spec.clone(), false).unwrap();
        for i in 0..40 {
            let third = (i < third_answered).then_some(if i % 2 == 0 { 5 } else { 3 });
            let answers = [Some(4 + (i % 2) as u8), Some(2 + (i % 4) as u8), third];
            acc.add(&Respondent {
                stratum: 0,
                psu: None,
                weight: 1.0,
                pop_size: None,
                answers: &answers,
            })
            .unwrap();
        }
        acc.report(None, &ReportOptions::default()).unwrap()
    };
    let r = run(12);
    assert!(r.factors[2].unwrap().suppressed);
    let overall = r.overall.unwrap();
    assert_eq!(overall.n, 40);
    assert!(overall.suppressed, "an average over a factor of n = 12");
    let r = run(30);
    assert!(!r.factors[2].unwrap().suppressed);
    assert!(!r.overall.unwrap().suppressed);
}
