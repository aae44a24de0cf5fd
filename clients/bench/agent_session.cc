#include "agent_session.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clock.h"
#include "http_get.h"

// std::optional as null or its value (nlohmann 3.11.2 has no serializer for it).
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) { j = v ? json(*v) : json(nullptr); }
  static void from_json(const json& j, std::optional<T>& v) {
    v = j.is_null() ? std::nullopt : std::optional<T>(j.get<T>());
  }
};
}  // namespace nlohmann

namespace iotax::bench {
namespace {

using nlohmann::json;

std::optional<double> OptNumber(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}
double Number(const json& j, const char* key) { return OptNumber(j, key).value_or(0.0); }
std::string Text(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 600) s = "..." + s.substr(s.size() - 600);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.empty() ? "(no output)" : s;
}

}  // namespace

// Every field under its own name; a missing key keeps the default, so older
// results.json files still load.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AgentEstimate, window_s, cpu_s, cpu_source, user_s, syscall_s,
                                                io_worker_s, untraced_s, syscalls, calls_by_class, voluntary,
                                                involuntary, level, confidence, async_cost_source, summary,
                                                overhead_share, direct_s, indirect_s, async_cost_s, saving_share,
                                                saving_s, saving_share_lo, saving_share_hi, async_cost_per_call_s,
                                                direct_per_blocked_call_s, runqueue_wait_p99_s, blocked_io_calls,
                                                reasons, pmu_up, calibration_used, metric_overhead_ratio,
                                                metric_saving_ratio, metric_verdict_level)

json AgentEstimate::ToJson() const { return *this; }

AgentEstimate AgentEstimate::FromJson(const json& j) { return j.get<AgentEstimate>(); }

absl::StatusOr<AgentEstimate> ParseAgentReport(const std::string& body, int pid) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("targets") || !doc["targets"].is_array()) {
    return absl::DataLossError("iotaxd's /api/report is not the expected JSON (an object with a targets array)");
  }
  const json* target = nullptr;
  for (const json& t : doc["targets"]) {
    if (t.is_object() && t.value("pid", 0) == pid) target = &t;
  }
  if (target == nullptr) return absl::NotFoundError(absl::StrCat("iotaxd's /api/report has no target with pid ", pid));
  const json& t = *target;
  AgentEstimate a;
  a.window_s = Number(t, "window_seconds");
  a.cpu_s = Number(t, "cpu_seconds");
  if (t.contains("cpu")) {
    const json& c = t["cpu"];
    a.cpu_source = Text(c, "source");
    a.user_s = Number(c, "user_seconds");
    a.syscall_s = Number(c, "syscall_seconds");
    a.io_worker_s = Number(c, "io_worker_seconds");
    a.untraced_s = OptNumber(c, "untraced_seconds");
  }
  if (t.contains("syscalls") && t["syscalls"].is_array()) {
    for (const json& s : t["syscalls"]) {
      const uint64_t calls = s.value("calls", uint64_t{0});
      a.calls_by_class[Text(s, "class")] += calls;
      a.syscalls += calls;
    }
  }
  if (t.contains("context_switches")) {
    a.voluntary = t["context_switches"].value("voluntary", uint64_t{0});
    a.involuntary = t["context_switches"].value("involuntary", uint64_t{0});
  }
  if (t.contains("verdict") && t["verdict"].is_object()) {
    const json& v = t["verdict"];
    a.level = Text(v, "level");
    a.confidence = Text(v, "confidence");
    a.async_cost_source = Text(v, "async_cost_source");
    a.summary = Text(v, "summary");
    a.overhead_share = OptNumber(v, "overhead_share");
    a.direct_s = OptNumber(v, "direct_cpu_seconds");
    a.indirect_s = OptNumber(v, "indirect_cpu_seconds");
    a.async_cost_s = OptNumber(v, "async_cost_cpu_seconds");
    a.saving_share = OptNumber(v, "estimated_saving_share");
    a.saving_s = OptNumber(v, "estimated_saving_cpu_seconds");
    if (v.contains("estimated_saving_share_ci") && v["estimated_saving_share_ci"].is_array() &&
        v["estimated_saving_share_ci"].size() == 2 && v["estimated_saving_share_ci"][0].is_number()) {
      a.saving_share_lo = v["estimated_saving_share_ci"][0].get<double>();
      a.saving_share_hi = v["estimated_saving_share_ci"][1].get<double>();
    }
    a.async_cost_per_call_s = OptNumber(v, "async_cost_per_call_seconds");
    a.direct_per_blocked_call_s = OptNumber(v, "direct_cost_per_blocked_call_seconds");
    a.runqueue_wait_p99_s = OptNumber(v, "runqueue_wait_p99_seconds");
    a.blocked_io_calls = v.value("blocked_io_calls", uint64_t{0});
    if (v.contains("reasons") && v["reasons"].is_array()) {
      for (const json& r : v["reasons"]) {
        if (r.is_string()) a.reasons.push_back(r.get<std::string>());
      }
    }
  }
  if (doc.contains("pmu")) a.pmu_up = doc["pmu"].value("up", false);
  if (doc.contains("calibration")) a.calibration_used = doc["calibration"].value("used", false);
  return a;
}

void ParseAgentMetrics(const std::string& text, int pid, AgentEstimate* out) {
  const std::string label = absl::StrCat("pid=\"", pid, "\"");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#' || !absl::StrContains(line, label)) continue;
    const size_t brace = line.find('{');
    const size_t close = line.rfind('}');
    if (brace == absl::string_view::npos || close == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, brace);
    double value = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(close + 1)), &value)) continue;
    if (name == "iotax_blocking_overhead_ratio") out->metric_overhead_ratio = value;
    if (name == "iotax_async_saving_ratio") out->metric_saving_ratio = value;
    if (name == "iotax_verdict_level") out->metric_verdict_level = value;
  }
}

absl::StatusOr<std::unique_ptr<AgentSession>> AgentSession::Start(const std::string& iotaxd, int pid,
                                                                  absl::Duration verdict_window,
                                                                  const std::string& calibration_arg,
                                                                  const std::string& stderr_path, bool stacks) {
  const int64_t t0 = client::NowNs();
  std::vector<std::string> argv = {iotaxd, absl::StrCat("--pid=", pid), "--listen=127.0.0.1:0",
                                   absl::StrCat("--verdict-window=", absl::FormatDuration(verdict_window))};
  if (!calibration_arg.empty()) argv.push_back(absl::StrCat("--calibration=", calibration_arg));
  if (stacks) argv.push_back("--stacks");
  auto child = ChildProcess::Start(argv, stderr_path);
  if (!child.ok()) return child.status();
  auto session = std::unique_ptr<AgentSession>(new AgentSession());
  session->child_ = std::move(*child);
  session->pid_ = pid;
  session->stderr_path_ = stderr_path;
  // "iotaxd listening on http://127.0.0.1:PORT/metrics"
  const std::optional<std::string> line = session->child_->ReadLine(absl::Seconds(15));
  const std::string marker = "http://127.0.0.1:";
  const size_t at = line ? line->find(marker) : std::string::npos;
  int port = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(line->substr(at + marker.size(), line->find('/', at + marker.size()) - at - marker.size()),
                        &port)) {
    session->child_->Stop(absl::Seconds(2));
    return absl::UnavailableError(absl::StrCat("iotaxd did not start (no 'listening on' line within 15 s): ",
                                               Tail(stderr_path), " (run `iotaxd --check`: it needs root and BPF)"));
  }
  session->port_ = static_cast<uint16_t>(port);
  // Ready once the report lists the target: its probes are attached.
  const int64_t deadline = client::NowNs() + 15'000'000'000;
  for (;;) {
    auto r = HttpGet("127.0.0.1", session->port_, "/api/report", absl::Seconds(5));
    if (r.ok() && r->status == 200 && ParseAgentReport(r->body, pid).ok()) break;
    if (!session->child_->running() || session->child_->Wait(absl::ZeroDuration()) || client::NowNs() > deadline) {
      session->child_->Stop(absl::Seconds(2));
      return absl::UnavailableError(
          absl::StrCat("iotaxd did not list process ", pid, " in /api/report within 15 s: ", Tail(stderr_path)));
    }
    usleep(50'000);
  }
  session->startup_s_ = static_cast<double>(client::NowNs() - t0) / 1e9;
  return session;
}

absl::StatusOr<AgentEstimate> AgentSession::Fetch() {
  auto r = HttpGet("127.0.0.1", port_, "/api/report", absl::Seconds(10));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("iotaxd's /api/report answered HTTP ", r->status, ": ", r->body.substr(0, 200)));
  }
  auto estimate = ParseAgentReport(r->body, pid_);
  if (!estimate.ok()) return estimate.status();
  auto m = HttpGet("127.0.0.1", port_, "/metrics", absl::Seconds(10));
  if (m.ok() && m->status == 200) ParseAgentMetrics(m->body, pid_, &*estimate);
  return estimate;
}

absl::StatusOr<FoldedProfiles> AgentSession::FetchStacks() {
  auto r = HttpGet("127.0.0.1", port_, "/api/stacks", absl::Seconds(20));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("iotaxd's /api/stacks answered HTTP ", r->status, ": ", r->body.substr(0, 200)));
  }
  const json doc = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("offcpu_folded") || !doc["offcpu_folded"].is_string()) {
    return absl::DataLossError("iotaxd's /api/stacks is not the expected JSON (offcpu_folded, oncpu_folded)");
  }
  return FoldedProfiles{Text(doc, "offcpu_folded"), Text(doc, "oncpu_folded")};
}

void AgentSession::Stop() {
  if (child_) child_->Stop(absl::Seconds(5));
}

}  // namespace iotax::bench
