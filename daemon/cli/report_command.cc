// iotax report: attach, sample sub-windows for --duration, print the report.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "calibration_store.h"
#include "log_sink.h"
#include "iotax_commands.h"
#include "process_facts.h"
#include "report.h"
#include "report_json.h"
#include "report_text.h"
#include "stacks_recorder.h"
#include "system_check.h"
#include "target_manager.h"
#include "tracer.h"
#include "window_sampler.h"

namespace iotax {
namespace {

const LogSink Say = StderrLog("iotax");

int Fail(absl::string_view command, absl::string_view line) {
  StderrLog(absl::StrCat("iotax ", command))(line);
  return 1;
}

}  // namespace

std::string ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.parent_path().string();
}

// The first missing prerequisite in iotax's words (system_check speaks for
// iotaxd), or "".
std::string MissingPrerequisite(absl::string_view command) {
  for (const PrerequisiteItem& item : CheckPrerequisites()) {
    if (!item.required || item.ok) continue;
    if (item.name == "privileges") {
      return absl::StrCat("loading the BPF probes needs root or CAP_BPF+CAP_PERFMON: run it with sudo, e.g. sudo iotax ",
                          command, " ...");
    }
    if (item.name == "btf") {
      return absl::StrCat("kernel BTF is missing (/sys/kernel/btf/vmlinux): iotax needs a kernel built with "
                          "CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020); `iotax doctor` checks the rest");
    }
    return item.detail;
  }
  return "";
}

int RunReport(const cli::ReportOptions& options) {
  // Cheap checks first: a wrong PID or missing root is one line, fast.
  // Each PID is identified here, once; the tracer keeps the identities.
  absl::StatusOr<std::vector<ProcessIdentity>> processes = TargetManager::IdentifyPids(options.pids);
  if (!processes.ok()) return Fail("report", processes.status().message());
  if (std::string missing = MissingPrerequisite("report"); !missing.empty()) return Fail("report", missing);

  // The calibration, unless --calibration=none.
  std::optional<Calibration> calibration;
  std::string calibration_note;
  std::string calibration_rejected;
  if (options.no_calibration) {
    calibration_note = "calibration ignored (--calibration=none): estimated from the target's own non-blocking calls";
  } else {
    const std::string path = options.calibration_path.empty() ? DefaultCalibrationPath() : options.calibration_path;
    CalibrationLookup lookup = LoadCalibration(path, CurrentMachine().Key());
    if (!lookup.calibration && !options.calibration_path.empty()) {
      return Fail("report", absl::StrCat("--calibration=", path, ": ", lookup.note));
    }
    calibration = std::move(lookup.calibration);
    calibration_note = calibration ? lookup.note
                                   : absl::StrCat(lookup.note, "; meanwhile estimated from the target's own calls");
    calibration_rejected = lookup.rejected;
    // The user ran `iotax calibrate` and expects it to be used: say before
    // measuring that it is not, and why.
    if (!calibration_rejected.empty()) StderrLog("iotax report")(absl::StrCat("warning: ", calibration_note));
  }

  const sigset_t signals = BlockStopSignals();
  TracerOptions tracer_options;
  tracer_options.follow_children = options.follow_children;
  tracer_options.pmu_events = options.pmu_events;
  // The tracer's own time per program run (bpf_stats) is taken off the price
  // of a block; without it the report says the correction is unavailable.
  tracer_options.enable_bpf_stats = true;
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create(tracer_options);
  if (!tracer.ok()) return Fail("report", tracer.status().message());

  TargetManagerOptions target_options;
  target_options.pids = options.pids;
  target_options.follow_children = options.follow_children;
  target_options.service = options.service;
  // The manager's routine lines (tracing PID ...) would clutter a report.
  TargetManager targets(tracer->get(), target_options, [](absl::string_view line) {
    if (line.find("exited") != absl::string_view::npos || line.find("service") != absl::string_view::npos) Say(line);
  });
  if (absl::Status s = targets.Start(*processes); !s.ok()) return Fail("report", s.message());

  // Stacks: loaded after the tracer, so a failure here costs no measuring.
  std::unique_ptr<StacksRecorder> recorder;
  if (!options.stacks_dir.empty()) {
    if (absl::Status s = CheckStacksDir(options.stacks_dir); !s.ok()) return Fail("report", s.message());
    // Children are followed as the tracer follows them: with --follow-children,
    // and always for a service (its members' forks join its slot in the kernel).
    absl::StatusOr<std::unique_ptr<StacksRecorder>> started = StacksRecorder::Start(
        options.kernel_stacks, options.stack_hz, options.follow_children || options.service.has_value());
    if (!started.ok()) return Fail("report", started.status().message());
    recorder = *std::move(started);
    recorder->Follow(targets.LiveTargets());
  }

  std::vector<std::string> names;
  for (int pid : targets.LiveTargets()) names.push_back(absl::StrCat(pid));
  const std::string what =
      options.service ? absl::StrCat("the service ", options.service->Describe())
                      : absl::StrCat("PID ", absl::StrJoin(names, ", "));
  Say(absl::StrCat("measuring ", what, " for ", absl::FormatDuration(options.duration),
                   " (Ctrl-C reports what was measured so far)"));
  ProcessCpuReader cpu_reader;
  SamplingResult sampled = SampleWindows(
      [&targets, &cpu_reader, &recorder] {
        targets.Poll();
        if (recorder) recorder->Follow(targets.LiveTargets());
        AgentSnapshot snapshot = targets.View().snapshot;
        cpu_reader.AddTo(snapshot);
        return snapshot;
      },
      options.duration, options.subwindow, signals,
      [](const AgentSnapshot& s) {
        for (const TargetSnapshot& t : s.targets) {
          if (t.up) return false;
        }
        return true;  // every target exited: nothing more to measure
      });
  if (sampled.signal != 0) Say("interrupted: reporting the time measured so far");

  std::vector<const AgentSnapshot*> snapshots;
  for (const AgentSnapshot& s : sampled.snapshots) snapshots.push_back(&s);
  ReportContext context;
  context.calibration = calibration ? &*calibration : nullptr;
  context.calibration_note = calibration_note;
  context.calibration_rejected = calibration_rejected;
  context.cpus_of = CpusAllowed;
  const Report report = BuildReport(snapshots, context);
  std::cout << (options.json ? ReportJsonText(report) : FormatReportText(report)) << std::flush;
  if (recorder) {
    const stacks::StacksView view = recorder->View();
    if (absl::Status s = WriteStacksFiles(view, options.stacks_dir); !s.ok()) return Fail("report", s.message());
    // JSON on stdout stays one document: the call sites go to stderr.
    (options.json ? std::cerr : std::cout)
        << stacks::FormatStacksSummary(view, absl::StrCat("in ", options.stacks_dir, "/offcpu.svg and oncpu.svg"))
        << std::flush;
  }
  return 0;
}

}  // namespace iotax
