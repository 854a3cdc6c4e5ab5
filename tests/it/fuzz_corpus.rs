//! The fuzz targets' committed inputs — the seed corpora (`fuzz/corpus/<target>/`) and every
//! input that once crashed a target (`fuzz/regressions/<target>/`) — replayed through the same
//! entry points on every test run, so a fixed crash stays fixed (issue #9, point 3).

use std::path::Path;

use sipas::fuzzing::{seeds, TARGETS};

#[test]
fn the_committed_corpora_and_past_crashes_replay_cleanly() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, target) in TARGETS {
        let corpus = fuzz.join("corpus").join(name);
        if std::env::var_os("SIPAS_WRITE_SEEDS").is_some() {
            std::fs::create_dir_all(&corpus).unwrap();
            for (i, seed) in seeds(name).iter().enumerate() {
                std::fs::write(corpus.join(format!("seed-{i}")), seed).unwrap();
            }
        }
        let mut replayed = 0;
        for dir in [corpus, fuzz.join("regressions").join(name)] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let input = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&input));
                assert!(outcome.is_ok(), "{} fails on {}", name, path.display());
                replayed += 1;
            }
        }
        assert!(replayed > 0, "{name} has a committed seed corpus");
    }
}
