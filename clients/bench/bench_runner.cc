#include "bench_runner.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "agent_session.h"
#include "child_process.h"
#include "client_options.h"
#include "clock.h"
#include "cpu_interrupts.h"
#include "echo_run.h"
#include "machine_info.h"
#include "process_accounting.h"
#include "results_store.h"
#include "stack_capture.h"

namespace iotax::bench {
namespace {

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  if (s.size() > 400) s = "..." + s.substr(s.size() - 400);
  return s.empty() ? "(nothing on stderr)" : s;
}

// Keeps a failed run's log under a name that says which run it was; returns
// the new path.
std::string KeepLog(const std::string& from, const std::string& log_dir, const std::string& key, const char* what) {
  const std::string name = absl::StrReplaceAll(key, {{"#", ".r"}, {"+", "_"}});
  const std::string to = absl::StrCat(log_dir, "/", name, ".", what, ".log");
  std::rename(from.c_str(), to.c_str());
  return to;
}

}  // namespace

absl::Duration MeasuredWindow(const Point& point, const BenchConfig& config) {
  if (point.agent) return config.agent_duration;
  if (point.phase == Phase::kUnloaded) return config.unloaded_duration;
  return config.duration;
}

double ExpectedRunSeconds(const Point& point, const BenchConfig& config) {
  double s = absl::ToDoubleSeconds(config.warmup + MeasuredWindow(point, config));
  if (point.agent) s += 0.2;  // iotaxd loads and attaches its probes (0.1-0.2 s here)
  return s;
}

RunRecord RunPoint(const RunSlot& slot, double offered_rate, const BenchConfig& config, const RunnerOptions& o) {
  const int64_t t0 = client::NowNs();
  const Point& p = slot.point;
  RunRecord rec;
  rec.key = slot.Key();
  rec.point = p;
  rec.repeat = slot.repeat;
  rec.offered_rate = offered_rate;
  rec.started_at = NowRfc3339();
  rec.load_average = LoadAverage1();
  const CpuPlan cpus = PlanCpus(p.setup.placement, o.online_cpus);
  rec.server_cpus = cpus.server;
  rec.client_cpus = cpus.client;
  auto finish = [&](RunRecord& r) -> RunRecord {
    r.wall_s = static_cast<double>(client::NowNs() - t0) / 1e9;
    return std::move(r);
  };
  auto fail = [&](const std::string& why) {
    rec.ok = false;
    rec.error = why;
    return finish(rec);
  };

  const std::string server_log = absl::StrCat(o.log_dir, "/current.server.log");
  const std::string agent_log = absl::StrCat(o.log_dir, "/current.agent.log");
  auto server = ChildProcess::Start(
      {absl::StrCat(o.bin_dir, "/iotax-echo-server"), absl::StrCat("--model=", p.server), "--port=0",
       absl::StrCat("--cpus=", cpus.server), absl::StrCat("--work-ns=", p.setup.work_ns),
       absl::StrCat("--work-bytes=", p.setup.work_bytes)},
      server_log);
  if (!server.ok()) return fail(absl::StrCat("cannot start the ", p.server, " server: ", server.status().message()));
  const std::optional<std::string> line = (*server)->ReadLine(absl::Seconds(10));
  int port = 0;
  if (!line || !absl::StartsWith(*line, "listening on ") ||
      !absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port)) {
    (*server)->Stop();
    const std::string kept = KeepLog(server_log, o.log_dir, rec.key, "server");
    return fail(
        absl::StrCat("the ", p.server, " server did not say 'listening on HOST:PORT' within 10 s: ", Tail(kept)));
  }
  const int server_pid = (*server)->pid();

  std::unique_ptr<AgentSession> agent;
  const bool stacks = p.agent && p.phase == Phase::kProof && !o.stacks_out_dir.empty();
  if (p.agent) {
    auto session = AgentSession::Start(absl::StrCat(o.bin_dir, "/iotaxd"), server_pid,
                                       config.agent_duration - absl::Seconds(1), o.calibration_arg, agent_log, stacks);
    if (!session.ok()) {
      (*server)->Stop();
      KeepLog(agent_log, o.log_dir, rec.key, "agent");
      return fail(absl::StrCat("cannot attach iotaxd: ", session.status().message()));
    }
    agent = std::move(*session);
    rec.agent_startup_s = agent->startup_s();
  }

  client::ClientFlags f;
  f.model = p.setup.client;
  f.port = port;
  f.conns = p.phase == Phase::kUnloaded ? 1 : p.setup.conns;
  f.msg_size = absl::StrCat(p.setup.size);
  f.duration = MeasuredWindow(p, config);
  f.warmup = config.warmup;
  f.cpus = cpus.client;
  f.depth = p.phase == Phase::kClosed ? config.saturation_depth : 1;
  f.rate = offered_rate;
  f.seed = config.seed + static_cast<uint64_t>(slot.repeat);
  f.max_schedule_lag = config.max_schedule_lag;
  f.allow_invalid = true;
  auto options = client::ValidateClientFlags(f);
  if (!options.ok()) {
    if (agent) agent->Stop();
    (*server)->Stop();
    return fail(absl::StrCat("client options: ", options.status().message()));
  }

  absl::StatusOr<ProcessSample> before = absl::UnknownError("not sampled"), after = absl::UnknownError("not sampled");
  absl::StatusOr<AgentEstimate> estimate = absl::UnknownError("not read");
  absl::StatusOr<IpiCounts> ipis_before = absl::UnknownError("not read"), ipis_after = absl::UnknownError("not read");
  // Stacks at both edges of the window: their difference is the window's.
  absl::StatusOr<FoldedProfiles> stacks_before = absl::UnknownError("not read"),
                                 stacks_after = absl::UnknownError("not read");
  client::WindowHooks hooks;
  hooks.at_start = [&] {
    ipis_before = ReadIpis();
    before = SampleProcess(server_pid);
    if (stacks) stacks_before = agent->FetchStacks();
  };
  hooks.at_end = [&] {
    after = SampleProcess(server_pid);
    ipis_after = ReadIpis();
    if (agent) estimate = agent->Fetch();
    if (stacks) stacks_after = agent->FetchStacks();
  };
  auto report = client::RunEchoClient(*options, hooks);
  if (agent) agent->Stop();
  const int server_exit = (*server)->Stop();

  if (!report.ok()) {
    KeepLog(server_log, o.log_dir, rec.key, "server");
    return fail(absl::StrCat("the load client could not run: ", report.status().message()));
  }
  if (!before.ok() || !after.ok()) {
    KeepLog(server_log, o.log_dir, rec.key, "server");
    return fail(absl::StrCat("the server's /proc counters: ", (before.ok() ? after : before).status().message()));
  }
  if (report->errors > 0) {
    KeepLog(server_log, o.log_dir, rec.key, "server");
    return fail(absl::StrCat(report->errors, " client error(s), the first: ", report->first_error));
  }
  if (p.agent && !estimate.ok()) {
    KeepLog(agent_log, o.log_dir, rec.key, "agent");
    return fail(absl::StrCat("iotaxd's report: ", estimate.status().message()));
  }
  if (stacks) {
    // A run without its stacks is still a measured run: only the diff lacks it.
    const absl::Status got = !stacks_before.ok() ? stacks_before.status() : stacks_after.status();
    const absl::Status written =
        got.ok() ? WriteRunStacks(RunStacksDir(o.stacks_out_dir, rec.key),
                                  {SubtractFolded(stacks_after->offcpu, stacks_before->offcpu),
                                   SubtractFolded(stacks_after->oncpu, stacks_before->oncpu)})
                 : got;
    if (!written.ok()) rec.stacks_error = std::string(written.message());
  }

  rec.ok = true;
  rec.duration_s = report->duration_s;
  rec.requests = report->requests;
  rec.throughput_rps = report->throughput_rps;
  rec.p50_us = static_cast<double>(report->latency_ns.p50) / 1e3;
  rec.p90_us = static_cast<double>(report->latency_ns.p90) / 1e3;
  rec.p99_us = static_cast<double>(report->latency_ns.p99) / 1e3;
  rec.p999_us = static_cast<double>(report->latency_ns.p999) / 1e3;
  rec.max_us = static_cast<double>(report->latency_ns.max) / 1e3;
  rec.mean_us = report->latency_ns.mean / 1e3;
  rec.send_lag_p99_us = static_cast<double>(report->schedule_lag_ns.p99) / 1e3;
  rec.valid = report->valid;
  rec.invalid_reasons = report->invalid_reasons;
  rec.client_cpu_s = report->client_user_s + report->client_sys_s;
  rec.client_voluntary = report->voluntary_switches;
  rec.client_involuntary = report->involuntary_switches;
  rec.machine_busy_s = report->machine_busy_s;
  rec.machine_total_s = report->machine_total_s;

  const ProcessDelta d = Subtract(*before, *after, static_cast<double>(sysconf(_SC_CLK_TCK)));
  rec.server_window_s = d.window_s;
  rec.server_cpu_s = d.cpu_s;
  rec.server_user_s = d.user_s;
  rec.server_sys_s = d.sys_s;
  rec.server_voluntary = d.voluntary;
  rec.server_involuntary = d.involuntary;
  rec.server_threads = d.threads;
  rec.server_cpu_source = d.cpu_source;
  if (ipis_before.ok() && ipis_after.ok()) {
    rec.ipis = static_cast<int64_t>(ipis_after->total() - std::min(ipis_after->total(), ipis_before->total()));
  }
  if (server_exit != 0) {
    rec.valid = false;
    rec.invalid_reasons.push_back(
        absl::StrCat("the server exited with ", server_exit, " after the run: ", Tail(server_log)));
  }
  if (p.agent) {
    rec.agent = *estimate;
    // The verdict window must lie inside the measured window.
    if (estimate->window_s > absl::ToDoubleSeconds(f.duration) + 0.05) {
      rec.valid = false;
      rec.invalid_reasons.push_back(
          absl::StrFormat("iotaxd's window (%.2f s) is longer than the measured window", estimate->window_s));
    }
  }
  return finish(rec);
}

}  // namespace iotax::bench
