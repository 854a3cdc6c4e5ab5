//! Model-based estimates for the units of a ranking below the minimum n (issue #18 point 11):
//! a Fay–Herriot area-level model over every unit of the level with ratings, each unit's
//! direct index shrunk towards what the covariates predict, the more so the fewer its answers.
//! Never ranked; labelled as a model on every page, export and API answer.

use analysis::funnel::Funnel;
use serde::Serialize;

/// A model-based estimate of a unit below the minimum n: the Fay–Herriot EBLUP and its MSE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmallArea {
    pub eblup: f64,
    pub mse: f64,
}

/// What the platform knows of a unit besides its ratings, the model's candidate covariates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Covariates {
    /// Dossiers of the unit in the latest designed annual-survey frame of the period's year or
    /// before (its strata's N_h summed); `None` when the frame does not cover the unit.
    pub frame_size: Option<f64>,
    /// The unit's index on the same measure a year earlier (the period's dates shifted back a
    /// year, same channel); `None` without ratings then.
    pub last_year: Option<f64>,
}

/// A covariate the model used, in the order the columns enter it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Covariate {
    /// The parent agency (district of a commune, department of a team), as a factor.
    Parent,
    /// ln of `Covariates::frame_size`: dossiers vary over orders of magnitude.
    LogFrameSize,
    /// `Covariates::last_year`.
    LastYearIndex,
}

impl Covariate {
    pub fn code(self) -> &'static str {
        match self {
            Covariate::Parent => "parent",
            Covariate::LogFrameSize => "log_frame_size",
            Covariate::LastYearIndex => "last_year_index",
        }
    }
}

/// The fitted model, as the pages state it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Besides the intercept.
    pub covariates: Vec<Covariate>,
    /// The between-unit variance the covariates leave (REML).
    pub a: f64,
    /// Units the model was fitted on.
    pub units: usize,
}

/// One unit of the level with ratings, as the model sees it.
#[derive(Clone, Copy, Debug)]
pub struct Fed {
    pub estimate: f64,
    pub n: f64,
    pub parent: Option<i32>,
    pub covariates: Covariates,
}

/// Fits the model to every unit of `units`: their estimates in the same order and the model.
///
/// Each unit's sampling variance is the funnel's null, D = σ²/n (its own p(1−p) is unstable at
/// the small n this is for). A covariate enters only where it is known for every unit and
/// varies between them; the parent only where every parent has at least two units and there
/// are at least two parents. Should the fit still fail (too few units for the columns, or
/// columns that are collinear), covariates are dropped from the last until it succeeds; the
/// model then says which it used. `None` with fewer than three units or no null.
pub fn fit(units: &[Fed], funnel: Option<&Funnel>) -> Option<(Vec<SmallArea>, Model)> {
    let f = funnel?;
    if units.len() < 3 || f.sigma <= 0.0 {
        return None;
    }
    let y: Vec<f64> = units.iter().map(|u| u.estimate).collect();
    let d: Vec<f64> = units
        .iter()
        .map(|u| f.sigma * f.sigma / u.n.max(1.0))
        .collect();
    let mut parents: Vec<Option<i32>> = units.iter().map(|u| u.parent).collect();
    parents.sort_unstable();
    parents.dedup();
    let each_twice = parents
        .iter()
        .all(|p| units.iter().filter(|u| u.parent == *p).count() >= 2);
    let mut wanted = Vec::new();
    if parents.len() >= 2 && each_twice {
        wanted.push(Covariate::Parent);
    }
    let log_size = |u: &Fed| u.covariates.frame_size.filter(|s| *s > 0.0).map(f64::ln);
    let last_year = |u: &Fed| u.covariates.last_year;
    if known_and_varying(units, log_size) {
        wanted.push(Covariate::LogFrameSize);
    }
    if known_and_varying(units, last_year) {
        wanted.push(Covariate::LastYearIndex);
    }
    loop {
        let x: Vec<Vec<f64>> = units
            .iter()
            .map(|u| {
                let mut row = vec![1.0];
                for c in &wanted {
                    match c {
                        Covariate::Parent => row.extend(
                            parents[1..]
                                .iter()
                                .map(|p| f64::from(u8::from(u.parent == *p))),
                        ),
                        Covariate::LogFrameSize => row.push(log_size(u).unwrap_or(0.0)),
                        Covariate::LastYearIndex => row.push(last_year(u).unwrap_or(0.0)),
                    }
                }
                row
            })
            .collect();
        match analysis::sae::fay_herriot(&y, &d, &x) {
            Ok(fit) => {
                let estimates = fit
                    .eblup
                    .into_iter()
                    .zip(fit.mse)
                    .map(|(eblup, mse)| SmallArea {
                        eblup: eblup.clamp(0.0, 1.0),
                        mse,
                    })
                    .collect();
                let model = Model {
                    covariates: wanted,
                    a: fit.a,
                    units: units.len(),
                };
                return Some((estimates, model));
            }
            Err(_) if !wanted.is_empty() => {
                wanted.pop();
            }
            Err(_) => return None,
        }
    }
}

/// Whether `value` is known for every unit and not the same for all.
fn known_and_varying(units: &[Fed], value: impl Fn(&Fed) -> Option<f64>) -> bool {
    let values: Option<Vec<f64>> = units.iter().map(value).collect();
    values.is_some_and(|v| v.iter().any(|x| (x - v[0]).abs() > 1e-12))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NULL: Funnel = Funnel {
        centre: 0.7,
        sigma: 0.46,
        tau2: 0.0,
        binomial: false,
    };

    fn fed(estimate: f64, n: f64, parent: i32) -> Fed {
        Fed {
            estimate,
            n,
            parent: Some(parent),
            covariates: Covariates::default(),
        }
    }

    fn direct(units: &[Fed], x: &[Vec<f64>]) -> analysis::sae::FayHerriot {
        let y: Vec<f64> = units.iter().map(|u| u.estimate).collect();
        let d: Vec<f64> = units.iter().map(|u| 0.46 * 0.46 / u.n).collect();
        analysis::sae::fay_herriot(&y, &d, x).unwrap()
    }

    #[test]
    fn the_parent_is_used_when_every_parent_has_two_units() {
        // Two districts: A's communes around 0.85, B's around 0.55.
        let units = [
            fed(0.86, 20.0, 1),
            fed(0.83, 12.0, 1),
            fed(0.90, 45.0, 1),
            fed(0.52, 15.0, 2),
            fed(0.58, 40.0, 2),
        ];
        let (got, model) = fit(&units, Some(&NULL)).unwrap();
        assert_eq!(model.covariates, [Covariate::Parent]);
        let x: Vec<Vec<f64>> = units
            .iter()
            .map(|u| vec![1.0, f64::from(u8::from(u.parent == Some(2)))])
            .collect();
        let want = direct(&units, &x);
        for (g, w) in got.iter().zip(&want.eblup) {
            assert!((g.eblup - w).abs() < 1e-12);
        }
        assert!((model.a - want.a).abs() < 1e-15);
        // A district with a single unit: the parent is not used, the level's mean is.
        let mut lone = units.to_vec();
        lone.push(fed(0.70, 30.0, 3));
        let (got, model) = fit(&lone, Some(&NULL)).unwrap();
        assert!(model.covariates.is_empty());
        let ones: Vec<Vec<f64>> = lone.iter().map(|_| vec![1.0]).collect();
        assert!((got[0].eblup - direct(&lone, &ones).eblup[0]).abs() < 1e-12);
    }

    #[test]
    fn frame_size_and_last_year_enter_only_when_known_for_every_unit() {
        let sizes = [120.0, 4_000.0, 900.0, 60.0, 2_500.0, 300.0, 1_500.0];
        let last = [0.62, 0.81, 0.74, 0.55, 0.79, 0.66, 0.70];
        let now = [0.60, 0.84, 0.71, 0.58, 0.83, 0.69, 0.73];
        let ns = [8.0, 200.0, 60.0, 5.0, 150.0, 20.0, 90.0];
        let units: Vec<Fed> = (0..7)
            .map(|k| Fed {
                estimate: now[k],
                n: ns[k],
                parent: None,
                covariates: Covariates {
                    frame_size: Some(sizes[k]),
                    last_year: Some(last[k]),
                },
            })
            .collect();
        let (got, model) = fit(&units, Some(&NULL)).unwrap();
        assert_eq!(
            model.covariates,
            [Covariate::LogFrameSize, Covariate::LastYearIndex]
        );
        let x: Vec<Vec<f64>> = (0..7).map(|k| vec![1.0, sizes[k].ln(), last[k]]).collect();
        let want = direct(&units, &x);
        for (g, w) in got.iter().zip(want.eblup.iter().zip(&want.mse)) {
            assert!((g.eblup - w.0).abs() < 1e-12 && (g.mse - w.1).abs() < 1e-12);
        }
        // One unit without last year's index: that covariate is left out, the size stays.
        let mut gap = units.clone();
        gap[3].covariates.last_year = None;
        let (_, model) = fit(&gap, Some(&NULL)).unwrap();
        assert_eq!(model.covariates, [Covariate::LogFrameSize]);
        // A size that is the same for every unit says nothing: left out.
        let mut flat = units.clone();
        for u in &mut flat {
            u.covariates.frame_size = Some(500.0);
        }
        let (_, model) = fit(&flat, Some(&NULL)).unwrap();
        assert_eq!(model.covariates, [Covariate::LastYearIndex]);
    }

    #[test]
    fn too_many_columns_for_the_units_drop_covariates_from_the_last() {
        // Three units cannot fit an intercept and two covariates (m ≤ p): the fit falls back.
        let units: Vec<Fed> = [
            (0.6, 10.0, 100.0, 0.5),
            (0.8, 40.0, 900.0, 0.7),
            (0.7, 20.0, 300.0, 0.9),
        ]
        .iter()
        .map(|&(e, n, s, l)| Fed {
            estimate: e,
            n,
            parent: None,
            covariates: Covariates {
                frame_size: Some(s),
                last_year: Some(l),
            },
        })
        .collect();
        let (got, model) = fit(&units, Some(&NULL)).unwrap();
        assert_eq!(model.covariates, [Covariate::LogFrameSize]);
        assert_eq!(got.len(), 3);
        assert!(fit(&units[..2], Some(&NULL)).is_none());
    }
}
