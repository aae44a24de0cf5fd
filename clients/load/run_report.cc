#include "run_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace iotax::client {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          out += absl::StrFormat("\\u%04x", ch);
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "0";
  return absl::StrFormat("%.9g", v);
}

std::string JsonLatency(const LatencySummary& l) {
  return absl::StrCat("{\"p50\":", l.p50, ",\"p90\":", l.p90, ",\"p99\":", l.p99, ",\"p999\":", l.p999,
                      ",\"max\":", l.max, ",\"mean\":", JsonNumber(l.mean), "}");
}

std::string Micros(uint64_t ns) { return absl::StrFormat("%.1f", static_cast<double>(ns) / 1e3); }

}  // namespace

LatencySummary Summarize(const LogLinearHistogram& h) {
  LatencySummary s;
  s.p50 = h.Percentile(50);
  s.p90 = h.Percentile(90);
  s.p99 = h.Percentile(99);
  s.p999 = h.Percentile(99.9);
  s.max = h.max();
  s.mean = h.mean();
  return s;
}

std::string FormatHumanReport(const RunReport& r) {
  std::string load = r.mode == "closed" ? absl::StrCat("closed loop, depth ", r.depth)
                                        : absl::StrFormat("open loop, %.0f req/s Poisson", r.rate);
  const std::string rings =
      r.model == "uring" ? absl::StrCat(" (", r.rings, " ring(s)", r.busy_poll ? ", busy-polling" : "", ")") : "";
  const char* realtime = r.realtime ? ", real-time priority" : "";
  std::string out = absl::StrFormat(
      "iotax-echo-client: %s model%s%s, %s, %d connection(s) to %s:%d, %d B messages, %.1f s measured after %.1f s "
      "warm-up\n",
      r.model, rings, realtime, load, r.conns, r.host, r.port,
      r.msg_size, r.duration_s, r.warmup_s);
  absl::StrAppendFormat(&out, "  %-16s %d  (%.0f req/s)\n", "requests", r.requests, r.throughput_rps);
  const LatencySummary& l = r.latency_ns;
  absl::StrAppendFormat(&out, "  %-16s p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %.1f\n", "latency (us)",
                        Micros(l.p50), Micros(l.p90), Micros(l.p99), Micros(l.p999), Micros(l.max), l.mean / 1e3);
  if (r.mode == "open") {
    absl::StrAppendFormat(&out, "  %-16s p50 %s  p99 %s  max %s  (actual send time - intended)\n",
                          "send lag (us)", Micros(r.schedule_lag_ns.p50), Micros(r.schedule_lag_ns.p99),
                          Micros(r.schedule_lag_ns.max));
  }
  absl::StrAppendFormat(&out, "  %-16s %d bytes echoed and checked, %d error(s)%s\n", "verified", r.bytes_verified,
                        r.errors, r.errors ? absl::StrCat(": first: ", r.first_error) : "");
  absl::StrAppendFormat(&out, "  %-16s user %.3f s  sys %.3f s  (%.2f us/request)  switches %d vol / %d invol\n",
                        "client CPU", r.client_user_s, r.client_sys_s, r.ClientCpuPerRequestUs(),
                        r.voluntary_switches, r.involuntary_switches);
  if (r.runqueue_wait_s >= 0) {
    absl::StrAppendFormat(&out, "  %-16s %.1f ms runnable but waiting for a CPU (all threads)\n", "client waited",
                          r.runqueue_wait_s * 1e3);
  }
  absl::StrAppendFormat(&out, "  %-16s busy %.2f of %.2f CPU-s on %d core(s) (%.0f%%)\n", "machine CPU",
                        r.machine_busy_s, r.machine_total_s, r.machine_cores,
                        r.machine_total_s > 0 ? 100.0 * r.machine_busy_s / r.machine_total_s : 0.0);
  absl::StrAppendFormat(&out, "  %-16s %d overflow(s), %d drop(s) during the run\n", "listen queue",
                        r.listen_overflows, r.listen_drops);
  if (r.valid) {
    absl::StrAppend(&out, "  result           VALID\n");
  } else {
    absl::StrAppend(&out, "  result           INVALID\n");
    for (const std::string& why : r.invalid_reasons) absl::StrAppend(&out, "    - ", why, "\n");
  }
  return out;
}

std::string FormatJsonReport(const RunReport& r) {
  std::vector<std::string> reasons;
  for (const std::string& why : r.invalid_reasons) reasons.push_back(JsonString(why));
  return absl::StrCat(
      "{\"model\":", JsonString(r.model), ",\"mode\":", JsonString(r.mode), ",\"host\":", JsonString(r.host),
      ",\"port\":", r.port, ",\"conns\":", r.conns, ",\"msg_size\":", r.msg_size, ",\"depth\":", r.depth,
      ",\"rate\":", JsonNumber(r.rate), ",\"rings\":", r.rings, ",\"busy_poll\":", r.busy_poll ? "true" : "false",
      ",\"realtime\":", r.realtime ? "true" : "false",
      ",\"seed\":", r.seed,
      ",\"warmup_s\":", JsonNumber(r.warmup_s), ",\"duration_s\":", JsonNumber(r.duration_s),
      ",\"requests\":", r.requests, ",\"throughput_rps\":", JsonNumber(r.throughput_rps),
      ",\"latency_ns\":", JsonLatency(r.latency_ns), ",\"schedule_lag_ns\":", JsonLatency(r.schedule_lag_ns),
      ",\"errors\":", r.errors, ",\"first_error\":", JsonString(r.first_error),
      ",\"bytes_verified\":", r.bytes_verified, ",\"client_cpu_s\":{\"user\":", JsonNumber(r.client_user_s),
      ",\"sys\":", JsonNumber(r.client_sys_s), "},\"client_cpu_per_request_us\":",
      JsonNumber(r.ClientCpuPerRequestUs()),
      ",\"client_runqueue_wait_s\":", r.runqueue_wait_s >= 0 ? JsonNumber(r.runqueue_wait_s) : "null",
      ",\"context_switches\":{\"voluntary\":", r.voluntary_switches,
      ",\"involuntary\":", r.involuntary_switches, "},\"machine_cpu\":{\"busy_s\":", JsonNumber(r.machine_busy_s),
      ",\"total_s\":", JsonNumber(r.machine_total_s), ",\"cores\":", r.machine_cores,
      "},\"listen_overflows\":", r.listen_overflows, ",\"listen_drops\":", r.listen_drops,
      ",\"valid\":", r.valid ? "true" : "false", ",\"invalid_reasons\":[", absl::StrJoin(reasons, ","), "]}");
}

}  // namespace iotax::client
