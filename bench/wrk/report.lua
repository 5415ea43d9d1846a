-- Shared by the wrk scripts: one machine-readable result line at the end of a run.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests_per_sec=%.0f non2xx_or_3xx=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests / seconds, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
