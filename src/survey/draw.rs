//! Drawing a wave's sample (METHODOLOGY.md §5), reproducibly: within each stratum the frame
//! is taken in dossier-code order (bytes, not a locale), and the stratum's generator is seeded
//! from the wave's seed and the agency's code through SHA-256, so the same frame and seed give
//! the same sample on any machine, whatever order the strata or files came in.

use analysis::sample::{self, SeededRng};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Simple random sampling without replacement.
    Srs,
    /// Systematic with a random start (the frame in dossier-code order).
    Systematic,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Srs => "srs",
            Method::Systematic => "systematic",
        }
    }
}

/// One stratum's frame, in dossier-code order, and how many to invite from it.
pub struct StratumFrame {
    pub agency_id: i32,
    pub agency_code: String,
    /// Frame unit ids, in dossier-code order.
    pub units: Vec<i64>,
    pub invited: u64,
}

/// One drawn unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    pub frame_unit_id: i64,
    pub agency_id: i32,
    /// `None` in the main sample; the replacement order in the reserve.
    pub reserve_rank: Option<i32>,
    /// π = n_h / N_h (both designs are equal-probability within a stratum); a reserve unit
    /// stands in for a main one and carries its probability.
    pub inclusion_probability: f64,
    pub base_weight: f64,
}

/// A stratum's own seed: the first 8 bytes of SHA-256("sipas-draw", wave seed, agency code,
/// purpose).
fn stratum_seed(seed: u64, agency_code: &str, purpose: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(b"sipas-draw\0");
    h.update(seed.to_be_bytes());
    h.update(agency_code.as_bytes());
    h.update(b"\0");
    h.update(purpose.as_bytes());
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Draws every stratum's main sample (`invited` units) and a reserve of `reserve` × invited
/// (rounded up, within what the frame has left), in a random replacement order.
pub fn draw(
    strata: &[StratumFrame],
    seed: u64,
    method: Method,
    reserve: f64,
) -> Result<Vec<Drawn>, String> {
    if !(0.0..=1.0).contains(&reserve) {
        return Err(format!("--reserve: between 0 and 1, not {reserve}"));
    }
    let mut out = Vec::new();
    for s in strata {
        let population = s.units.len() as u64;
        if s.invited == 0 || population == 0 {
            continue;
        }
        let main_seed = stratum_seed(seed, &s.agency_code, "main");
        let main = match method {
            Method::Srs => sample::draw_srswor(population, s.invited, main_seed),
            Method::Systematic => sample::draw_systematic(population, s.invited, main_seed),
        }
        .map_err(|e| format!("stratum {}: {e}", s.agency_code))?;
        let pi = main.inclusion_probability;
        let weight = main.base_weight();
        let mut taken = vec![false; s.units.len()];
        for &p in &main.positions {
            taken[p as usize] = true;
            out.push(Drawn {
                frame_unit_id: s.units[p as usize],
                agency_id: s.agency_id,
                reserve_rank: None,
                inclusion_probability: pi,
                base_weight: weight,
            });
        }
        let left: Vec<i64> = s
            .units
            .iter()
            .zip(&taken)
            .filter(|(_, t)| !**t)
            .map(|(u, _)| *u)
            .collect();
        let wanted = ((s.invited as f64 * reserve) - 1e-9).ceil().max(0.0) as u64;
        let wanted = wanted.min(left.len() as u64);
        if wanted == 0 {
            continue;
        }
        let reserve_seed = stratum_seed(seed, &s.agency_code, "reserve");
        let picked = sample::draw_srswor(left.len() as u64, wanted, reserve_seed)
            .map_err(|e| format!("stratum {} reserve: {e}", s.agency_code))?;
        let mut order: Vec<i64> = picked.positions.iter().map(|&p| left[p as usize]).collect();
        // Replacements are taken in a random order, not in dossier-code order.
        let mut rng = SeededRng::new(stratum_seed(seed, &s.agency_code, "reserve-order"));
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        for (rank, id) in order.into_iter().enumerate() {
            out.push(Drawn {
                frame_unit_id: id,
                agency_id: s.agency_id,
                reserve_rank: Some(rank as i32 + 1),
                inclusion_probability: pi,
                base_weight: weight,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Vec<StratumFrame> {
        vec![
            StratumFrame {
                agency_id: 1,
                agency_code: "A".into(),
                units: (100..200).collect(),
                invited: 20,
            },
            StratumFrame {
                agency_id: 2,
                agency_code: "B".into(),
                units: (500..510).collect(),
                invited: 9,
            },
        ]
    }

    #[test]
    fn the_same_seed_gives_the_same_sample_and_another_seed_another() {
        let a = draw(&frame(), 2026, Method::Srs, 0.2).unwrap();
        assert_eq!(a, draw(&frame(), 2026, Method::Srs, 0.2).unwrap());
        assert_ne!(a, draw(&frame(), 2027, Method::Srs, 0.2).unwrap());
        // The strata's order does not matter: each is seeded by its own code.
        let mut reversed = frame();
        reversed.reverse();
        let mut b = draw(&reversed, 2026, Method::Srs, 0.2).unwrap();
        b.sort_by_key(|d| (d.agency_id, d.reserve_rank, d.frame_unit_id));
        let mut a2 = a.clone();
        a2.sort_by_key(|d| (d.agency_id, d.reserve_rank, d.frame_unit_id));
        assert_eq!(a2, b);
    }

    #[test]
    fn main_and_reserve_are_disjoint_with_weights_summing_to_the_stratum() {
        for method in [Method::Srs, Method::Systematic] {
            let d = draw(&frame(), 7, method, 0.2).unwrap();
            let main_a: Vec<&Drawn> = d
                .iter()
                .filter(|x| x.agency_id == 1 && x.reserve_rank.is_none())
                .collect();
            assert_eq!(main_a.len(), 20);
            let w: f64 = main_a.iter().map(|x| x.base_weight).sum();
            assert!((w - 100.0).abs() < 1e-9, "weights sum to N_h: {w}");
            assert!((main_a[0].inclusion_probability - 0.2).abs() < 1e-12);
            let reserve_a: Vec<i32> = d
                .iter()
                .filter(|x| x.agency_id == 1)
                .filter_map(|x| x.reserve_rank)
                .collect();
            assert_eq!(
                reserve_a,
                vec![1, 2, 3, 4],
                "20 × 0.2 = 4 in replacement order"
            );
            let mut ids: Vec<i64> = d.iter().map(|x| x.frame_unit_id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), d.len(), "no unit twice");
            // B: 9 of 10 invited, so only one is left for a reserve of ⌈1.8⌉ = 2.
            assert_eq!(
                d.iter()
                    .filter(|x| x.agency_id == 2 && x.reserve_rank.is_some())
                    .count(),
                1
            );
        }
        assert!(draw(&frame(), 7, Method::Srs, 1.5)
            .unwrap_err()
            .contains("--reserve"));
    }
}
