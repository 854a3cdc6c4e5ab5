//! Fay–Herriot EBLUPs and their MSEs on the `milk` data of R's `sae` package, against
//! `reference/make-sae-reference.R` (sae::eblupFH/mseFH written out in R, anchored to the
//! package's published fixed effects 0.968189, 0.132780, 0.226946, −0.241301).

use analysis::sae::fay_herriot;

fn rows(name: &str) -> Vec<csv::StringRecord> {
    let path = format!("{}/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn eblups_and_mses_of_milk_match_r() {
    let milk = rows("milk.csv");
    let y: Vec<f64> = milk.iter().map(|r| r[3].parse().unwrap()).collect();
    let d: Vec<f64> = milk
        .iter()
        .map(|r| r[4].parse::<f64>().unwrap().powi(2))
        .collect();
    // yi ~ as.factor(MajorArea): an intercept and one dummy for major areas 2, 3 and 4.
    let x: Vec<Vec<f64>> = milk
        .iter()
        .map(|r| {
            let major: u32 = r[0].parse().unwrap();
            vec![
                1.0,
                f64::from(u8::from(major == 2)),
                f64::from(u8::from(major == 3)),
                f64::from(u8::from(major == 4)),
            ]
        })
        .collect();
    let fit = fay_herriot(&y, &d, &x).unwrap();
    // The package's published fixed effects, to their six decimals.
    for (b, want) in fit
        .beta
        .iter()
        .zip([0.968189, 0.132780, 0.226946, -0.241301])
    {
        assert!((b - want).abs() < 5e-7, "beta {b} vs sae's {want}");
    }
    let reference = &rows("sae-fit.csv")[0];
    assert!((fit.a - reference[0].parse::<f64>().unwrap()).abs() < 1e-12);
    let want = rows("sae-reference.csv");
    assert_eq!(want.len(), y.len());
    for (i, r) in want.iter().enumerate() {
        let (e, m): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        assert!(
            (fit.eblup[i] - e).abs() < 1e-9,
            "area {}: eblup {} vs {e}",
            &r[0],
            fit.eblup[i]
        );
        assert!(
            (fit.mse[i] - m).abs() < 1e-9,
            "area {}: mse {} vs {m}",
            &r[0],
            fit.mse[i]
        );
    }
    // Shrinkage: an area with a noisy direct estimate moves towards its major area's line more
    // than a precise one, and its MSE is below its sampling variance.
    assert!(fit.mse.iter().zip(&d).all(|(m, v)| m < v));
}

#[test]
fn dependent_covariates_and_bad_variances_are_refused() {
    let y = [0.5, 0.6, 0.7, 0.8];
    let d = [0.01, 0.02, 0.01, 0.02];
    let twice: Vec<Vec<f64>> = (0..4)
        .map(|i| vec![1.0, i as f64, 2.0 * i as f64])
        .collect();
    let e = fay_herriot(&y, &d, &twice).unwrap_err().to_string();
    assert!(e.contains("not linearly independent"), "{e}");
    let ones: Vec<Vec<f64>> = (0..4).map(|_| vec![1.0]).collect();
    assert!(fay_herriot(&y, &[0.01, 0.0, 0.01, 0.02], &ones).is_err());
    assert!(fay_herriot(&y, &[0.01, f64::NAN, 0.01, 0.02], &ones).is_err());
}

#[test]
fn areas_that_differ_by_no_more_than_their_errors_have_no_area_variance() {
    // Equal direct estimates: REML's maximum is on the boundary A = 0, and every EBLUP is the
    // common mean with the regression's MSE only.
    let y = [0.5, 0.5, 0.5, 0.5];
    let d = [0.01, 0.02, 0.01, 0.03];
    let ones: Vec<Vec<f64>> = (0..4).map(|_| vec![1.0]).collect();
    let fit = fay_herriot(&y, &d, &ones).unwrap();
    assert_eq!(fit.a, 0.0);
    assert!(fit.eblup.iter().all(|e| (e - 0.5).abs() < 1e-12));
    // At A = 0, g1 = 0; g2 = x'(X'V⁻¹X)⁻¹x = 1/Σ(1/Dᵢ); and sae::mseFH's
    // g3 = Dᵢ²/(A + Dᵢ)³ · Var(Â) = Var(Â)/Dᵢ with Var(Â) = 2/Σ(1/Dⱼ²).
    let g2 = 1.0 / d.iter().map(|v| 1.0 / v).sum::<f64>();
    let var_a = 2.0 / d.iter().map(|v| 1.0 / (v * v)).sum::<f64>();
    for (m, di) in fit.mse.iter().zip(d) {
        assert!((m - (g2 + 2.0 * var_a / di)).abs() < 1e-12, "{:?}", fit.mse);
    }
}
