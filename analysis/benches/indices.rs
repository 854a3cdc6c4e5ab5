//! `cargo bench -p analysis`: all SIPAS indices with intervals for 1,000,000 respondents × 27
//! items across 500 agencies (province and every agency), data in memory, one thread.
//! analysis/bench/compare-with-r.sh adds the R comparison and the streamed-memory check.

use analysis::synthetic::{full_form_spec, Generator, ITEMS};
use analysis::{IndexAccumulator, LonelyPsu, ReportOptions, Respondent};

fn main() {
    divan::main();
}

type Row = (u32, f64, [Option<u8>; ITEMS]);

fn data(n: usize) -> Vec<Row> {
    let mut g = Generator::new(500, 1);
    (0..n)
        .map(|_| {
            let mut answers = [None; ITEMS];
            let (agency, w) = g.next_respondent(&mut answers);
            (agency, w, answers)
        })
        .collect()
}

#[divan::bench(args = [100_000, 1_000_000], sample_count = 5, sample_size = 1)]
fn indices_with_intervals(bencher: divan::Bencher, n: usize) {
    let rows = data(n);
    bencher.bench(|| {
        let mut acc = IndexAccumulator::new(full_form_spec(), false).unwrap();
        for (stratum, weight, answers) in &rows {
            acc.add(&Respondent {
                stratum: *stratum,
                psu: None,
                weight: *weight,
                pop_size: None,
                answers,
            })
            .unwrap();
        }
        let opts = ReportOptions {
            lonely: LonelyPsu::Certainty,
            ..Default::default()
        };
        let province = acc.report(None, &opts).unwrap();
        let agencies: Vec<_> = acc
            .strata()
            .into_iter()
            .map(|h| acc.report(Some(h), &opts).unwrap())
            .collect();
        divan::black_box((province, agencies))
    });
}
