#include "bench_session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_aggregate.h"
#include "bench_report.h"
#include "bench_runner.h"
#include "child_process.h"
#include "clock.h"
#include "machine_info.h"
#include "progress.h"
#include "proof_analysis.h"
#include "results_store.h"
#include "saturation.h"
#include "stack_capture.h"

namespace iotax::bench {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string SlotLabel(const RunSlot& s) {
  const Point& p = s.point;
  std::string load;
  switch (p.phase) {
    case Phase::kUnloaded:
      load = "unloaded";
      break;
    case Phase::kClosed:
      load = "closed loop";
      break;
    case Phase::kOpen:
      load = absl::StrFormat("open %.0f%%", 100 * p.fraction);
      break;
    case Phase::kProof:
      load = absl::StrFormat("proof %.0f%%", 100 * p.fraction);
      break;
  }
  return absl::StrCat(p.server, p.agent ? "+iotaxd" : "", " ",
                      p.phase == Phase::kUnloaded ? p.setup.Unloaded().Label() : p.setup.Label(), ", ", load, " r",
                      s.repeat + 1);
}

}  // namespace

absl::StatusOr<std::string> PrepareCalibration(const BenchConfig& config, const std::string& out_dir,
                                               const std::string& bin_dir, int online_cpus, std::string* note) {
  switch (config.calibration.kind) {
    case CalibrationChoice::kNone:
      *note = "none: estimated from the blocking server's own non-blocking calls";
      return std::string("none");
    case CalibrationChoice::kMachine:
      *note = "this machine's `iotax calibrate` cache (iotaxd's default; the report says if none matched)";
      return std::string();
    case CalibrationChoice::kPath:
      if (!Exists(config.calibration.path)) {
        return absl::NotFoundError(absl::StrCat("calibration = ", config.calibration.path,
                                                ": no such file: run `iotax calibrate --output ",
                                                config.calibration.path, "` or use calibration = run"));
      }
      *note = absl::StrCat("the file ", config.calibration.path);
      return config.calibration.path;
    case CalibrationChoice::kRun:
      break;
  }
  const std::string path = absl::StrCat(out_dir, "/calibration.json");
  const CpuPlan plan = PlanCpus(Placement::kSeparate, online_cpus);
  *note = absl::StrCat("`iotax calibrate --rates ", config.calibrate_rates,
                       "` run by this bench before the matrix (100 connections, 512 B, server on CPU ",
                       plan.server.substr(0, plan.server.find('-')), ", client on CPU ",
                       plan.client.substr(0, plan.client.find('-')), "), stored in calibration.json");
  if (Exists(path)) return path;
  const std::string log = absl::StrCat(out_dir, "/calibrate.log");
  auto child = ChildProcess::Start(
      {absl::StrCat(bin_dir, "/iotax"), "calibrate", absl::StrCat("--rates=", config.calibrate_rates),
       absl::StrCat("--output=", path), absl::StrCat("--bin-dir=", bin_dir),
       absl::StrCat("--server-cpu=", plan.server.substr(0, plan.server.find('-'))),
       absl::StrCat("--client-cpu=", plan.client.substr(0, plan.client.find('-')))},
      log);
  if (!child.ok()) return child.status();
  (*child)->ReadAll(absl::Minutes(10));
  const std::optional<int> code = (*child)->Wait(absl::Minutes(10));
  if (!code || *code != 0 || !Exists(path)) {
    (*child)->Stop();
    return absl::UnavailableError(absl::StrCat("`iotax calibrate` failed (exit ", code.value_or(-1),
                                               "); its output is in ", log, ": fix that, or set calibration = none"));
  }
  return path;
}

absl::StatusOr<SessionResult> RunSession(SessionOptions& o) {
  const BenchConfig& config = o.config;
  auto opened = o.resume ? ResultsStore::Resume(o.out_dir, config, o.machine, o.force)
                         : ResultsStore::Create(o.out_dir, config, o.machine, o.force);
  if (!opened.ok()) return opened.status();
  ResultsStore store = std::move(*opened);
  const int64_t t0 = client::NowNs();
  const std::string log_dir = absl::StrCat(o.out_dir, "/logs");
  mkdir(log_dir.c_str(), 0755);

  RunnerOptions runner;
  runner.bin_dir = o.bin_dir;
  runner.log_dir = log_dir;
  runner.online_cpus = o.machine.value("online_cpus", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  if (o.stacks) runner.stacks_out_dir = o.out_dir;
  if (config.agent != AgentMode::kOff && !o.run) {
    std::string note;
    auto arg = PrepareCalibration(config, o.out_dir, o.bin_dir, runner.online_cpus, &note);
    if (!arg.ok()) return arg.status();
    runner.calibration_arg = *arg;
    store.extra()["calibration"] = {{"choice", config.calibration.ToString()}, {"iotaxd_arg", *arg}, {"note", note}};
    if (absl::Status s = store.Save(); !s.ok()) return s;
  }
  auto run = o.run ? o.run : [&](const RunSlot& slot, double rate) { return RunPoint(slot, rate, config, runner); };

  const std::vector<RunSlot> slots = ExpandMatrix(config);
  SessionResult result;
  result.runs_total = static_cast<int>(slots.size());
  double remaining_s = 0;
  for (const RunSlot& s : slots) {
    if (store.Find(s.Key())) {
      ++result.runs_already_done;
    } else {
      remaining_s += ExpectedRunSeconds(s.point, config);
    }
  }
  if (result.runs_already_done > 0) {
    std::fprintf(o.progress_out, "iotax-bench: resuming %s: %d of %d runs already done\n", o.out_dir.c_str(),
                 result.runs_already_done, result.runs_total);
  }

  {
    Progress progress(result.runs_total, result.runs_already_done, remaining_s, o.progress_out, o.progress_tty);
    for (const RunSlot& slot : slots) {
      if (o.stop && o.stop->load()) {
        result.interrupted = true;
        break;
      }
      if (store.Find(slot.Key())) continue;
      const double expected = ExpectedRunSeconds(slot.point, config);
      const std::string label = SlotLabel(slot);
      progress.Started(label, expected);
      const int64_t start = client::NowNs();
      RunRecord rec;
      auto rate = OfferedRate(slot.point, store.runs());
      if (!rate.ok()) {
        rec.key = slot.Key();
        rec.point = slot.point;
        rec.repeat = slot.repeat;
        rec.ok = false;
        rec.error = std::string(rate.status().message());
        rec.started_at = NowRfc3339();
      } else {
        rec = run(slot, *rate);
        // One retry: a server that did not start, a port race, a stray stall.
        if (!rec.ok && !(o.stop && o.stop->load())) {
          progress.Message(absl::StrCat("retrying ", label, ": ", rec.error));
          rec = run(slot, *rate);
        }
      }
      ++result.runs_executed;
      if (!rec.ok) ++result.runs_failed;
      const double wall = static_cast<double>(client::NowNs() - start) / 1e9;
      std::string note =
          rec.ok
              ? (rec.valid ? "" : absl::StrCat("flagged: ", rec.invalid_reasons.empty() ? "" : rec.invalid_reasons[0]))
              : rec.error;
      if (rec.ok && note.empty()) {
        note = absl::StrFormat("%.0f req/s, p99 %.0f µs, server %.2f µs CPU/req", rec.throughput_rps, rec.p99_us,
                               rec.ServerCpuPerRequestUs());
      }
      if (absl::Status s = store.Add(std::move(rec)); !s.ok()) return s;
      progress.Finished(label, store.Find(slot.Key()) != nullptr, wall, expected, note);
    }
    progress.Stop();
  }

  // The blocking vs io_uring stack diffs, from every attached proof run so far.
  if (o.stacks) {
    for (const std::string& line : WriteStackDiffs(store.runs(), config, o.out_dir, o.bin_dir)) {
      std::fprintf(o.progress_out, "iotax-bench: stacks: %s\n", line.c_str());
    }
  }

  // Tables and report, complete or not.
  const std::vector<PointSummary> points = SummarizePoints(store.runs(), slots);
  const ProofSummary proof = AnalyzeProof(store.runs(), config);
  int done = 0;
  for (const RunSlot& s : slots) done += store.Find(s.Key()) ? 1 : 0;
  nlohmann::json summary;
  summary["points"] = nlohmann::json::array();
  for (const PointSummary& p : points) summary["points"].push_back(p.ToJson());
  summary["proof"] = proof.ToJson();
  summary["runs_total"] = result.runs_total;
  summary["runs_done"] = done;
  summary["load_average_1m_at_end"] = LoadAverage1();
  if (absl::Status s = store.SetSummary(summary, done == result.runs_total); !s.ok()) return s;
  if (o.write_report) {
    ReportInput in;
    in.out_dir = o.out_dir;
    in.config = &config;
    in.machine = store.machine();
    in.command = o.command;
    in.started_at = store.started_at();
    in.updated_at = NowRfc3339();
    in.runs_total = result.runs_total;
    in.runs_done = done;
    in.load_average_end = LoadAverage1();
    in.elapsed_s = static_cast<double>(client::NowNs() - t0) / 1e9;
    in.calibration = store.extra().value("calibration", nlohmann::json());
    in.runs = store.runs();
    in.points = points;
    in.proof = proof;
    if (absl::Status s = WriteReport(in); !s.ok()) return s;
  }
  return result;
}

}  // namespace iotax::bench
