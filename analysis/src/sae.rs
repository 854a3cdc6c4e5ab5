//! Small-area estimation with the Fay–Herriot area-level model (Fay & Herriot 1979): for units
//! whose direct estimate is too uncertain to publish, an empirical best linear unbiased
//! predictor (EBLUP) that borrows strength from covariates, with its mean squared error.
//!
//! Model: yᵢ = xᵢ'β + vᵢ + eᵢ, vᵢ ~ N(0, A) the area effect, eᵢ ~ N(0, Dᵢ) the sampling error
//! with Dᵢ known (the direct estimate's variance). A by REML with Fisher scoring as R's
//! `sae::eblupFH` does it (from A = median(D), until a step is below 10⁻⁴ of A, at most 100
//! steps, A ≥ 0); the MSE by Prasad & Rao (1990) as `sae::mseFH`: g₁ + g₂ + 2g₃. Every
//! product with the m × m matrix P = V⁻¹ − V⁻¹X(X'V⁻¹X)⁻¹X'V⁻¹ is reduced to p × p algebra, so a
//! province's 3,000 communes cost O(m·p²) per step.

use crate::error::{AnalysisError, Result};

/// A fitted Fay–Herriot model and its predictions, in the areas' order.
#[derive(Clone, Debug, PartialEq)]
pub struct FayHerriot {
    /// The area effects' variance (REML).
    pub a: f64,
    pub beta: Vec<f64>,
    pub eblup: Vec<f64>,
    pub mse: Vec<f64>,
    /// Fisher-scoring steps taken.
    pub iterations: usize,
}

const PRECISION: f64 = 1e-4;
const MAX_STEPS: usize = 100;

/// Fits the model to direct estimates `y` with sampling variances `d` and covariate rows `x`
/// (each with the intercept, if wanted, as a column).
pub fn fay_herriot(y: &[f64], d: &[f64], x: &[Vec<f64>]) -> Result<FayHerriot> {
    let m = y.len();
    let p = x.first().map_or(0, Vec::len);
    if d.len() != m || x.len() != m || p == 0 || x.iter().any(|r| r.len() != p) {
        return Err(AnalysisError::ShapeMismatch);
    }
    if m <= p {
        return Err(AnalysisError::InvalidParameter(format!(
            "{m} areas cannot fit {p} coefficients"
        )));
    }
    if y.iter()
        .chain(d)
        .chain(x.iter().flatten())
        .any(|v| !v.is_finite())
    {
        return Err(AnalysisError::InvalidParameter(
            "estimates, variances and covariates must be finite numbers".into(),
        ));
    }
    if d.iter().any(|v| *v <= 0.0) {
        return Err(AnalysisError::InvalidParameter(
            "every sampling variance must be positive".into(),
        ));
    }
    let mut sorted = d.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut a = if m % 2 == 1 {
        sorted[m / 2]
    } else {
        (sorted[m / 2 - 1] + sorted[m / 2]) / 2.0
    };
    let mut iterations = 0;
    for _ in 0..MAX_STEPS {
        iterations += 1;
        let s = Solved::at(a, y, d, x)?;
        // Score and Fisher information of REML.
        let vi: Vec<f64> = d.iter().map(|di| 1.0 / (a + di)).collect();
        let qm2 = matmul(&s.q, &weighted_cross(x, |i| vi[i] * vi[i]), p);
        let tr_p = vi.iter().sum::<f64>() - trace(&qm2, p);
        let py: Vec<f64> = (0..m)
            .map(|i| vi[i] * (y[i] - dot(&x[i], &s.beta)))
            .collect();
        let score = -0.5 * tr_p + 0.5 * py.iter().map(|v| v * v).sum::<f64>();
        let tr_pp = vi.iter().map(|v| v * v).sum::<f64>()
            - 2.0
                * (0..m)
                    .map(|i| vi[i].powi(3) * quad(&s.q, &x[i], p))
                    .sum::<f64>()
            + trace(&matmul(&qm2, &qm2, p), p);
        let info = 0.5 * tr_pp;
        if info <= 0.0 || !info.is_finite() {
            return Err(AnalysisError::InvalidParameter(
                "the model's information matrix is not positive".into(),
            ));
        }
        let step = score / info;
        let previous = a;
        a += step;
        // A step below −min(D) would make a variance negative: the REML maximum is at the
        // boundary A = 0 (areas differ by no more than their sampling errors).
        if a + sorted[0] <= 0.0 {
            a = 0.0;
            break;
        }
        if previous == 0.0 || (step / previous).abs() < PRECISION {
            break;
        }
    }
    let a = a.max(0.0);
    let s = Solved::at(a, y, d, x)?;
    let vi: Vec<f64> = d.iter().map(|di| 1.0 / (a + di)).collect();
    let var_a = 2.0 / vi.iter().map(|v| v * v).sum::<f64>();
    let (mut eblup, mut mse) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for i in 0..m {
        let xb = dot(&x[i], &s.beta);
        let gamma = a / (a + d[i]);
        eblup.push(xb + gamma * (y[i] - xb));
        let g1 = gamma * d[i];
        let g2 = (1.0 - gamma).powi(2) * quad(&s.q, &x[i], p);
        let g3 = (1.0 - gamma).powi(2) * vi[i] * var_a;
        mse.push(g1 + g2 + 2.0 * g3);
    }
    Ok(FayHerriot {
        a,
        beta: s.beta,
        eblup,
        mse,
        iterations,
    })
}

/// (X'V⁻¹X)⁻¹ and the GLS coefficients at a given A.
struct Solved {
    q: Vec<f64>,
    beta: Vec<f64>,
}

impl Solved {
    fn at(a: f64, y: &[f64], d: &[f64], x: &[Vec<f64>]) -> Result<Solved> {
        let p = x[0].len();
        let vi: Vec<f64> = d.iter().map(|di| 1.0 / (a + di)).collect();
        let q = invert(&weighted_cross(x, |i| vi[i]), p)?;
        let mut xty = vec![0.0; p];
        for (i, row) in x.iter().enumerate() {
            for (t, xv) in xty.iter_mut().zip(row) {
                *t += vi[i] * xv * y[i];
            }
        }
        let beta = (0..p)
            .map(|r| (0..p).map(|c| q[r * p + c] * xty[c]).sum())
            .collect();
        Ok(Solved { q, beta })
    }
}

/// Σᵢ wᵢ xᵢxᵢ' as a row-major p × p matrix.
fn weighted_cross(x: &[Vec<f64>], w: impl Fn(usize) -> f64) -> Vec<f64> {
    let p = x[0].len();
    let mut out = vec![0.0; p * p];
    for (i, row) in x.iter().enumerate() {
        let wi = w(i);
        for r in 0..p {
            for c in 0..p {
                out[r * p + c] += wi * row[r] * row[c];
            }
        }
    }
    out
}

fn matmul(a: &[f64], b: &[f64], p: usize) -> Vec<f64> {
    let mut out = vec![0.0; p * p];
    for r in 0..p {
        for k in 0..p {
            let ark = a[r * p + k];
            for c in 0..p {
                out[r * p + c] += ark * b[k * p + c];
            }
        }
    }
    out
}

fn trace(a: &[f64], p: usize) -> f64 {
    (0..p).map(|i| a[i * p + i]).sum()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// x'Qx.
fn quad(q: &[f64], x: &[f64], p: usize) -> f64 {
    (0..p)
        .map(|r| x[r] * (0..p).map(|c| q[r * p + c] * x[c]).sum::<f64>())
        .sum()
}

/// The inverse of a small symmetric positive-definite matrix by Gauss–Jordan elimination with
/// partial pivoting; a singular one (covariates that are not independent) is an error.
fn invert(a: &[f64], p: usize) -> Result<Vec<f64>> {
    let mut m = a.to_vec();
    let mut inv = vec![0.0; p * p];
    for i in 0..p {
        inv[i * p + i] = 1.0;
    }
    let scale = a.iter().fold(0.0_f64, |s, v| s.max(v.abs())).max(1e-300);
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&r, &s| m[r * p + col].abs().total_cmp(&m[s * p + col].abs()))
            .unwrap_or(col);
        if m[pivot * p + col].abs() <= 1e-12 * scale {
            return Err(AnalysisError::InvalidParameter(
                "the covariates are not linearly independent (a column repeats another or a \
                 category is empty)"
                    .into(),
            ));
        }
        if pivot != col {
            for c in 0..p {
                m.swap(pivot * p + c, col * p + c);
                inv.swap(pivot * p + c, col * p + c);
            }
        }
        let d = m[col * p + col];
        for c in 0..p {
            m[col * p + c] /= d;
            inv[col * p + c] /= d;
        }
        for r in 0..p {
            if r != col {
                let f = m[r * p + col];
                if f != 0.0 {
                    for c in 0..p {
                        m[r * p + c] -= f * m[col * p + c];
                        inv[r * p + c] -= f * inv[col * p + c];
                    }
                }
            }
        }
    }
    Ok(inv)
}
