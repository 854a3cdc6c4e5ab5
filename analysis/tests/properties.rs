//! Properties that must hold for any input. Seeded (a fixed RNG seed), so a failure reproduces;
//! proptest writes failing cases to `analysis/tests/properties.proptest-regressions`, which is
//! committed and replayed first on every run.

use analysis::binomial::interval;
use analysis::sample::{allocate, Allocation};
use analysis::{BinomialMethod, LonelyPsu, Observation, TaylorAccumulator};
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
    fn merge_equals_one_pass(rows in rows(), cut in 0usize..200) {
        let cut = cut.min(rows.len());
        let build = |part: &[(u32, f64, f64)]| {
            let mut acc = TaylorAccumulator::new(false);
            for &(stratum, w, y) in part {
                acc.add(&Observation { stratum, psu: None, weight: w, pop_size: None, domain: 0, values: &[(0, y, 1.0)] }).unwrap();
            }
            acc
        };
        let mut left = build(&rows[..cut]);
        left.merge(build(&rows[cut..])).unwrap();
        let merged = left.mean(0, LonelyPsu::Fail).unwrap();
        let (e, se) = estimate(&rows, 1.0);
        prop_assert!(close(merged.estimate, e) && close(merged.se, se));
    }

    #[test]
    fn allocation_sums_to_n(sizes in prop::collection::vec(0u64..5_000, 1..40), share in 0.0f64..1.0, minimum in 0u64..50) {
        let population: u64 = sizes.iter().sum();
        let total = ((population as f64) * share) as u64;
        for method in [Allocation::Proportional, Allocation::Equal] {
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
