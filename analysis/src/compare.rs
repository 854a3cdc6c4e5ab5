//! Comparisons and rankings (METHODOLOGY.md §4): the difference of two indices with its
//! interval and p-value, and province rankings that show their uncertainty — a 95% rank
//! interval per unit from seeded simulation, and a tier against a reference index.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::binomial::z_quantile;
use crate::error::{check_level, AnalysisError, Result};
use crate::index::IndexEstimate;
use crate::sample::SeededRng;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// a − b.
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// The interval excludes zero: the only case in which a "significant" badge may show.
    pub significant: bool,
}

/// a − b for two independent estimates (two periods, or two agencies sampled as separate
/// strata), with a normal interval on the combined standard error.
pub fn difference(a: &IndexEstimate, b: &IndexEstimate, level: f64) -> Result<Difference> {
    check_level(level)?;
    let normal = Normal::standard();
    let z = z_quantile(1.0 - (1.0 - level) / 2.0);
    Ok(difference_with(a, b, z, |t| 2.0 * (1.0 - normal.cdf(t))))
}

/// a − b with the interval's quantile `q` and the two-sided p-value of a standardised `|t|`.
fn difference_with(
    a: &IndexEstimate,
    b: &IndexEstimate,
    q: f64,
    two_sided: impl Fn(f64) -> f64,
) -> Difference {
    let estimate = a.estimate - b.estimate;
    let se = (a.se * a.se + b.se * b.se).sqrt();
    let (ci_low, ci_high) = (estimate - q * se, estimate + q * se);
    let p_value = if se > 0.0 {
        two_sided((estimate / se).abs())
    } else if estimate == 0.0 {
        1.0
    } else {
        0.0
    };
    Difference {
        estimate,
        se,
        ci_low,
        ci_high,
        p_value,
        significant: ci_low > 0.0 || ci_high < 0.0,
    }
}

/// a − b for two independent estimates with their own degrees of freedom (a survey's design
/// df, a clustered stream's): Student t on the Welch–Satterthwaite df
/// (s_a² + s_b²)² / (s_a⁴/df_a + s_b⁴/df_b), so that an estimate resting on few PSUs does not
/// pass for a normal one.
pub fn difference_welch(a: &IndexEstimate, b: &IndexEstimate, level: f64) -> Result<Difference> {
    check_level(level)?;
    let df = welch_df(a.se * a.se, a.df, b.se * b.se, b.df);
    let t = crate::proportion::t_quantile(1.0 - (1.0 - level) / 2.0, df);
    let dist = statrs::distribution::StudentsT::new(0.0, 1.0, df)
        .map_err(|e| AnalysisError::InvalidParameter(e.to_string()))?;
    Ok(difference_with(a, b, t, |x| 2.0 * dist.sf(x)))
}

/// Welch–Satterthwaite degrees of freedom of a sum of two variances with their own df; a
/// variance of zero adds nothing, and the df is at least 1.
pub fn welch_df(va: f64, dfa: f64, vb: f64, dfb: f64) -> f64 {
    let part = |v: f64, df: f64| if v > 0.0 { v * v / df.max(1.0) } else { 0.0 };
    let denominator = part(va, dfa) + part(vb, dfb);
    if denominator > 0.0 {
        ((va + vb).powi(2) / denominator).max(1.0)
    } else {
        dfa.max(dfb).max(1.0)
    }
}

/// The confidence interval of a Pearson correlation `r` over `n` pairs by Fisher's z:
/// tanh(atanh r ± z_{1−α/2}/√(n − 3)), as R's `cor.test` gives it. `None` below four pairs.
pub fn correlation_interval(r: f64, n: f64, level: f64) -> Result<Option<(f64, f64)>> {
    check_level(level)?;
    if !r.is_finite() || !n.is_finite() || n < 4.0 {
        return Ok(None);
    }
    let z = r.clamp(-1.0 + 1e-15, 1.0 - 1e-15).atanh();
    let half = z_quantile(1.0 - (1.0 - level) / 2.0) / (n - 3.0).sqrt();
    Ok(Some(((z - half).tanh(), (z + half).tanh())))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Above,
    NotDifferent,
    Below,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RankRow {
    /// Position in the input.
    pub unit: usize,
    /// 1 = highest index; ties share the better rank.
    pub rank: usize,
    pub rank_low: usize,
    pub rank_high: usize,
    pub tier: Tier,
}

/// The rule printed with every ranking table.
pub const RANKING_RULE: &str = "Units are ranked by their index, highest first; units below the minimum valid n are \
not ranked. The rank interval holds 95% of ranks in simulations that draw every unit's index from its sampling \
distribution (Student t on the logit scale with the estimate's own degrees of freedom, as its interval; seeded). A unit is significantly above (below) the reference when it lies \
above (below) the funnel plot's 95% limit, widened for overdispersion when units differ by more than chance \
(Spiegelhalter 2005), and stays significant with the false discovery rate controlled at 5% across the table's \
units (Benjamini-Hochberg).";

/// Above (below) the reference when the whole interval lies above (below) it.
pub fn tier(e: &IndexEstimate, reference: f64) -> Tier {
    if e.ci_low > reference {
        Tier::Above
    } else if e.ci_high < reference {
        Tier::Below
    } else {
        Tier::NotDifferent
    }
}

/// Ranks the units that are not suppressed. `sims` simulations (e.g. 10,000) with `seed`.
pub fn rank(
    units: &[IndexEstimate],
    reference: f64,
    sims: usize,
    seed: u64,
) -> Result<Vec<RankRow>> {
    if sims == 0 {
        return Err(AnalysisError::InvalidParameter(
            "at least one simulation is needed".into(),
        ));
    }
    let ranked: Vec<usize> = (0..units.len()).filter(|&i| !units[i].suppressed).collect();
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let m = ranked.len();
    // Simulate on the logit scale so draws stay within (0, 1); se on that scale by the delta
    // method. Estimates of exactly 0 or 1 stay fixed. Each draw follows the unit's own
    // interval: Student t on its design's df, so a unit resting on two desks (df = 1), whose
    // interval is wide, is not given a narrow rank interval by normal draws.
    let params: Vec<(f64, f64, f64)> = ranked
        .iter()
        .map(|&i| {
            let e = &units[i];
            let p = e.estimate.clamp(1e-9, 1.0 - 1e-9);
            ((p / (1.0 - p)).ln(), e.se / (p * (1.0 - p)), e.df)
        })
        .collect();
    // The simulations run in a fixed number of chunks, each with its own stream derived from
    // the seed, so the table is the same on any machine whatever its cores; chunks run in
    // parallel when there are enough units to be worth a thread.
    let chunk_sims: Vec<usize> = (0..CHUNKS)
        .map(|c| sims / CHUNKS + usize::from(c < sims % CHUNKS))
        .collect();
    let run = |c: usize| simulate(&params, chunk_sims[c], chunk_seed(seed, c));
    let chunks: Vec<Vec<Vec<u32>>> = if m >= 200 {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..CHUNKS).map(|c| scope.spawn(move || run(c))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    } else {
        (0..CHUNKS).map(run).collect()
    };
    let mut ranks_seen: Vec<Vec<u32>> = vec![Vec::with_capacity(sims); m];
    for chunk in chunks {
        if chunk.len() != m {
            return Err(AnalysisError::InvalidParameter(
                "a rank simulation failed".into(),
            ));
        }
        for (j, seen) in chunk.into_iter().enumerate() {
            ranks_seen[j].extend(seen);
        }
    }
    let mut rows = Vec::with_capacity(m);
    for (j, &i) in ranked.iter().enumerate() {
        let e = &units[i];
        let rank = 1 + ranked
            .iter()
            .filter(|&&o| units[o].estimate > e.estimate)
            .count();
        let seen = &mut ranks_seen[j];
        seen.sort_unstable();
        let at = |q: f64| seen[((q * (sims - 1) as f64).round() as usize).min(sims - 1)] as usize;
        let tier = tier(e, reference);
        rows.push(RankRow {
            unit: i,
            rank,
            rank_low: at(0.025).min(rank),
            rank_high: at(0.975).max(rank),
            tier,
        });
    }
    rows.sort_by_key(|r| (r.rank, r.unit));
    Ok(rows)
}

/// Simulation chunks (fixed: the results must not depend on the machine).
const CHUNKS: usize = 4;

fn chunk_seed(seed: u64, chunk: usize) -> u64 {
    SeededRng::new(seed ^ (chunk as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// Above this df a t draw is a normal one (t's 97.5% quantile is then within 0.2% of z's).
const NORMAL_DF: f64 = 1_000.0;

/// `sims` simulated rankings of units with logit-scale (mean, sd, df) `params`: per unit, its
/// rank in each simulation (1 = highest draw; ties broken by position).
fn simulate(params: &[(f64, f64, f64)], sims: usize, seed: u64) -> Vec<Vec<u32>> {
    let m = params.len();
    let mut normal = Normal01::new(seed);
    let mut seen: Vec<Vec<u32>> = vec![Vec::with_capacity(sims); m];
    // (draw, unit) pairs sorted in place: the keys sit next to their units, which keeps a
    // simulation of thousands of units in the cache.
    let mut order: Vec<(f64, u32)> = Vec::with_capacity(m);
    for _ in 0..sims {
        order.clear();
        order.extend(
            params
                .iter()
                .enumerate()
                .map(|(j, &(mu, sd, df))| (mu + sd * normal.student(df), j as u32)),
        );
        order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (pos, &(_, j)) in order.iter().enumerate() {
            seen[j as usize].push(pos as u32 + 1);
        }
    }
    seen
}

/// Standard normal draws by Box–Muller from the crate's reproducible generator, both values of
/// each pair used.
struct Normal01 {
    rng: SeededRng,
    spare: Option<f64>,
}

impl Normal01 {
    fn new(seed: u64) -> Normal01 {
        Normal01 {
            rng: SeededRng::new(seed),
            spare: None,
        }
    }

    /// A Student t draw with `df` degrees of freedom: Z / √(χ²_df / df), the χ² as twice a
    /// Gamma(df/2) draw; a normal draw for non-finite or large df.
    fn student(&mut self, df: f64) -> f64 {
        let z = self.next();
        if !df.is_finite() || df >= NORMAL_DF {
            return z;
        }
        let df = df.max(1.0);
        let chi2 = 2.0 * self.gamma(df / 2.0);
        z / (chi2 / df).max(f64::MIN_POSITIVE).sqrt()
    }

    /// A Gamma(shape, 1) draw: Marsaglia and Tsang (2000), "A simple method for generating
    /// gamma variables", ACM TOMS 26(3); a shape under 1 through Gamma(shape + 1)·U^(1/shape).
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.rng.unit().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.next();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.rng.unit().max(f64::MIN_POSITIVE);
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn next(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.rng.unit().max(f64::MIN_POSITIVE);
        let u2 = self.rng.unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(p: f64, se: f64, n: u64) -> IndexEstimate {
        IndexEstimate {
            estimate: p,
            se,
            ci_low: p - 1.96 * se,
            ci_high: p + 1.96 * se,
            n,
            df: n as f64 - 1.0,
            deff: None,
            suppressed: n < 30,
        }
    }

    #[test]
    fn a_difference_has_the_textbook_p_value() {
        // z = 0.05 / sqrt(0.02² + 0.015²) = 2.0 → two-sided p = 0.0455003 (normal table).
        let d = difference(&est(0.85, 0.02, 400), &est(0.80, 0.015, 600), 0.95).unwrap();
        assert!((d.estimate - 0.05).abs() < 1e-12);
        assert!((d.se - 0.025).abs() < 1e-12);
        assert!((d.p_value - 0.0455003).abs() < 1e-6);
        assert!(d.significant);
        let same = difference(&est(0.8, 0.02, 400), &est(0.79, 0.02, 400), 0.95).unwrap();
        assert!(!same.significant && same.p_value > 0.5);
    }

    #[test]
    fn rankings_show_uncertainty_and_skip_small_units() {
        let units = [
            est(0.90, 0.01, 500),
            est(0.80, 0.03, 200),
            est(0.79, 0.03, 200),
            est(0.95, 0.05, 10),
            est(0.70, 0.01, 500),
        ];
        let rows = rank(&units, 0.80, 4_000, 7).unwrap();
        assert_eq!(rows.len(), 4, "the unit with n = 10 is not ranked");
        assert_eq!(
            (
                rows[0].unit,
                rows[0].rank,
                rows[0].rank_low,
                rows[0].rank_high
            ),
            (0, 1, 1, 1)
        );
        assert_eq!(rows[0].tier, Tier::Above);
        // Units 1 and 2 overlap: their rank intervals both cover 2 and 3.
        for r in &rows[1..3] {
            assert_eq!((r.rank_low, r.rank_high), (2, 3), "{r:?}");
            assert_eq!(r.tier, Tier::NotDifferent);
        }
        assert_eq!(
            (
                rows[3].unit,
                rows[3].rank_low,
                rows[3].rank_high,
                rows[3].tier
            ),
            (4, 4, 4, Tier::Below)
        );
        assert_eq!(
            rank(&units, 0.8, 4_000, 7).unwrap(),
            rows,
            "seeded: the same table every time"
        );
    }

    #[test]
    fn a_unit_on_few_desks_gets_the_rank_interval_its_wide_interval_allows() {
        // Five units 2.5 points apart with the same se; the middle one rests on two desks
        // (df = 1: its 95% interval is logit ± 12.7·se, Student t). Drawn as normal, it would
        // keep rank 3; drawn as its own t, it can fall anywhere from 1 to 5.
        let mut units: Vec<IndexEstimate> = (0..5)
            .map(|i| est(0.75 + 0.025 * i as f64, 0.008, 400))
            .collect();
        let narrow = rank(&units, 0.8, 4_000, 11).unwrap();
        let middle = |rows: &[RankRow]| {
            let r = rows.iter().find(|r| r.unit == 2).unwrap();
            (r.rank_low, r.rank_high)
        };
        assert_eq!(middle(&narrow), (3, 3));
        units[2].df = 1.0;
        let wide = rank(&units, 0.8, 4_000, 11).unwrap();
        assert_eq!(middle(&wide), (1, 5));
    }

    #[test]
    fn student_draws_have_t_quantiles() {
        // t's 97.5% quantiles: 12.706 (df 1), 2.571 (df 5), 2.042 (df 30); R: qt(0.975, df).
        for (df, q) in [(1.0, 12.706_205), (5.0, 2.570_582), (30.0, 2.042_272)] {
            let mut n = Normal01::new(5);
            let mut draws: Vec<f64> = (0..200_000).map(|_| n.student(df)).collect();
            draws.sort_by(f64::total_cmp);
            let got = draws[(0.975 * draws.len() as f64) as usize];
            assert!((got / q - 1.0).abs() < 0.03, "df {df}: {got} vs {q}");
        }
    }

    #[test]
    fn large_rankings_are_reproducible_and_intervals_hold_the_rank() {
        // Enough units for the parallel path; the same seed gives the same table.
        let units: Vec<IndexEstimate> = (0..250)
            .map(|i| est(0.6 + 0.0015 * i as f64, 0.02, 300))
            .collect();
        let a = rank(&units, 0.8, 1_001, 42).unwrap();
        assert_eq!(a, rank(&units, 0.8, 1_001, 42).unwrap());
        assert_ne!(a, rank(&units, 0.8, 1_001, 43).unwrap());
        assert_eq!(a.len(), 250);
        for r in &a {
            assert!(r.rank_low <= r.rank && r.rank <= r.rank_high, "{r:?}");
        }
        // The best unit (index 249) ranks first; close neighbours share wide intervals.
        assert_eq!((a[0].unit, a[0].rank), (249, 1));
        assert!(
            a[0].rank_high > 5,
            "0.15 points apart with se 2 points: {:?}",
            a[0]
        );
    }

    #[test]
    fn welch_uses_the_smaller_side_s_degrees_of_freedom() {
        // R 4.x: sa <- 0.03; sb <- 0.02; dfa <- 40; dfb <- 5
        //   df <- (sa^2 + sb^2)^2 / (sa^4/dfa + sb^4/dfb)      # 32.34449761
        //   0.08 + c(-1, 1) * qt(0.975, df) * sqrt(sa^2 + sb^2)
        //                                   # 0.00658798979791 0.15341201020209
        let mut a = est(0.70, 0.03, 41);
        a.df = 40.0;
        let mut b = est(0.62, 0.02, 6);
        b.df = 5.0;
        let df = welch_df(0.03f64.powi(2), 40.0, 0.02f64.powi(2), 5.0);
        assert!((df - 32.34449761).abs() < 1e-8, "{df}");
        let d = difference_welch(&a, &b, 0.95).unwrap();
        assert!((d.ci_low - 0.00658798979791).abs() < 1e-12, "{d:?}");
        assert!((d.ci_high - 0.15341201020209).abs() < 1e-12, "{d:?}");
        // Wider than the normal interval of `difference`.
        assert!(d.ci_high > difference(&a, &b, 0.95).unwrap().ci_high);
    }

    #[test]
    fn a_correlation_s_interval_is_cor_test_s() {
        // R 4.x: x <- c(1,2,3,4,5,2,3,4,5,5,1,3); y <- c(2,2,3,5,4,1,3,3,5,4,2,4)
        //   cor.test(x, y): r 0.81508498926734, conf.int 0.45316360679778 0.94631888799787
        let (lo, hi) = correlation_interval(0.81508498926734, 12.0, 0.95)
            .unwrap()
            .unwrap();
        assert!((lo - 0.45316360679778).abs() < 1e-12, "{lo}");
        assert!((hi - 0.94631888799787).abs() < 1e-12, "{hi}");
        assert_eq!(correlation_interval(0.5, 3.0, 0.95).unwrap(), None);
    }
}
