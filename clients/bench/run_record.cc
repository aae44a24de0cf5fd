#include "run_record.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

double PerSecond(double value, double window_s) { return window_s > 0 ? value / window_s : 0; }

}  // namespace

double RunRecord::ServerCpuPerRequestUs() const {
  // CPU rate over the server's window / request rate over the client's: the
  // two windows are the same up to the microseconds between their reads.
  return throughput_rps > 0 ? PerSecond(server_cpu_s, server_window_s) / throughput_rps * 1e6 : 0;
}
double RunRecord::ServerUserPerRequestUs() const {
  return throughput_rps > 0 ? PerSecond(server_user_s, server_window_s) / throughput_rps * 1e6 : 0;
}
double RunRecord::ServerSysPerRequestUs() const {
  return throughput_rps > 0 ? PerSecond(server_sys_s, server_window_s) / throughput_rps * 1e6 : 0;
}
double RunRecord::ClientCpuPerRequestUs() const {
  return requests > 0 ? client_cpu_s / static_cast<double>(requests) * 1e6 : 0;
}
double RunRecord::MachineCpuPerRequestUs() const {
  return requests > 0 ? machine_busy_s / static_cast<double>(requests) * 1e6 : 0;
}
double RunRecord::ServerSwitchesPerRequest() const {
  return throughput_rps > 0
             ? PerSecond(static_cast<double>(server_voluntary + server_involuntary), server_window_s) / throughput_rps
             : 0;
}
double RunRecord::IpisPerRequest() const {
  if (ipis < 0 || throughput_rps <= 0 || server_window_s <= 0) return std::nan("");
  return PerSecond(static_cast<double>(ipis), server_window_s) / throughput_rps;
}
std::optional<double> RunRecord::SyscallsPerRequest() const {
  if (!agent || agent->window_s <= 0 || throughput_rps <= 0) return std::nullopt;
  return static_cast<double>(agent->syscalls) / agent->window_s / throughput_rps;
}
std::optional<double> RunRecord::PredictedSavingPerRequestUs() const {
  if (!agent || !agent->saving_share) return std::nullopt;
  return *agent->saving_share * ServerCpuPerRequestUs();
}

json PointFieldsJson(const Point& point) {
  json j;
  j["point_id"] = point.Id();
  j["phase"] = PhaseName(point.phase);
  j["server"] = point.server;
  j["client"] = point.setup.client;
  j["conns"] = point.setup.conns;
  j["msg_size"] = point.setup.size;
  j["work_ns"] = point.setup.work_ns;
  j["work_bytes"] = point.setup.work_bytes;
  j["placement"] = PlacementName(point.setup.placement);
  j["fraction"] = point.fraction;
  j["agent_attached"] = point.agent;
  return j;
}

json RunRecord::ToJson() const {
  json j = PointFieldsJson(point);
  j["key"] = key;
  j["repeat"] = repeat;
  j["offered_rate"] = offered_rate;
  j["server_cpus"] = server_cpus;
  j["client_cpus"] = client_cpus;
  j["started_at"] = started_at;
  j["wall_s"] = wall_s;
  j["load_average_1m"] = load_average;
  j["ok"] = ok;
  j["error"] = error;
  json c;
  c["duration_s"] = duration_s;
  c["requests"] = requests;
  c["throughput_rps"] = throughput_rps;
  c["latency_us"] = {{"p50", p50_us},   {"p90", p90_us}, {"p99", p99_us},
                     {"p999", p999_us}, {"max", max_us}, {"mean", mean_us}};
  c["send_lag_p99_us"] = send_lag_p99_us;
  c["valid"] = valid;
  c["invalid_reasons"] = invalid_reasons;
  c["cpu_s"] = client_cpu_s;
  c["voluntary_switches"] = client_voluntary;
  c["involuntary_switches"] = client_involuntary;
  c["machine_busy_s"] = machine_busy_s;
  c["machine_total_s"] = machine_total_s;
  j["client_measured"] = c;
  json s;
  s["window_s"] = server_window_s;
  s["cpu_s"] = server_cpu_s;
  s["user_s"] = server_user_s;
  s["sys_s"] = server_sys_s;
  s["voluntary_switches"] = server_voluntary;
  s["involuntary_switches"] = server_involuntary;
  s["threads"] = server_threads;
  s["cpu_source"] = server_cpu_source;
  s["machine_ipis"] = ipis;
  j["server_measured"] = s;
  j["per_request"] = {
      {"server_cpu_us", ServerCpuPerRequestUs()},
      {"client_cpu_us", ClientCpuPerRequestUs()},
      {"machine_cpu_us", MachineCpuPerRequestUs()},
      {"server_switches", ServerSwitchesPerRequest()},
      {"machine_ipis", std::isfinite(IpisPerRequest()) ? json(IpisPerRequest()) : json(nullptr)},
      {"syscalls", SyscallsPerRequest() ? json(*SyscallsPerRequest()) : json(nullptr)},
      {"predicted_saving_us", PredictedSavingPerRequestUs() ? json(*PredictedSavingPerRequestUs()) : json(nullptr)}};
  j["agent"] = agent ? agent->ToJson() : json(nullptr);
  j["agent_startup_s"] = agent_startup_s;
  if (!stacks_error.empty()) j["stacks_error"] = stacks_error;
  return j;
}

absl::StatusOr<RunRecord> RunRecord::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("key") || !j.contains("phase") || !j.contains("client_cpus")) {
    return absl::DataLossError("a run without key, phase or CPUs");
  }
  try {
    RunRecord r;
    r.key = j.at("key").get<std::string>();
    const std::string phase = j.at("phase").get<std::string>();
    if (phase == "unloaded") {
      r.point.phase = Phase::kUnloaded;
    } else if (phase == "closed") {
      r.point.phase = Phase::kClosed;
    } else if (phase == "open") {
      r.point.phase = Phase::kOpen;
    } else if (phase == "proof") {
      r.point.phase = Phase::kProof;
    } else {
      return absl::DataLossError(absl::StrCat("unknown phase '", phase, "'"));
    }
    r.point.server = j.at("server").get<std::string>();
    r.point.setup.client = j.at("client").get<std::string>();
    r.point.setup.conns = j.at("conns").get<int>();
    r.point.setup.size = j.at("msg_size").get<size_t>();
    r.point.setup.work_ns = j.at("work_ns").get<int64_t>();
    r.point.setup.work_bytes = j.at("work_bytes").get<int64_t>();
    r.point.setup.placement =
        j.at("placement").get<std::string>() == "shared" ? Placement::kShared : Placement::kSeparate;
    r.point.fraction = j.at("fraction").get<double>();
    r.point.agent = j.at("agent_attached").get<bool>();
    r.repeat = j.at("repeat").get<int>();
    r.offered_rate = j.at("offered_rate").get<double>();
    r.server_cpus = j.at("server_cpus").get<std::string>();
    r.client_cpus = j.at("client_cpus").get<std::string>();
    r.started_at = j.value("started_at", "");
    r.wall_s = j.value("wall_s", 0.0);
    r.load_average = j.value("load_average_1m", -1.0);
    r.ok = j.at("ok").get<bool>();
    r.error = j.value("error", "");
    const json& c = j.at("client_measured");
    r.duration_s = c.value("duration_s", 0.0);
    r.requests = c.value("requests", uint64_t{0});
    r.throughput_rps = c.value("throughput_rps", 0.0);
    const json& l = c.at("latency_us");
    r.p50_us = l.value("p50", 0.0);
    r.p90_us = l.value("p90", 0.0);
    r.p99_us = l.value("p99", 0.0);
    r.p999_us = l.value("p999", 0.0);
    r.max_us = l.value("max", 0.0);
    r.mean_us = l.value("mean", 0.0);
    r.send_lag_p99_us = c.value("send_lag_p99_us", 0.0);
    r.valid = c.value("valid", true);
    if (c.contains("invalid_reasons")) r.invalid_reasons = c["invalid_reasons"].get<std::vector<std::string>>();
    r.client_cpu_s = c.value("cpu_s", 0.0);
    r.client_voluntary = c.value("voluntary_switches", int64_t{0});
    r.client_involuntary = c.value("involuntary_switches", int64_t{0});
    r.machine_busy_s = c.value("machine_busy_s", 0.0);
    r.machine_total_s = c.value("machine_total_s", 0.0);
    const json& s = j.at("server_measured");
    r.server_window_s = s.value("window_s", 0.0);
    r.server_cpu_s = s.value("cpu_s", 0.0);
    r.server_user_s = s.value("user_s", 0.0);
    r.server_sys_s = s.value("sys_s", 0.0);
    r.server_voluntary = s.value("voluntary_switches", uint64_t{0});
    r.server_involuntary = s.value("involuntary_switches", uint64_t{0});
    r.server_threads = s.value("threads", 0);
    r.server_cpu_source = s.value("cpu_source", "");
    r.ipis = s.value("machine_ipis", int64_t{-1});
    if (j.contains("agent") && j["agent"].is_object()) r.agent = AgentEstimate::FromJson(j["agent"]);
    r.agent_startup_s = j.value("agent_startup_s", 0.0);
    r.stacks_error = j.value("stacks_error", "");
    if (r.key != absl::StrCat(r.point.Id(), "#", r.repeat)) {
      return absl::DataLossError(absl::StrCat("run '", r.key, "' does not match its own parameters"));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("a run with a missing or mistyped field: ", e.what()));
  }
}

}  // namespace iotax::bench
