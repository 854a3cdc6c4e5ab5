#!/usr/bin/env bash
# Index benchmark (issue #3), run from the repository root:
#   analysis/bench/compare-with-r.sh [respondents-for-R]
# 1. Rust: SIPAS indices with intervals, 1,000,000 respondents x 27 items x 500 agencies, one
#    core, median of 5 runs (generation excluded).
# 2. Peak memory when streamed: 1,000,000 vs 4,000,000 respondents (must not grow).
# 3. The same 100,000 x 1 item x 500 agencies data through R's
#    svyby(~y, ~agency, design, svyciprop) and through `sipas analyze` (CSV parsing included).
set -euo pipefail
cd "$(dirname "$0")/../.."
N_R=${1:-100000}
scripts/ensure-deps r-base-core r-cran-survey time
cargo build --release --locked -q -p analysis --example bench_indices
cargo build --release --locked -q --bin sipas
BENCH=target/release/examples/bench_indices
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== Rust, in memory (divan)"
taskset -c 0 cargo bench --locked -q -p analysis --bench indices 2>/dev/null | grep -E "indices|000"

echo "== Peak memory, streamed (generation included)"
for n in 1000000 4000000; do
  /usr/bin/time -f "%M" -o "$WORK/rss" taskset -c 0 "$BENCH" "$n" 500 1
  echo "  peak RSS with $n respondents: $(( $(cat "$WORK/rss") / 1024 )) MiB"
done

echo "== R survey vs sipas analyze: $N_R respondents x 1 item x 500 agencies"
"$BENCH" --csv "$WORK/one-item.csv" "$N_R" 500
cat > "$WORK/r.R" <<'RS'
suppressPackageStartupMessages(library(survey))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
des <- svydesign(id = ~1, strata = ~agency, weights = ~w, data = d)
times <- replicate(3, system.time(svyby(~y, ~agency, des, svyciprop, vartype = "ci"))[["elapsed"]])
cat(sprintf("R svyby(svyciprop): median %.3f s over 3 runs\n", median(times)))
RS
r_out=$(taskset -c 0 Rscript "$WORK/r.R" "$WORK/one-item.csv")
echo "  $r_out"
rust_s=$(python3 - "$WORK/one-item.csv" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run(["taskset", "-c", "0", "target/release/sipas", "analyze", "--input", sys.argv[1],
                    "--measure", "y", "--threshold", "1", "--strata", "agency", "--weight", "w",
                    "--by", "agency", "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t)
runs.sort()
print(f"{runs[2]:.4f}")
PY
)
echo "  sipas analyze (same design, same estimator, CSV parsing included): median ${rust_s} s over 5 runs"
r_s=$(sed -E 's/.*median ([0-9.]+) s.*/\1/' <<<"$r_out")
awk -v r="$r_s" -v s="$rust_s" 'BEGIN{printf "  speed-up: %.0fx (target >= 100x)\n", r/s}'
