//! Reproducible synthetic respondents for benchmarks and demos: agencies of different quality,
//! 27 items (22 criteria in five factors, then the five factor-level questions), about 3%
//! "no opinion", unequal weights.

use crate::index::IndexSpec;
use crate::sample::SeededRng;

pub const ITEMS: usize = 27;

/// The 27-item full-form layout: criteria 0..22 in factors of 4, 5, 6, 3 and 4 items.
pub fn full_form_spec() -> IndexSpec {
    let mut factors = Vec::new();
    let mut next = 0;
    for size in [4, 5, 6, 3, 4] {
        factors.push((next..next + size).collect());
        next += size;
    }
    IndexSpec {
        items: ITEMS,
        factors,
        threshold: 4,
    }
}

pub struct Generator {
    rng: SeededRng,
    agencies: u32,
    quality: Vec<f64>,
}

impl Generator {
    pub fn new(agencies: u32, seed: u64) -> Generator {
        let mut rng = SeededRng::new(seed);
        let quality = (0..agencies.max(1))
            .map(|_| 0.55 + 0.4 * rng.unit())
            .collect();
        Generator {
            rng,
            agencies: agencies.max(1),
            quality,
        }
    }

    /// Fills `answers` for the next respondent; returns (agency, weight).
    #[inline]
    pub fn next_respondent(&mut self, answers: &mut [Option<u8>]) -> (u32, f64) {
        let agency = self.rng.below(u64::from(self.agencies)) as u32;
        let q = self.quality[agency as usize];
        for a in answers.iter_mut() {
            let u = self.rng.unit();
            *a = if u < 0.03 {
                None
            } else if u < 0.03 + 0.97 * q {
                Some(4 + (self.rng.next_u64() & 1) as u8)
            } else {
                Some(1 + self.rng.below(3) as u8)
            };
        }
        (agency, 50.0 + 100.0 * self.rng.unit())
    }
}
