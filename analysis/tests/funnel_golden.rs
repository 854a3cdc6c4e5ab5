//! Funnel limits with overdispersion and Benjamini–Hochberg tiers against R
//! (`reference/make-funnel-reference.R`, Spiegelhalter 2005 §6 written out in R).

use analysis::compare::Tier;
use analysis::funnel::{judge, overdispersion, Funnel};

fn read(name: &str) -> Vec<csv::StringRecord> {
    let path = format!("{}/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 + 1e-9 * want.abs(),
        "{what}: got {got}, R says {want}"
    );
}

#[test]
fn overdispersion_and_tiers_match_r() {
    let units: Vec<(f64, f64)> = read("funnel-units.csv")
        .iter()
        .map(|r| (r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect();
    let reference = &read("funnel-reference.csv")[0];
    let num = |i: usize| reference[i].parse::<f64>().unwrap();
    let mut funnel = Funnel {
        centre: num(0),
        sigma: num(1),
        tau2: 0.0,
        binomial: false,
    };
    let od = overdispersion(&units, &funnel).unwrap();
    close(od.phi, num(2), "phi");
    // A p-value of 5.7e-48 is compared on the log scale.
    close(od.p_value.ln(), num(3).ln(), "log p_value");
    close(od.tau2, num(4), "tau2");
    assert!(od.widened());
    funnel.tau2 = od.tau2;
    let judged = judge(&units, &funnel, 0.05);
    for (j, r) in judged.iter().zip(read("funnel-tiers.csv")) {
        close(
            j.p_value,
            r[1].parse().unwrap(),
            &format!("unit {} p", &r[0]),
        );
        close(
            j.p_adjusted,
            r[2].parse().unwrap(),
            &format!("unit {} BH", &r[0]),
        );
        let (y, n) = units[r[0].parse::<usize>().unwrap() - 1];
        let (lo, hi) = funnel.limits(n, 1.959_963_984_540_054);
        if j.tier != Tier::NotDifferent {
            assert!(y < lo || y > hi, "a tier inside the 95% limits");
        }
    }
    // Units truly differ here, so some are still flagged once the limits allow for it.
    assert!(judged.iter().any(|j| j.tier != Tier::NotDifferent));
}

#[test]
fn units_that_differ_by_chance_alone_are_not_widened() {
    // Every unit exactly at the reference: φ = 0, no overdispersion, τ² = 0.
    let funnel = Funnel {
        centre: 0.8,
        sigma: 0.4,
        tau2: 0.0,
        binomial: false,
    };
    let units: Vec<(f64, f64)> = (1..=12).map(|k| (0.8, 50.0 * k as f64)).collect();
    let od = overdispersion(&units, &funnel).unwrap();
    assert_eq!(od.tau2, 0.0);
    assert!(!od.widened());
    assert!(judge(&units, &funnel, 0.05)
        .iter()
        .all(|j| j.tier == Tier::NotDifferent));
}

#[test]
fn exact_binomial_limits_and_p_values_match_r() {
    let reference = &read("funnel-reference.csv")[0];
    let funnel = Funnel {
        centre: reference[0].parse().unwrap(),
        sigma: reference[1].parse().unwrap(),
        tau2: 0.0,
        binomial: true,
    };
    for r in read("funnel-exact.csv") {
        let (n, p): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        close(
            funnel.binomial_limit(n, p),
            r[2].parse().unwrap(),
            &format!("limit n {n} p {p}"),
        );
    }
    // The 95% limits the chart draws are the 2.5% and 97.5% ones.
    let (lo, hi) = funnel.limits(150.0, 1.959_963_984_540_054);
    close(lo, funnel.binomial_limit(150.0, 0.025), "lower at 150");
    close(hi, funnel.binomial_limit(150.0, 0.975), "upper at 150");
    let rows = read("funnel-exact-p.csv");
    let units: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| {
            let (n, x): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
            (x / n, n)
        })
        .collect();
    for (j, r) in judge(&units, &funnel, 0.05).iter().zip(&rows) {
        close(
            j.p_value,
            r[2].parse().unwrap(),
            &format!("p n {} x {}", &r[0], &r[1]),
        );
    }
}
