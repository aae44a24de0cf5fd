// iotaxd: attach to processes, serve /metrics until SIGINT/SIGTERM, detach.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "calibration_store.h"
#include "http_auth.h"
#include "http_server.h"
#include "ipc_sampler.h"
#include "iotaxd_options.h"
#include "metrics_collector.h"
#include "metrics_route.h"
#include "pmu_capability.h"
#include "privileges.h"
#include "process_facts.h"
#include "self_metrics.h"
#include "system_check.h"
#include "target_manager.h"
#include "tls_credentials.h"
#include "tracer.h"
#include "verdict_metrics.h"
#include "verdict_sampler.h"
#include "log_sink.h"
#include "snapshot_pump.h"
#include "window_sampler.h"
#include "stacks_recorder.h"
#include "stacks_routes.h"
#include "web_routes.h"

namespace {

const iotax::LogSink Log = iotax::StderrLog("iotaxd");

int Fail(absl::string_view line) {
  Log(line);
  return 1;
}

int RunCheck(const iotax::DaemonOptions& options) {
  const auto items = iotax::CheckPrerequisites();
  iotax::TracerOptions tracer_options;
  tracer_options.enable_bpf_stats = options.bpf_stats;
  tracer_options.pmu_events = options.pmu_events;
  absl::Status status = absl::OkStatus();
  std::vector<iotax::ProbeStatus> probes;
  std::string pmu_line;
  if (auto missing = iotax::FirstMissingPrerequisite(items)) {
    status = absl::FailedPreconditionError("not attempted: a prerequisite is missing");
  } else if (auto tracer = iotax::Tracer::Create(tracer_options); tracer.ok()) {
    probes = (*tracer)->Probes();
    const iotax::PmuStatus pmu = (*tracer)->Read().pmu;
    pmu_line = pmu.up ? absl::StrCat("tier 3 (IPC): up, reading ", pmu.instructions_event, " and ", pmu.cycles_event,
                                     pmu.software_standins ? " (software stand-ins, not hardware counters)" : "")
                      : absl::StrCat("tier 3 (IPC): down (", pmu.reason, "): ", pmu.detail);
  } else {
    status = tracer.status();
  }
  std::cout << iotax::FormatCheckReport(items, status, probes);
  // Tier 3 is optional: its report informs, it does not change the exit code.
  std::cout << "\n" << iotax::pmu::ProbeMachinePmu().Format();
  if (!pmu_line.empty()) std::cout << pmu_line << "\n";
  std::cout << std::flush;
  return iotax::CheckExitCode(items, status, probes);  // the tracer detaches here
}

int RunDaemon(const iotax::DaemonOptions& options) {
  // Cheap checks first, so a typo'd PID or missing root is one line, fast.
  // Each --pid is identified here, once (process, start time, name); the
  // tracer keeps those identities from the attach on.
  absl::StatusOr<std::vector<iotax::ProcessIdentity>> processes = iotax::TargetManager::IdentifyPids(options.pids);
  if (!processes.ok()) return Fail(processes.status().message());
  if (auto missing = iotax::FirstMissingPrerequisite(iotax::CheckPrerequisites())) return Fail(*missing);
  if (absl::Status s = iotax::CheckCanListen(options.listen_host, options.listen_port); !s.ok()) {
    return Fail(s.message());
  }
  // Exposure settings: every file is read and checked now, as the user that
  // started iotaxd, before anything is attached (and before privileges go).
  const int first_unprivileged_port = iotax::FirstUnprivilegedPort();
  if (options.listen_port > 0 && options.listen_port < first_unprivileged_port) {
    return Fail(absl::StrCat("--listen port ", options.listen_port, " is below ", first_unprivileged_port,
                             " and needs CAP_NET_BIND_SERVICE, which iotaxd gives up after attaching: pass a port from ",
                             first_unprivileged_port, " up (default 9464), or put a proxy in front"));
  }
  std::shared_ptr<const iotax::BasicAuth> auth;
  if (!options.auth_file.empty()) {
    absl::StatusOr<iotax::BasicAuth> loaded = iotax::BasicAuth::FromFile(options.auth_file);
    if (!loaded.ok()) return Fail(loaded.status().message());
    auth = std::make_shared<const iotax::BasicAuth>(std::move(*loaded));
  }
  std::shared_ptr<const iotax::TlsCredentials> tls;
  if (!options.tls_cert.empty()) {
    absl::StatusOr<std::shared_ptr<const iotax::TlsCredentials>> loaded =
        iotax::TlsCredentials::Load(options.tls_cert, options.tls_key);
    if (!loaded.ok()) return Fail(loaded.status().message());
    tls = *loaded;
  }
  std::optional<iotax::UserIds> user;
  if (!options.user.empty()) {
    absl::StatusOr<iotax::UserIds> found = iotax::LookUpUser(options.user);
    if (!found.ok()) return Fail(found.status().message());
    if (absl::Status s = iotax::CheckCanSwitchUser(*found); !s.ok()) return Fail(s.message());
    user = *found;
  }
  // A bad --calibration file is an error before anything is attached.
  iotax::VerdictSamplerOptions verdict_options;
  if (options.no_calibration) {
    verdict_options.calibration_note = "calibration ignored (--calibration=none): estimated from the target's own calls";
  } else {
    const std::string path = options.calibration_path.empty() ? iotax::DefaultCalibrationPath() : options.calibration_path;
    iotax::CalibrationLookup lookup = iotax::LoadCalibration(path, iotax::CurrentMachine().Key());
    if (!lookup.calibration && !options.calibration_path.empty()) {
      return Fail(absl::StrCat("--calibration=", path, ": ", lookup.note));
    }
    verdict_options.calibration = std::move(lookup.calibration);
    verdict_options.calibration_note =
        verdict_options.calibration ? lookup.note : absl::StrCat(lookup.note, "; meanwhile estimated from the target's own calls");
    verdict_options.calibration_rejected = lookup.rejected;
  }

  // Block the stop signals before any thread starts, so only sigtimedwait
  // in this thread receives them.
  const sigset_t signals = iotax::BlockStopSignals();

  iotax::TracerOptions tracer_options;
  tracer_options.follow_children = options.follow_children;
  tracer_options.max_processes = options.max_processes;
  tracer_options.strict = options.strict;
  tracer_options.enable_bpf_stats = options.bpf_stats;
  tracer_options.pmu_events = options.pmu_events;
  tracer_options.sample_fraction = options.sample_fraction;
  tracer_options.sample_period_ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(options.sample_period));
  absl::StatusOr<std::unique_ptr<iotax::Tracer>> tracer = iotax::Tracer::Create(tracer_options);
  // The tracer logs each probe that is down; iotax_probe_up shows it too.
  if (!tracer.ok()) return Fail(tracer.status().message());

  iotax::TargetManagerOptions target_options;
  target_options.pids = options.pids;
  target_options.comms = options.comms;
  target_options.follow_children = options.follow_children;
  if (!options.cgroup.empty()) {
    target_options.service = iotax::ServiceSelector{iotax::ServiceSelector::Kind::kCgroup, options.cgroup, {}};
  }
  target_options.poll_interval = options.interval;
  auto targets = std::make_unique<iotax::TargetManager>(tracer->get(), target_options, Log);
  if (absl::Status s = targets->Start(*processes); !s.ok()) return Fail(s.message());

  // Stacks (--stacks): their programs load now, while the capabilities are held.
  std::unique_ptr<iotax::StacksRecorder> stacks;
  if (options.stacks) {
    absl::StatusOr<std::unique_ptr<iotax::StacksRecorder>> started =
        iotax::StacksRecorder::Start(options.kernel_stacks, options.stack_hz,
                                     options.follow_children || !options.cgroup.empty());
    if (!started.ok()) return Fail(absl::StrCat("--stacks: ", started.status().message()));
    stacks = *std::move(started);
    stacks->Follow(targets->LiveTargets());
  }

  // Everything that needs a capability is done: programs loaded and
  // attached, perf counters open. Drop them all now, while this is the only
  // thread (capabilities are per thread), before any thread or socket starts.
  absl::StatusOr<iotax::DropReport> dropped = iotax::DropPrivileges(user);
  if (!dropped.ok()) return Fail(absl::StrCat("dropping privileges after attach failed: ", dropped.status().message()));
  Log(absl::StrCat("probes attached; dropped every capability (effective, permitted, inheritable, ambient",
                   dropped->bounding_set_cleared ? ", bounding" : "", ") and set no_new_privs",
                   dropped->bounding_set_cleared ? "" : " (bounding set kept: no CAP_SETPCAP to clear it)",
                   dropped->user ? absl::StrCat("; now running as user ", dropped->user->name, " (uid ",
                                                dropped->user->uid, ")")
                                 : ""));
  (*tracer)->StartSampling();  // after the drop: its thread starts without capabilities
  if (options.sample_fraction < 1.0) {
    Log(absl::StrCat("sampling: syscalls, switches and wakeups traced ", options.sample_fraction * 100, "% of the time (",
                     absl::FormatDuration(options.sample_period * options.sample_fraction), " of every ",
                     absl::FormatDuration(options.sample_period), "); figures are estimates scaled from those windows"));
  }

  // One reader of the tracer: the pump takes a snapshot every --window (the
  // finest any consumer needs) and hands it to the IPC analysis (every one)
  // and the verdict (one a second); a scrape serves the latest.
  verdict_options.verdict_window = options.verdict_window;
  verdict_options.history = options.history;
  verdict_options.cpus_of = iotax::CpusAllowed;
  const absl::Duration verdict_step = verdict_options.step;
  Log(absl::StrCat(verdict_options.calibration_rejected.empty() ? "" : "warning: ", verdict_options.calibration_note));
  auto verdicts = std::make_unique<iotax::VerdictSampler>(nullptr, std::move(verdict_options));
  // Tier 3: the CPI regression over every window; without a PMU it logs one
  // line and exports only iotax_pmu_up 0 and the reason.
  iotax::ipc::IpcAnalyzerOptions ipc_options;
  ipc_options.window_ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(options.window));
  ipc_options.max_windows = static_cast<size_t>(std::max<int64_t>(8, absl::Minutes(1) / options.window));
  auto ipc = std::make_unique<iotax::ipc::IpcSampler>(nullptr, ipc_options, Log);
  // Without counters the IPC analysis has nothing to window: reading the
  // maps every --window would cost the agent ten reads a second for nothing,
  // so the pump then runs at the verdict's pace.
  const bool ipc_on = targets->View().snapshot.pmu.up;
  const absl::Duration ipc_step = ipc_on ? options.window : verdict_step;
  auto pump = std::make_unique<iotax::SnapshotPump>([&targets] { return targets->View(); },
                                                    std::min(ipc_step, verdict_step));
  pump->AddConsumer(ipc_step, [&ipc](const iotax::AgentSnapshot& s, absl::Time) { ipc->Observe(s); });
  pump->AddConsumer(verdict_step, [&verdicts, cpu_reader = std::make_shared<iotax::ProcessCpuReader>()](
                                      const iotax::AgentSnapshot& s, absl::Time wall) {
    // The verdict's denominator: the kernel's CPU accounting, read now.
    // Sampled figures are as of the last window's end instead, so their own
    // CPU estimate is the denominator (the report says source tracer).
    iotax::AgentSnapshot snapshot = s;
    if (!snapshot.sampling.active()) cpu_reader->AddTo(snapshot);
    verdicts->Observe(snapshot, wall);
  });
  pump->PumpOnce();
  pump->Start();
  auto collector = std::make_shared<iotax::MetricsCollector>([&pump] { return *pump->Latest(); });
  auto ipc_collector = std::make_shared<iotax::ipc::IpcCollector>(ipc.get());
  auto verdict_collector = std::make_shared<iotax::VerdictCollector>(verdicts.get());
  auto server = std::make_unique<iotax::HttpServer>();
  server->AddRoute("/metrics", iotax::MetricsHandler({collector, ipc_collector, verdict_collector, std::make_shared<iotax::SelfMetricsCollector>()}));
  server->AddRoute("/healthz", iotax::HealthHandler());
  iotax::AddVerdictRoutes(*server, verdicts.get());
  iotax::AddStacksRoutes(*server, [&stacks]() -> std::optional<iotax::stacks::StacksView> {
    if (!stacks) return std::nullopt;
    return stacks->View();
  });
  if (auth) server->RequireBasicAuth(auth);
  if (tls) server->UseTls(tls);
  if (absl::Status s = server->Start(options.listen_host, options.listen_port); !s.ok()) return Fail(s.message());
  std::cout << "iotaxd listening on " << server->url() << "/metrics" << std::endl;
  Log(absl::StrCat("the verdict page is at ", server->url(), "/ (JSON: /api/report)"));
  if (!iotax::IsLoopbackHost(options.listen_host)) {
    Log(absl::StrCat("WARNING: listening on ", server->address(),
                     ", not a loopback address: the endpoint is exposed to other machines; basic auth ",
                     auth ? absl::StrCat("on (", auth->users(), " users)") : "OFF (anyone who reaches it can read it: --auth-file)",
                     ", TLS ", tls ? "on" : "OFF (plain HTTP: --tls-cert, --tls-key)"));
  }

  int sig = 0;
  while ((sig = iotax::WaitForStopSignal(signals, options.interval)) == 0) {
    targets->Poll();
    if (stacks) stacks->Follow(targets->LiveTargets());
  }

  Log(absl::StrCat("stopping on ", sig == SIGINT ? "SIGINT" : "SIGTERM", ": detaching every probe"));
  server->Stop();    // no scrape can reach the tracer after this
  server.reset();
  pump.reset();      // stops the one reader before the tracer goes
  verdicts.reset();
  ipc.reset();
  targets.reset();
  stacks.reset();
  tracer->reset();   // detaches and unloads the BPF programs
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  iotax::RawDaemonFlags raw;
  switch (iotax::ParseDaemonCommandLine(argc, argv, &raw)) {
    case iotax::ParseOutcome::kExitOk: return 0;
    case iotax::ParseOutcome::kExitError: return 2;
    case iotax::ParseOutcome::kRun: break;
  }
  absl::StatusOr<iotax::DaemonOptions> options = iotax::ValidateDaemonFlags(raw);
  if (!options.ok()) {
    Log(options.status().message());
    return 2;
  }
  return options->check ? RunCheck(*options) : RunDaemon(*options);
}
