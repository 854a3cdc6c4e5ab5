//! Benchmark harness (not a test): SIPAS indices with intervals for N respondents × 27 items
//! across A agencies (strata), on one core. Prints the median of several runs.
//!
//!   cargo run --release -p analysis --example bench_indices -- [respondents] [agencies] [runs]
//!
//! Each respondent is generated and added at once (streamed), so peak memory shows what the
//! accumulator itself needs: it must not grow with the number of respondents. The in-memory
//! timing is `cargo bench -p analysis` (divan).
//!
//! `--csv FILE N A` writes N respondents × 1 item (the share-satisfied indicator) across A
//! agencies for the R comparison in bench/compare-with-r.sh.

use std::io::Write;
use std::time::Instant;

use analysis::{IndexAccumulator, IntervalKind, LonelyPsu, ReportOptions, Respondent};

use analysis::synthetic::{full_form_spec as spec, Generator, ITEMS};

fn report_all(acc: &IndexAccumulator) -> f64 {
    let opts = ReportOptions {
        lonely: LonelyPsu::Certainty,
        interval: IntervalKind::Design(analysis::DesignMethod::Logit),
        ..Default::default()
    };
    let mut checksum = acc.report(None, &opts).unwrap().overall.unwrap().estimate;
    for h in acc.strata() {
        checksum += acc.report(Some(h), &opts).unwrap().overall.unwrap().ci_low;
    }
    checksum
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--csv") {
        let (path, n, a): (&str, usize, u32) =
            (&args[1], args[2].parse().unwrap(), args[3].parse().unwrap());
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        writeln!(out, "agency,w,y").unwrap();
        let mut g = Generator::new(a, 1);
        let mut answers = [None; ITEMS];
        for _ in 0..n {
            let (agency, w) = g.next_respondent(&mut answers);
            // Missing counts as not satisfied here: both sides get the same complete 0/1 column.
            let y = u8::from(answers[0].is_some_and(|v| v >= 4));
            writeln!(out, "{agency},{w:.3},{y}").unwrap();
        }
        return;
    }
    let n: usize = args
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let agencies: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);

    let mut times = Vec::with_capacity(runs);
    let mut checksum = 0.0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut g = Generator::new(agencies, 1);
        let mut acc = IndexAccumulator::new(spec(), false).unwrap();
        let mut answers = [None; ITEMS];
        for _ in 0..n {
            let (stratum, weight) = g.next_respondent(&mut answers);
            acc.add(&Respondent {
                stratum,
                psu: None,
                weight,
                pop_size: None,
                answers: &answers,
            })
            .unwrap();
        }
        checksum = report_all(&acc);
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{} respondents x {ITEMS} items x {agencies} agencies, streamed (generation included): median {:.3} s over {runs} runs (min {:.3}, max {:.3}); checksum {checksum:.6}",
        n,
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
