-- wrk script for scripts/bench-ingest: every request is a valid desk-form submission with its
-- own submission id, spread round-robin over the desks listed in $BENCH_TOKENS.
-- Submission ids are unique by construction: <run nonce>-<thread>-4000-8000-<counter>.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local tokens = {}
local counter = 0
ok, other = 0, 0  -- globals: done() reads them per thread with thread:get
local nonce = os.getenv("BENCH_NONCE") or "00000000"

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then table.insert(tokens, line) end
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local sid = string.format("%s-%04x-4000-8000-%012x", nonce, tid, counter)
  local v = counter % 5 + 1
  local body = "submission_id=" .. sid ..
      "&a.F1=" .. v .. "&a.F2=" .. (5 - counter % 3) .. "&a.F3=" .. (4 + counter % 2) ..
      "&a.F4=na&a.F5=" .. (3 + counter % 3) .. "&a.OVERALL=4&respondent_kind=individual&website="
  return wrk.format("POST", "/q/" .. token, headers, body)
end

function response(status, hdrs, body)
  if status >= 200 and status < 300 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local acked, refused = 0, 0
  for _, t in ipairs(threads) do
    acked = acked + t:get("ok")
    refused = refused + t:get("other")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT rate=%.1f p50_ms=%.2f p99_ms=%.2f acked=%d non2xx=%d socket_errors=%d\n",
    acked / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    acked, refused, e.connect + e.read + e.write + e.timeout))
end
