// iotax calibrate: the bundled blocking and io_uring servers under the same
// open-loop loads, traced; what the io_uring server pays per replaced
// blocking call is stored per machine for `iotax report` and iotaxd.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "calibration_check.h"
#include "calibration_math.h"
#include "calibration_retry.h"
#include "log_sink.h"
#include "calibration_store.h"
#include "iotax_commands.h"
#include "machine_load.h"
#include "nlohmann/json.hpp"
#include "process_facts.h"
#include "report.h"
#include "subprocess.h"
#include "tracer.h"
#include "window_sampler.h"

namespace iotax {
namespace {

constexpr absl::Duration kWarmup = absl::Seconds(1);
constexpr absl::Duration kStep = absl::Milliseconds(500);

const LogSink Say = StderrLog("iotax calibrate");

int Fail(absl::string_view line, int exit_code = 1) {
  Say(line);
  return exit_code;
}

std::string Tail(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";
  std::string text;
  if (FILE* f = fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    fclose(f);
  }
  if (text.size() > 600) text = text.substr(text.size() - 600);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

struct RunContext {
  Tracer* tracer;
  const cli::CalibrateOptions* options;
  std::string bin_dir;
  std::string work_dir;
  sigset_t signals;
  MachineLoad load_before;  // fallback when /proc/loadavg cannot be read later
  int stop_signal = 0;
  std::string refusal;  // set when a run stayed unclean: the one line to print
};

// After a run: the load average only (the tasks runnable now would count
// what is still winding down of our own servers).
MachineLoad LoadNow(const RunContext& ctx) { return ReadMachineLoad("/proc", 0).value_or(ctx.load_before); }

// One server model under one offered load: the tracer's sub-windows of the
// server over the client's measured phase, and the client's request rate.
// `attempt` is not clean when the client could not keep its schedule (a
// loaded machine): the two servers then did not see the same load.
absl::StatusOr<ServerRun> RunServerOnce(RunContext& ctx, const std::string& model, int rate, RunAttempt* attempt) {
  const cli::CalibrateOptions& o = *ctx.options;
  const std::string server_err = absl::StrCat(ctx.work_dir, "/server-", model, "-", rate, ".err");
  const std::string client_err = absl::StrCat(ctx.work_dir, "/client-", model, "-", rate, ".err");
  auto server = Subprocess::Start({ctx.bin_dir + "/iotax-echo-server", "--model=" + model, "--port=0",
                                   absl::StrCat("--cpus=", o.server_cpu)},
                                  server_err);
  if (!server.ok()) return server.status();
  const std::optional<std::string> line = (*server)->ReadLine(absl::Seconds(10));
  int port = 0;
  if (!line || !absl::StartsWith(*line, "listening on ") ||
      !absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port)) {
    return absl::UnavailableError(absl::StrCat("the ", model, " server did not say 'listening on HOST:PORT' within 10 s: ",
                                               Tail(server_err)));
  }
  if (absl::Status s = ctx.tracer->AddTarget((*server)->pid()); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot trace the ", model, " server: ", s.message()));
  }
  const absl::Duration client_duration = o.duration + absl::Seconds(1);
  auto client = Subprocess::Start(
      {ctx.bin_dir + "/iotax-echo-client", "--model=uring", absl::StrCat("--port=", port),
       absl::StrCat("--conns=", o.conns), absl::StrCat("--msg-size=", o.msg_size), absl::StrCat("--rate=", rate),
       absl::StrCat("--duration=", absl::FormatDuration(client_duration)),
       // Real-time priority: at ordinary priority any other work on its CPU
       // makes the client miss its send schedule (measured for the demo).
       absl::StrCat("--warmup=", absl::FormatDuration(kWarmup)), absl::StrCat("--cpus=", o.client_cpu), "--realtime",
       "--json", "--allow-invalid"},
      client_err);
  if (!client.ok()) return client.status();
  // Measure inside the client's measured phase: after connecting and the warm-up.
  if (int sig = WaitForStopSignal(ctx.signals, kWarmup + absl::Milliseconds(300)); sig != 0) {
    ctx.stop_signal = sig;
    return absl::CancelledError("interrupted");
  }
  const int server_pid = (*server)->pid();
  ProcessCpuReader cpu_reader;
  SamplingResult sampled = SampleWindows(
      [&ctx, &cpu_reader] {
        AgentSnapshot snapshot = ctx.tracer->Read();
        cpu_reader.AddTo(snapshot);
        return snapshot;
      }, o.duration, kStep, ctx.signals);
  if (sampled.signal != 0) {
    ctx.stop_signal = sampled.signal;
    return absl::CancelledError("interrupted");
  }
  const std::string out = (*client)->ReadAll(client_duration + absl::Seconds(30));
  const std::optional<int> client_code = (*client)->Wait(absl::Seconds(10));
  (*server)->Stop();

  nlohmann::json result = nlohmann::json::parse(out, nullptr, false);
  if (result.is_discarded() || !result.is_object()) {
    return absl::UnavailableError(absl::StrCat("the load client failed against the ", model, " server (exit ",
                                               client_code.value_or(-1), "): ", Tail(client_err)));
  }
  if (result.value("errors", 0) > 0) {
    return absl::UnavailableError(absl::StrCat("the load client saw errors against the ", model, " server: ",
                                               result.value("first_error", std::string("?"))));
  }
  attempt->clean = result.value("valid", false);
  attempt->reasons.clear();
  if (!attempt->clean && result.contains("invalid_reasons")) {
    for (const auto& r : result["invalid_reasons"]) attempt->reasons.push_back(r.get<std::string>());
  }
  std::vector<const AgentSnapshot*> snapshots;
  for (const AgentSnapshot& s : sampled.snapshots) snapshots.push_back(&s);
  ServerRun run;
  run.windows = WindowsOf(snapshots, server_pid);
  run.requests_per_second = result.value("throughput_rps", 0.0);
  return run;
}

// Runs again when the client could not keep its schedule, as
// DecideAfterAttempt says; when it never could, sets ctx.refusal (and the
// caller writes nothing).
absl::StatusOr<ServerRun> RunServer(RunContext& ctx, const std::string& model, int rate) {
  std::vector<RunAttempt> attempts;
  for (;;) {
    attempts.emplace_back();
    absl::StatusOr<ServerRun> run = RunServerOnce(ctx, model, rate, &attempts.back());
    if (!run.ok()) return run;
    const RunDecision decision = DecideAfterAttempt(model, rate, attempts, ctx.load_before, LoadNow(ctx));
    switch (decision.step) {
      case RunStep::kKeep: return run;
      case RunStep::kRetry: Say(decision.line); break;
      case RunStep::kRefuse:
        ctx.refusal = decision.line;
        return absl::AbortedError(decision.line);
    }
  }
}

}  // namespace

int RunCalibrate(const cli::CalibrateOptions& options) {
  if (std::string missing = MissingPrerequisite("calibrate"); !missing.empty()) return Fail(missing);
  const std::string bin_dir = options.bin_dir.empty() ? ExecutableDir() : options.bin_dir;
  for (const char* prog : {"iotax-echo-server", "iotax-echo-client"}) {
    if (access((bin_dir + "/" + prog).c_str(), X_OK) != 0) {
      return Fail(absl::StrCat(bin_dir, "/", prog, " not found: build it (make build) or pass --bin-dir=DIR"));
    }
  }
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (int cpu : {options.server_cpu, options.client_cpu}) {
    if (cpu >= cpus) {
      return Fail(absl::StrCat("CPU ", cpu, " does not exist (this machine has ", cpus,
                               "): pass --server-cpu and --client-cpu below ", cpus));
    }
  }
  const std::string output = options.output.empty() ? DefaultCalibrationPath() : options.output;
  // The machine's load before anything of ours runs: recorded with the
  // calibration, and a refusal now rather than after a minute of runs.
  // The tasks runnable now are sampled over most of a second, so that a load
  // average still high from work that has ended is not a refusal.
  const std::optional<MachineLoad> load_before = ReadMachineLoad("/proc", 9);
  if (!load_before) {
    return Fail("cannot read the load average from /proc/loadavg, and a calibration records it: is /proc mounted?");
  }
  if (load_before->Oversubscribed()) {
    return Fail(RefusalLine("other work already wants more CPUs than this machine has, so the servers and the load "
                            "client would share theirs",
                            load_before->Describe(), "run again on a quiet machine"),
                kRefusedExitCode);
  }

  RunContext ctx;
  ctx.options = &options;
  ctx.bin_dir = bin_dir;
  ctx.signals = BlockStopSignals();
  ctx.load_before = *load_before;
  TracerOptions tracer_options;
  tracer_options.pmu_events = options.pmu_events;
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create(tracer_options);
  if (!tracer.ok()) return Fail(tracer.status().message());
  ctx.tracer = tracer->get();
  const PmuStatus pmu = ctx.tracer->Read().pmu;

  char work_template[] = "/tmp/iotax-calibrate.XXXXXX";
  if (mkdtemp(work_template) == nullptr) return Fail("cannot create a work directory in /tmp");
  ctx.work_dir = work_template;
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_work{ctx.work_dir};

  const MachineIdentity machine = CurrentMachine();
  Calibration calibration;
  calibration.machine_key = machine.Key();
  calibration.created_at = NowRfc3339();
  calibration.connections = options.conns;
  calibration.message_size = options.msg_size;
  calibration.seconds_per_run = absl::ToDoubleSeconds(options.duration);
  calibration.pmu_up = pmu.up;
  calibration.load = *load_before;

  Say(absl::StrCat(machine.Key(), "; servers on CPU ", options.server_cpu, ", client on CPU ", options.client_cpu, ", ",
                   options.conns, " connections, ", options.msg_size, " B, open loop; ", load_before->Describe(),
                   "; about ",
                   absl::FormatDuration((options.duration + absl::Milliseconds(2500)) * 2 * options.repeat *
                                        static_cast<double>(options.rates.size()))));
  std::cout << absl::StrFormat("%10s %14s %14s %14s %14s %18s\n", "rate/s", "blocked/s", "blocking/req",
                               "io_uring/req", "direct/req", "async cost/call");
  for (int rate : options.rates) {
    // Alternate the servers, so a change in the machine's load hits both.
    ServerRun pooled[2];
    double requests[2] = {0, 0}, seconds[2] = {0, 0};
    for (int r = 0; r < options.repeat; ++r) {
      for (int m = 0; m < 2; ++m) {
        const char* model = m == 0 ? "blocking" : "uring";
        absl::StatusOr<ServerRun> run = RunServer(ctx, model, rate);
        if (ctx.stop_signal != 0) return Fail("interrupted: nothing was written");
        if (!ctx.refusal.empty()) return Fail(ctx.refusal, kRefusedExitCode);
        if (!run.ok()) return Fail(absl::StrCat("at ", rate, " requests/s: ", run.status().message()));
        double s = 0;
        for (const TargetWindow& w : run->windows) s += w.seconds;
        requests[m] += run->requests_per_second * s;
        seconds[m] += s;
        pooled[m].windows.insert(pooled[m].windows.end(), run->windows.begin(), run->windows.end());
      }
    }
    for (int m = 0; m < 2; ++m) pooled[m].requests_per_second = seconds[m] > 0 ? requests[m] / seconds[m] : 0;
    const ServerRun* blocking = &pooled[0];
    const ServerRun* uring = &pooled[1];
    absl::StatusOr<CalibrationPoint> point = ComputeCalibrationPoint(*blocking, *uring, rate, pmu);
    if (!point.ok()) return Fail(absl::StrCat("at ", rate, " requests/s: ", point.status().message()));
    point->clean = true;  // every run behind it was (an unclean one would have ended the calibration)
    std::cout << absl::StrFormat("%10d %14s %14s %14s %14s %18s\n", rate, FormatRate(point->blocked_io_calls_per_second),
                                 FormatDuration(point->blocking_cpu_per_request),
                                 FormatDuration(point->uring_cpu_per_request), FormatDuration(point->direct_per_request),
                                 absl::StrCat(FormatDuration(point->async_cost_per_op_seconds), " ± ",
                                              FormatDuration(point->async_cost_per_op_se_seconds)))
              << std::flush;
    calibration.points.push_back(*point);
  }
  std::sort(calibration.points.begin(), calibration.points.end(), [](const auto& a, const auto& b) {
    return a.blocked_io_calls_per_second < b.blocked_io_calls_per_second;
  });
  // What report and iotaxd would reject is not written.
  if (absl::Status trusted = CheckCalibration(calibration); !trusted.ok()) {
    return Fail(RefusalLine(trusted.message(), DescribeLoad(*load_before, LoadNow(ctx)),
                            "run again on a quiet machine or lower --rates"),
                kRefusedExitCode);
  }
  if (absl::Status s = SaveCalibration(output, calibration); !s.ok()) return Fail(s.message());
  std::cout << "(CPU per request as the kernel accounts it; async cost per call = io_uring CPU - (blocking CPU - direct"
            << (pmu.up ? " - indirect" : "") << "), per blocked call)\n"
            << "wrote " << output << " (every run clean; " << load_before->Describe() << " before calibrating)\n";
  return 0;
}

}  // namespace iotax
