-- wrk script: GET one path with the session cookie of BENCH_COOKIE; prints the latency
-- percentiles the results benchmark reports, in ms, on one line starting with RESULT.
local cookie = os.getenv("BENCH_COOKIE") or ""
wrk.headers["Cookie"] = cookie

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    "RESULT requests=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f non2xx=%d errors=%d\n",
    summary.requests,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
