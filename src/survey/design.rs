//! Sizing and allocating a wave's sample (METHODOLOGY.md §5) with `analysis::sample`: a total
//! number of respondents from Yamane's or Cochran's formula on the whole frame, inflated by
//! the design effect; spread over the strata (agencies) with a minimum each; then the number
//! to invite in each stratum, divided by the expected response rate and never above N_h. Each
//! stratum's expected margin of error is printed before anything is drawn.

use analysis::sample::{self, Allocation};

/// How the total is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeRule {
    Yamane,
    Cochran,
}

/// How the total is spread over the strata.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AllocationRule {
    Proportional,
    /// n_h ∝ N_h·S_h, with S_h = √(p_h(1 − p_h)) from each stratum's expected share.
    Neyman,
    Equal,
    /// The same number of respondents in every stratum (capped at N_h); the total is their sum.
    Quota(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct DesignParams {
    pub size: SizeRule,
    pub margin: f64,
    pub level: f64,
    pub deff: f64,
    pub response_rate: f64,
    pub allocation: AllocationRule,
    pub min: u64,
}

impl DesignParams {
    /// As stored with the wave (and audited).
    pub fn to_json(&self) -> serde_json::Value {
        let (allocation, quota) = match self.allocation {
            AllocationRule::Proportional => ("proportional", None),
            AllocationRule::Neyman => ("neyman", None),
            AllocationRule::Equal => ("equal", None),
            AllocationRule::Quota(q) => ("quota", Some(q)),
        };
        serde_json::json!({
            "size": match self.size { SizeRule::Yamane => "yamane", SizeRule::Cochran => "cochran" },
            "margin": self.margin,
            "level": self.level,
            "deff": self.deff,
            "response_rate": self.response_rate,
            "allocation": allocation,
            "quota": quota,
            "min": self.min,
        })
    }
}

/// One stratum as the design sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stratum {
    pub agency_id: i32,
    pub agency_code: String,
    /// N_h: frame units.
    pub population: u64,
    /// The expected share satisfied (Neyman's S_h, and the margin of error); 0.5 when unknown.
    pub expected_p: f64,
}

/// The plan for one stratum.
#[derive(Clone, Debug, PartialEq)]
pub struct StratumPlan {
    pub agency_id: i32,
    pub agency_code: String,
    pub population: u64,
    /// n_h: respondents the design needs.
    pub respondents: u64,
    /// How many to invite: n_h / response rate, at most N_h.
    pub invited: u64,
    /// Expected margin of error of a share in this stratum with n_h respondents (fpc and
    /// design effect included); `None` without respondents.
    pub margin: Option<f64>,
}

/// The whole plan: the total and its strata.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub total_respondents: u64,
    pub total_invited: u64,
    pub strata: Vec<StratumPlan>,
}

/// Sizes and allocates; every refusal says which parameter and why.
pub fn plan(strata: &[Stratum], p: &DesignParams) -> Result<Plan, String> {
    if strata.iter().all(|s| s.population == 0) {
        return Err("the frame is empty: import it first (sipas frame import)".into());
    }
    let sizes: Vec<u64> = strata.iter().map(|s| s.population).collect();
    let population: u64 = sizes.iter().sum();
    let allocation = match p.allocation {
        AllocationRule::Proportional => Allocation::Proportional,
        AllocationRule::Equal => Allocation::Equal,
        AllocationRule::Neyman => Allocation::Neyman {
            sd: strata
                .iter()
                .map(|s| (s.expected_p * (1.0 - s.expected_p)).sqrt())
                .collect(),
        },
        AllocationRule::Quota(q) => Allocation::Quota {
            quota: vec![q; strata.len()],
        },
    };
    let total = match p.allocation {
        AllocationRule::Quota(_) => 0, // the quotas decide
        _ => {
            let base = match p.size {
                SizeRule::Yamane => sample::yamane(population, p.margin),
                SizeRule::Cochran => sample::cochran(Some(population), 0.5, p.margin, p.level),
            }
            .map_err(|e| format!("--size: {e}"))?;
            // The design effect inflates the respondents needed; the response rate, below,
            // the people to invite.
            sample::inflate(base, p.deff, 1.0)
                .map_err(|e| format!("--deff: {e}"))?
                .min(population)
        }
    };
    let respondents = sample::allocate(total, &sizes, &allocation, p.min)
        .map_err(|e| format!("--allocation: {e}"))?;
    let z = analysis::binomial::z_quantile(1.0 - (1.0 - p.level) / 2.0);
    let mut out = Vec::with_capacity(strata.len());
    for (s, &n) in strata.iter().zip(&respondents) {
        let invited = sample::inflate(n, 1.0, p.response_rate)
            .map_err(|e| format!("--response-rate: {e}"))?
            .min(s.population);
        let margin = (n > 0).then(|| {
            let fpc = if s.population > 1 {
                (1.0 - n as f64 / s.population as f64).max(0.0)
            } else {
                0.0
            };
            z * (p.deff * s.expected_p * (1.0 - s.expected_p) / n as f64 * fpc).sqrt()
        });
        out.push(StratumPlan {
            agency_id: s.agency_id,
            agency_code: s.agency_code.clone(),
            population: s.population,
            respondents: n,
            invited,
            margin,
        });
    }
    Ok(Plan {
        total_respondents: out.iter().map(|s| s.respondents).sum(),
        total_invited: out.iter().map(|s| s.invited).sum(),
        strata: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strata(sizes: &[u64]) -> Vec<Stratum> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Stratum {
                agency_id: i as i32 + 1,
                agency_code: format!("A{i}"),
                population: n,
                expected_p: 0.5,
            })
            .collect()
    }

    fn params(allocation: AllocationRule) -> DesignParams {
        DesignParams {
            size: SizeRule::Yamane,
            margin: 0.05,
            level: 0.95,
            deff: 1.0,
            response_rate: 0.6,
            allocation,
            min: 30,
        }
    }

    #[test]
    fn yamane_on_the_frame_is_allocated_proportionally_and_invitations_cover_non_response() {
        // N = 10,000: Yamane n = 10000 / (1 + 10000 · 0.05²) = 384.6 → 385.
        let plan = plan(
            &strata(&[6_000, 3_000, 1_000]),
            &params(AllocationRule::Proportional),
        )
        .unwrap();
        assert_eq!(plan.total_respondents, 385);
        let n: Vec<u64> = plan.strata.iter().map(|s| s.respondents).collect();
        assert_eq!(n, vec![231, 116, 38]);
        // 231 / 0.6 = 385, 116 / 0.6 = 193.3 → 194, 38 / 0.6 = 63.3 → 64.
        let invited: Vec<u64> = plan.strata.iter().map(|s| s.invited).collect();
        assert_eq!(invited, vec![385, 194, 64]);
        // Margin of a share at p = 0.5 with fpc: 1.96·√(0.25/231·(1 − 231/6000)) = 0.0633.
        let m = plan.strata[0].margin.unwrap();
        let z = analysis::binomial::z_quantile(0.975);
        assert!((m - z * (0.25_f64 / 231.0 * (1.0 - 231.0 / 6000.0)).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn quotas_are_capped_at_the_stratum_and_invitations_at_the_frame() {
        let plan = plan(
            &strata(&[500, 120, 40]),
            &params(AllocationRule::Quota(150)),
        )
        .unwrap();
        let n: Vec<u64> = plan.strata.iter().map(|s| s.respondents).collect();
        assert_eq!(n, vec![150, 120, 40]);
        let invited: Vec<u64> = plan.strata.iter().map(|s| s.invited).collect();
        assert_eq!(invited, vec![250, 120, 40]);
        assert_eq!(
            plan.strata[2].margin,
            Some(0.0),
            "a census has no sampling error"
        );
    }

    #[test]
    fn a_minimum_the_total_cannot_meet_is_refused_with_the_numbers() {
        // 38 strata of 100: Yamane gives 362, but 38 × 30 = 1,140 are needed.
        let e = plan(&strata(&[100; 38]), &params(AllocationRule::Proportional)).unwrap_err();
        assert!(
            e.starts_with("--allocation:") && e.contains("1140") && e.contains("362"),
            "{e}"
        );
        assert!(plan(&strata(&[0, 0]), &params(AllocationRule::Equal))
            .unwrap_err()
            .contains("frame is empty"));
    }

    #[test]
    fn neyman_gives_more_to_strata_with_more_spread() {
        let mut s = strata(&[1_000, 1_000]);
        s[0].expected_p = 0.5; // S = 0.5
        s[1].expected_p = 0.9; // S = 0.3
        let plan = plan(&s, &params(AllocationRule::Neyman)).unwrap();
        // Yamane on 2,000: 333.3 → 334, split 5:3 → 208.75 and 125.25 → 209 and 125.
        let n: Vec<u64> = plan.strata.iter().map(|s| s.respondents).collect();
        assert_eq!(n, vec![209, 125]);
    }
}
