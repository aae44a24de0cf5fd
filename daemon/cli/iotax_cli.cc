#include "iotax_cli.h"

#include <tuple>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "calibration_retry.h"
#include "calibration_store.h"
#include "flags.h"
#include "pmu_events.h"

// Abseil flags are global to the binary, so each subcommand's flags carry its
// name as a prefix (report_duration is `iotax report --duration`); the shared
// layer reads only the running subcommand's own.
ABSL_FLAG(std::vector<std::string>, report_pid, {},
          "Process to measure, with all its threads. Repeat or comma-separate for several: each gets its own "
          "verdict, at most 64 (kMaxTargets) at once; with --service they are one service.");
ABSL_FLAG(std::string, report_comm, "",
          "Measure every process with this name (as in /proc/PID/comm) as one service: one verdict for all of "
          "them, processes that start or exit during the window included, no limit on their number.");
ABSL_FLAG(std::string, report_cgroup, "",
          "Measure every process of this cgroup v2 directory and the cgroups below it as one service, e.g. "
          "/sys/fs/cgroup/system.slice/nginx.service (the unit of a systemd service or a container).");
ABSL_FLAG(bool, report_service, false,
          "Trace the --pid processes as one service (one verdict; processes they fork join it).");
ABSL_FLAG(absl::Duration, report_duration, absl::Seconds(10), "How long to measure (1s to 1h), e.g. 10s, 1m.");
ABSL_FLAG(absl::Duration, report_subwindow, absl::Seconds(1),
          "Length of the sub-windows whose spread gives the confidence interval; shortened so that there are at "
          "least 5.");
ABSL_FLAG(bool, report_json, false,
          "Print the report as JSON (the schema of iotaxd's /api/report, docs/methodology.md).");
ABSL_FLAG(std::string, report_calibration, "",
          "Calibration file written by `iotax calibrate` (default: the per-machine cache, see `iotax calibrate "
          "--help`); `none` ignores it and estimates the async cost from the target's own non-blocking calls. One "
          "that fails its checks (docs/methodology.md) is not used: a warning says why (an error with an explicit "
          "PATH).");
ABSL_FLAG(std::string, report_pmu_events, iotax::pmu::kDefaultPmuEvents,
          "Tier 3 (IPC): the two PMU events; empty turns it off. Without a hardware PMU the indirect cost is "
          "reported as missing.");
ABSL_FLAG(bool, report_follow_children, false, "Count processes the target forks after attach with it.");
ABSL_FLAG(std::string, report_stacks, "",
          "Also take stacks, into this directory: where threads block (a user stack at each blocked switch-out, "
          "with the call and the kind of descriptor) and where the CPU goes (stacks sampled at 99 Hz per CPU). "
          "Writes offcpu.folded and oncpu.folded (flamegraph.pl / speedscope / Grafana format) and their SVG "
          "flame graphs, and lists the top blocking call sites after the report.");
ABSL_FLAG(bool, report_kernel_stacks, false, "With --stacks: kernel stacks too (frames marked _[k]).");
ABSL_FLAG(int, report_stack_hz, 99, "With --stacks: on-CPU samples per second per CPU (1 to 10000).");

ABSL_FLAG(std::string, doctor_calibration, "", "Calibration file to check (default: the per-machine cache).");
ABSL_FLAG(std::string, doctor_pmu_events, iotax::pmu::kDefaultPmuEvents, "Tier 3 events to try.");

ABSL_FLAG(std::string, calibrate_rates, "5000,20000,60000",
          "Offered loads in requests/s, comma-separated; each is run against both servers. Keep them below what "
          "the blocking server can serve.");
ABSL_FLAG(int, calibrate_conns, 100, "Client connections (the blocking server runs one thread per connection).");
ABSL_FLAG(int, calibrate_msg_size, 512, "Bytes per request.");
ABSL_FLAG(absl::Duration, calibrate_duration, absl::Seconds(3), "Measured time per run (after a 1 s warm-up).");
ABSL_FLAG(int, calibrate_repeat, 2,
          "Runs per server and rate, alternating blocking and io_uring so that a change in the machine's load hits "
          "both; their sub-windows are pooled.");
ABSL_FLAG(int, calibrate_server_cpu, 0, "CPU the servers are pinned to.");
ABSL_FLAG(int, calibrate_client_cpu, 1, "CPU the load client is pinned to.");
ABSL_FLAG(std::string, calibrate_bin_dir, "",
          "Where iotax-echo-server and iotax-echo-client are (default: the directory of this iotax binary).");
ABSL_FLAG(std::string, calibrate_output, "",
          "Calibration file to write (default: the per-machine cache path below).");
ABSL_FLAG(std::string, calibrate_pmu_events, iotax::pmu::kDefaultPmuEvents, "Tier 3 events (for the indirect part).");

ABSL_FLAG(std::string, diff_normalize, "",
          "How the two runs are scaled before comparing: none (raw counts), total (each run as shares of its own "
          "total: runs of different length), requests (per request; needs --requests). Default: requests when "
          "--requests is given, otherwise none.");
ABSL_FLAG(std::string, diff_requests, "", "Requests served in each run, BEFORE,AFTER (e.g. 150000,148000).");
ABSL_FLAG(std::string, diff_svg, "", "Write a differential flame graph (SVG) here: widths from AFTER, red grew, blue shrank.");
ABSL_FLAG(std::string, diff_folded, "",
          "Write the comparison in flamegraph.pl's difffolded format (stack BEFORE AFTER) here.");
ABSL_FLAG(int, diff_top, 20, "How many changed frames the table shows.");
ABSL_FLAG(bool, diff_merge_pools, false, "Merge thread names per pool first (worker-12 -> worker).");
ABSL_FLAG(bool, diff_coalesce, false,
          "Coalesce first: each stack becomes its distinct frames in order of first occurrence (async towers).");

namespace iotax::cli {
namespace {

// The three subcommands as the shared layer sees them; each knows the others,
// so a flag of another one is named as such.
struct Subcommands {
  flags::Program report = {
      .name = "iotax report",
      .usage =
          "iotax report: attach to a process, measure it for --duration, print where its CPU and its threads'\n"
          "time went, the top costs and the verdict (is an async design worth it?), then detach and exit.\n\n"
          "Usage:\n  iotax report --pid PID[,PID...] [--service] [--duration 10s] [--json] [--calibration PATH|none]\n"
          "  iotax report --comm NAME | --cgroup /sys/fs/cgroup/PATH [--duration 10s] ...\n\n"
          "A service (--comm, --cgroup, --pid with --service) is measured as one: its processes' counts\n"
          "together, its CPU over the CPUs it may use, the latency side over all its threads. Processes that\n"
          "start (or are forked by members) and exit during the window are counted, never an error; there is\n"
          "no limit on their number. Separate --pid targets are limited to 64 at once.\n\n"
          "Examples:\n  iotax report --pid $(pidof nginx) --duration 30s\n"
          "  iotax report --comm apache2 --duration 10s\n",
      .flags = {{"pid", "PID"}, {"comm", "NAME"}, {"cgroup", "PATH"}, {"service"}, {"duration"}, {"subwindow"}, {"json"}, {"calibration", "PATH|none"},
                {"pmu_events", "INSTRUCTIONS,CYCLES"}, {"follow_children"}, {"stacks", "DIR"}, {"kernel_stacks"}, {"stack_hz", "HZ"}},
      .prefix = "report_",
  };
  flags::Program doctor = {
      .name = "iotax doctor",
      .usage =
          "iotax doctor: check that this machine can run iotax (privileges, kernel BTF, the BPF probes, the PMU\n"
          "for tier 3, a calibration) and list what to fix. Exit code 0 when report can run, 1 otherwise.\n\n"
          "Usage:\n  iotax doctor\n",
      .flags = {{"calibration", "PATH"}, {"pmu_events", "INSTRUCTIONS,CYCLES"}},
      .prefix = "doctor_",
  };
  flags::Program calibrate = {
      .name = "iotax calibrate",
      .usage = absl::StrCat(
          "iotax calibrate: measure what an async design pays on this machine instead of blocking. Runs the\n"
          "bundled thread-per-connection (blocking) and io_uring echo servers, one after the other, under the\n"
          "same open-loop load at each --rates value (server pinned to --server-cpu, client to --client-cpu,\n"
          "loopback), traces both, and stores per rate what the io_uring server spent beyond the blocking\n"
          "server's work outside blocking. `iotax report` and iotaxd use it when it matches this machine\n"
          "(kernel, CPU model and core count). Takes about (duration + 2.5 s) x 2 x repeat x rates (about\n"
          "a minute by default); kills only the processes it started.\n\n"
          "A run is clean when the load client kept its send schedule; an unclean run is run again, up to ",
          kMaxUncleanRetries, "\n"
          "times. If it stays unclean, or other work already wants more CPUs than the machine has (its\n"
          "load average exceeds the online CPUs, and so do the tasks runnable now, sampled over 0.8 s),\n"
          "nothing is written and the exit code is ", kRefusedExitCode, ", with the reason on one line: run again on a\n"
          "quiet machine or lower --rates. The file records the load average, the tasks runnable and the\n"
          "online CPUs before the\n"
          "first run, and that every row was clean; report and iotaxd warn about and do not use a\n"
          "calibration that lacks these or whose rows are not self-consistent (docs/methodology.md).\n\n"
          "Usage:\n  iotax calibrate [--rates 5000,20000,60000] [--duration 3s] [--output PATH]\n\n"
          "Stored in: ", DefaultCalibrationPath(),
          "\n  ($XDG_CACHE_HOME/iotax/calibration.json when XDG_CACHE_HOME is set; otherwise\n"
          "  /var/cache/iotax/calibration.json for root, ~/.cache/iotax/calibration.json for others)\n"),
      .flags = {{"rates", "LIST"}, {"conns"}, {"msg_size", "BYTES"}, {"duration"}, {"repeat"}, {"server_cpu", "CPU"},
                {"client_cpu", "CPU"}, {"bin_dir", "DIR"}, {"output", "PATH"}, {"pmu_events", "INSTRUCTIONS,CYCLES"}},
      .prefix = "calibrate_",
  };
  flags::Program diff = {
      .name = "iotax diff",
      .usage =
          "iotax diff: compare two profiles in folded-stack form (one 'frame;frame;... COUNT' line per stack,\n"
          "root first: what flamegraph.pl, speedscope and Grafana read), BEFORE and AFTER. Prints the frames\n"
          "whose weight changed most (inclusive: every stack a frame is on) and, on request, writes a\n"
          "differential flame graph (SVG) and the difffolded text flamegraph.pl draws.\n\n"
          "Usage:\n  iotax diff BEFORE.folded AFTER.folded [--requests A,B] [--svg diff.svg]\n\n"
          "Example:\n  iotax diff blocking.folded uring.folded --requests 150000,151000 --svg diff.svg\n",
      .flags = {{"normalize", "none|total|requests"}, {"requests", "BEFORE,AFTER"}, {"svg", "PATH"},
                {"folded", "PATH"}, {"top", "N"}, {"merge_pools"}, {"coalesce"}},
      .prefix = "diff_",
  };

  Subcommands() {
    report.siblings = {&doctor, &calibrate, &diff};
    doctor.siblings = {&report, &calibrate, &diff};
    calibrate.siblings = {&report, &doctor, &diff};
    diff.siblings = {&report, &doctor, &calibrate};
  }
  Subcommands(const Subcommands&) = delete;

  const flags::Program& Of(Command c) const {
    switch (c) {
      case Command::kReport: return report;
      case Command::kDoctor: return doctor;
      case Command::kCalibrate: return calibrate;
      case Command::kDiff: return diff;
    }
    return doctor;
  }
};

const char* CommandName(Command c) {
  switch (c) {
    case Command::kReport: return "report";
    case Command::kDoctor: return "doctor";
    case Command::kCalibrate: return "calibrate";
    case Command::kDiff: return "diff";
  }
  return "";
}

absl::Status ValidateReport(const flags::Outcome& parsed, ReportOptions* o) {
  absl::StatusOr<std::vector<int>> pids = flags::ParsePids(absl::GetFlag(FLAGS_report_pid));
  if (!pids.ok()) return pids.status();
  o->pids = *std::move(pids);
  const std::string comm = absl::GetFlag(FLAGS_report_comm);
  const std::string cgroup = absl::GetFlag(FLAGS_report_cgroup);
  const int given = (o->pids.empty() ? 0 : 1) + (comm.empty() ? 0 : 1) + (cgroup.empty() ? 0 : 1);
  if (given == 0) {
    return absl::InvalidArgumentError(
        "which process? pass --pid=PID (find it with `pidof NAME` or `ps -C NAME`), or --comm=NAME or "
        "--cgroup=PATH for a whole service");
  }
  if (given > 1) return absl::InvalidArgumentError("pass one of --pid, --comm and --cgroup");
  if (!comm.empty()) {
    if (comm.size() > 15) {
      return absl::InvalidArgumentError(absl::StrCat("--comm=", comm, " is longer than a comm (15 characters); pass "
                                                     "the name as /proc/PID/comm shows it: ", comm.substr(0, 15)));
    }
    o->service = ServiceSelector{ServiceSelector::Kind::kComm, comm, {}};
  }
  if (!cgroup.empty()) {
    if (absl::Status s = CheckCgroupPath(cgroup); !s.ok()) return s;
    o->service = ServiceSelector{ServiceSelector::Kind::kCgroup, cgroup, {}};
  }
  if (absl::GetFlag(FLAGS_report_service)) {
    if (o->pids.empty()) return absl::InvalidArgumentError("--service makes the --pid list one service: pass --pid too");
    o->service = ServiceSelector{ServiceSelector::Kind::kPids, "", o->pids};
    o->pids.clear();
  }
  o->duration = absl::GetFlag(FLAGS_report_duration);
  if (absl::Status s = flags::CheckDuration("duration", o->duration, absl::Seconds(1), absl::Hours(1), "10s"); !s.ok()) {
    return s;
  }
  o->subwindow = absl::GetFlag(FLAGS_report_subwindow);
  if (absl::Status s = flags::CheckDuration("subwindow", o->subwindow, absl::Milliseconds(100), absl::Minutes(10), "1s");
      !s.ok()) {
    return s;
  }
  // At least 5 sub-windows, so the interval means something.
  if (o->duration / o->subwindow < 5) o->subwindow = o->duration / 5;
  o->json = absl::GetFlag(FLAGS_report_json);
  o->follow_children = absl::GetFlag(FLAGS_report_follow_children);
  o->stacks_dir = absl::GetFlag(FLAGS_report_stacks);
  o->kernel_stacks = absl::GetFlag(FLAGS_report_kernel_stacks);
  if (o->stacks_dir.empty() && parsed.given.count("stacks")) {
    return absl::InvalidArgumentError("--stacks is empty: pass a directory for the stacks, e.g. --stacks=/tmp/stacks");
  }
  o->stack_hz = absl::GetFlag(FLAGS_report_stack_hz);
  if (absl::Status s = flags::CheckInt("stack-hz", o->stack_hz, 1, 10000); !s.ok()) return s;
  if ((o->kernel_stacks || parsed.given.count("stack_hz")) && o->stacks_dir.empty()) {
    return absl::InvalidArgumentError("--kernel-stacks and --stack-hz need --stacks=DIR (where the stacks are written)");
  }
  const std::string calibration = absl::GetFlag(FLAGS_report_calibration);
  if (calibration == "none") {
    o->no_calibration = true;
  } else if (calibration.empty() && parsed.given.count("calibration")) {
    return absl::InvalidArgumentError("--calibration is empty: pass a file written by `iotax calibrate`, or none");
  } else {
    o->calibration_path = calibration;
  }
  o->pmu_events = absl::GetFlag(FLAGS_report_pmu_events);
  return pmu::CheckPmuEventsFlag(o->pmu_events);
}

absl::Status ValidateDoctor(DoctorOptions* o) {
  o->calibration_path = absl::GetFlag(FLAGS_doctor_calibration);
  o->pmu_events = absl::GetFlag(FLAGS_doctor_pmu_events);
  return pmu::CheckPmuEventsFlag(o->pmu_events);
}

absl::Status ValidateCalibrate(CalibrateOptions* o) {
  absl::StatusOr<std::vector<int>> rates =
      flags::ParseIntList("rates", absl::GetFlag(FLAGS_calibrate_rates), 100, 10'000'000, "5000,20000,60000");
  if (!rates.ok()) return rates.status();
  o->rates = *std::move(rates);
  o->conns = absl::GetFlag(FLAGS_calibrate_conns);
  o->repeat = absl::GetFlag(FLAGS_calibrate_repeat);
  o->msg_size = absl::GetFlag(FLAGS_calibrate_msg_size);
  o->server_cpu = absl::GetFlag(FLAGS_calibrate_server_cpu);
  o->client_cpu = absl::GetFlag(FLAGS_calibrate_client_cpu);
  for (const auto& [flag, value, lo, hi] : {std::tuple{"conns", o->conns, 1, 10000}, {"repeat", o->repeat, 1, 20},
                                            {"msg-size", o->msg_size, 1, 1 << 20},
                                            {"server-cpu", o->server_cpu, 0, 4095},
                                            {"client-cpu", o->client_cpu, 0, 4095}}) {
    if (absl::Status s = flags::CheckInt(flag, value, lo, hi); !s.ok()) return s;
  }
  o->duration = absl::GetFlag(FLAGS_calibrate_duration);
  if (absl::Status s = flags::CheckDuration("duration", o->duration, absl::Seconds(1), absl::Minutes(5), "3s"); !s.ok()) {
    return s;
  }
  o->bin_dir = absl::GetFlag(FLAGS_calibrate_bin_dir);
  o->output = absl::GetFlag(FLAGS_calibrate_output);
  o->pmu_events = absl::GetFlag(FLAGS_calibrate_pmu_events);
  return pmu::CheckPmuEventsFlag(o->pmu_events);
}

absl::Status ValidateDiff(const flags::Outcome& parsed, DiffOptions* o) {
  if (parsed.positional.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected two folded-stack files, BEFORE and AFTER (got ", parsed.positional.size(),
        "): iotax diff blocking.folded uring.folded"));
  }
  o->before_path = parsed.positional[0];
  o->after_path = parsed.positional[1];
  const std::string requests = absl::GetFlag(FLAGS_diff_requests);
  if (!requests.empty()) {
    absl::StatusOr<std::vector<int>> counts = flags::ParseIntList("requests", requests, 1, 2'000'000'000, "150000,148000");
    if (!counts.ok()) return counts.status();
    if (counts->size() != 2) {
      return absl::InvalidArgumentError("--requests takes two counts, BEFORE,AFTER (e.g. --requests=150000,148000)");
    }
    o->requests_before = static_cast<uint64_t>((*counts)[0]);
    o->requests_after = static_cast<uint64_t>((*counts)[1]);
  }
  o->normalize = absl::GetFlag(FLAGS_diff_normalize);
  if (o->normalize.empty()) o->normalize = requests.empty() ? "none" : "requests";
  if (o->normalize != "none" && o->normalize != "total" && o->normalize != "requests") {
    return absl::InvalidArgumentError(
        absl::StrCat("--normalize=", o->normalize, " is not known: use none, total or requests"));
  }
  if (o->normalize == "requests" && requests.empty()) {
    return absl::InvalidArgumentError("--normalize=requests needs --requests=BEFORE,AFTER (requests served in each run)");
  }
  o->svg_path = absl::GetFlag(FLAGS_diff_svg);
  o->folded_path = absl::GetFlag(FLAGS_diff_folded);
  o->top = absl::GetFlag(FLAGS_diff_top);
  o->merge_pools = absl::GetFlag(FLAGS_diff_merge_pools);
  o->coalesce = absl::GetFlag(FLAGS_diff_coalesce);
  return flags::CheckInt("top", o->top, 1, 100000);
}

ParseResult FromOutcome(const flags::Outcome& o) {
  ParseResult r;
  r.print = o.text;
  r.to_stderr = o.to_stderr;
  r.exit_code = o.exit_code;
  return r;
}

}  // namespace

std::string MainUsage() {
  return absl::StrCat(
      "iotax: how much of a running program's CPU goes to thread-blocking IO, what an async design would\n"
      "save, what blocking does to latency, and how sure that is.\n\n"
      "Usage:\n"
      "  iotax report --pid PID [--duration 10s] [--json]   measure a process and print the verdict\n"
      "  iotax doctor                                     check this machine (BPF, BTF, privileges, PMU)\n"
      "  iotax calibrate                                  measure what an async design costs here\n"
      "  iotax diff BEFORE.folded AFTER.folded            compare two profiles (folded stacks)\n\n"
      "  iotax COMMAND --help shows the flags of a command. iotaxd serves the same verdict continuously\n"
      "  (metrics, /api/report and a web page).\n\n"
      "Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF for report and calibrate.\n"
      "Exit codes: 0 success, 1 failure (the message says what to fix), 2 bad command line,\n",
      kRefusedExitCode, " calibrate refused (the machine was too busy to measure; nothing written).\n");
}

std::string CommandUsage(Command c) { return flags::HelpText(Subcommands().Of(c)); }

ParseResult Parse(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    if (args.size() >= 3 && args[1] == "help") {
      for (Command c : {Command::kReport, Command::kDoctor, Command::kCalibrate, Command::kDiff}) {
        if (args[2] == CommandName(c)) return FromOutcome({.text = CommandUsage(c)});
      }
    }
    ParseResult result = FromOutcome({.text = MainUsage()});
    if (args.size() < 2) {
      result.to_stderr = true;
      result.exit_code = 2;
    }
    return result;
  }
  if (args[1] == "--version") return FromOutcome({.text = flags::VersionLine("iotax") + "\n"});
  Command command;
  if (args[1] == "report") {
    command = Command::kReport;
  } else if (args[1] == "doctor") {
    command = Command::kDoctor;
  } else if (args[1] == "calibrate") {
    command = Command::kCalibrate;
  } else if (args[1] == "diff") {
    command = Command::kDiff;
  } else {
    return FromOutcome(flags::Error(
        "iotax",
        absl::StrCat("unknown command '", args[1], "': use report, doctor, calibrate or diff (iotax --help lists them)")));
  }

  const Subcommands subcommands;
  const flags::Program& program = subcommands.Of(command);
  const flags::Outcome parsed = flags::Parse(program, std::vector<std::string>(args.begin() + 1, args.end()));
  if (!parsed.run) return FromOutcome(parsed);
  if (!parsed.positional.empty() && command != Command::kDiff) {
    const char* numeric_flag = command == Command::kReport ? "pid" : "";
    return FromOutcome(
        flags::Error(program.name, flags::UnexpectedArgument(program.name, parsed.positional.front(), numeric_flag, "")));
  }
  Invocation inv;
  inv.command = command;
  absl::Status status;
  switch (command) {
    case Command::kReport: status = ValidateReport(parsed, &inv.report); break;
    case Command::kDoctor: status = ValidateDoctor(&inv.doctor); break;
    case Command::kCalibrate: status = ValidateCalibrate(&inv.calibrate); break;
    case Command::kDiff: status = ValidateDiff(parsed, &inv.diff); break;
  }
  if (!status.ok()) return FromOutcome(flags::Error(program.name, status.message()));
  ParseResult result;
  result.invocation = std::move(inv);
  return result;
}

}  // namespace iotax::cli
