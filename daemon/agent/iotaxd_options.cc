#include "iotaxd_options.h"

#include <algorithm>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "flags.h"
#include "pmu_events.h"
#include "service_members.h"

// Read by the shared command-line layer (flags.h); --pid, --comm, --sample and
// --pmu-events are strings that ValidateDaemonFlags checks.
ABSL_FLAG(std::vector<std::string>, pid, {},
          "Process ID to trace, with all its threads. Repeat (--pid 1 --pid 2) or comma-separate "
          "(--pid 1,2) for several. A thread ID traces its whole process.");
ABSL_FLAG(std::string, cgroup, "",
          "Trace every process of this cgroup v2 directory (and the cgroups below it) as one service, e.g. "
          "/sys/fs/cgroup/system.slice/nginx.service: one set of series and one verdict for all of them, "
          "processes that start and exit included, no limit on their number (pid=\"\", comm=the path).");
ABSL_FLAG(int, max_processes, 8192,
          "Processes counted at once across all targets: followed children and a --cgroup service's members (the "
          "size of the kernel's targets map, about 100 bytes each). Beyond it new processes are not followed and "
          "are counted in iotax_bpf_dropped_total{reason=\"targets_full\"}.");
ABSL_FLAG(std::vector<std::string>, comm, {},
          "Trace every process with this name (as in /proc/PID/comm, at most 15 characters). "
          "iotaxd waits for the first one to appear and picks up each new one, including the "
          "next one after a target exits. Repeatable.");
ABSL_FLAG(bool, follow_children, false,
          "Also trace processes the targets fork after attach; they are counted with their parent.");
ABSL_FLAG(std::string, listen, "127.0.0.1:9464",
          "Address of the HTTP endpoint (/, /api/report, /api/series, /metrics, /healthz) as HOST:PORT. Port 0 picks a free "
          "port (printed at start). Loopback by default; any other address (0.0.0.0 is every interface) "
          "exposes the endpoint to other machines, which iotaxd says in a warning at start: protect it "
          "with --auth-file and --tls-cert.");
ABSL_FLAG(bool, check, false,
          "Load and attach every probe, print which work (and why not), then exit: 0 when all "
          "are up, 1 otherwise. Needs no --pid.");
ABSL_FLAG(bool, strict, false, "Exit with an error when any probe fails to attach (default: run without it and export iotax_probe_up 0).");
ABSL_FLAG(bool, bpf_stats, false,
          "Turn on kernel.bpf_stats_enabled while attached, so the BPF programs' own run time is "
          "exported (iotax_bpf_prog_run_seconds_total). Costs a little per event.");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1),
          "How often to look for new --comm processes and exited targets (e.g. 500ms, 2s).");
ABSL_FLAG(std::string, pmu_events, "instructions,cycles",
          "Tier 3 (IPC): the two PMU events read at every syscall and context switch, instructions "
          "first, then cycles (libpfm4 names, e.g. INST_RETIRED.ANY_P,CPU_CLK_UNHALTED.THREAD). "
          "Without a hardware PMU iotaxd runs on and exports iotax_pmu_up 0 with the reason; "
          "cpu-clock,task-clock are software stand-ins that exercise the path. Empty turns tier 3 off.");
ABSL_FLAG(absl::Duration, window, absl::Milliseconds(100),
          "Tier 3: the window of the CPI regression (instructions, cycles, syscalls and switches "
          "per window), e.g. 100ms, 1s.");

ABSL_FLAG(absl::Duration, verdict_window, absl::Seconds(30),
          "The verdict (/api/report, the page, iotax_verdict_level and the ratios) is computed over this "
          "sliding window of per-second snapshots, e.g. 30s, 2m; at least 2s, at most --history.");
ABSL_FLAG(absl::Duration, history, absl::Minutes(5),
          "How much per-second history to keep for the page's charts (/api/series), e.g. 5m, 15m.");
ABSL_FLAG(std::string, sample, "100%",
          "Share of the time the per-event probes (syscalls, switches, wakeups) are attached, e.g. 10%. "
          "Below 100% iotaxd traces one window of that share in every --sample-period and exports "
          "estimates scaled to all the time (iotax_sample_fraction says so): the targets pay about "
          "that share of full tracing's cost per syscall and switch (docs/overhead.md), and what "
          "happens between windows is not seen. 100% counts every event exactly.");
ABSL_FLAG(absl::Duration, sample_period, absl::Seconds(10),
          "With --sample below 100%: one window per period (1s windows at --sample=10%). Longer windows "
          "miss fewer calls at their edges (each thread's call in progress when a window opens is not "
          "counted); shorter ones update the estimates more often.");
ABSL_FLAG(std::string, calibration, "",
          "Calibration file written by `iotax calibrate` (default: the per-machine cache, "
          "/var/cache/iotax/calibration.json for root or $XDG_CACHE_HOME/iotax/calibration.json); "
          "none ignores it and estimates the async cost from the target's own non-blocking calls. A calibration "
          "that fails its checks (docs/methodology.md) is not used: a warning says why (an error with an explicit "
          "path).");

ABSL_FLAG(std::string, auth_file, "",
          "Require HTTP basic auth on every endpoint: a file of USER:HASH lines (crypt(3) hashes, as "
          "`htpasswd -nbB USER PASSWORD` or `openssl passwd -6` make them). Read once at start. "
          "Unauthenticated requests get 401.");
ABSL_FLAG(std::string, tls_cert, "",
          "Serve HTTPS only, with this PEM certificate (then any intermediates); needs --tls-key. "
          "Read once at start, before privileges are dropped.");
ABSL_FLAG(std::string, tls_key, "", "The unencrypted PEM private key of --tls-cert.");
ABSL_FLAG(bool, stacks, false,
          "Also take stacks: where threads block (a user stack at each blocked switch-out, with the call and "
          "the kind of descriptor) and where the CPU goes (sampled at --stack-hz); served at /api/stacks "
          "(folded text and top call sites), /api/stacks/offcpu.svg and oncpu.svg, and on the page. Stack "
          "names need the targets' /proc/PID/maps: with --user, only processes of that user get names.");
ABSL_FLAG(bool, kernel_stacks, false, "With --stacks: kernel stacks too (frames marked _[k]).");
ABSL_FLAG(int, stack_hz, 99, "With --stacks: on-CPU samples per second per CPU (1 to 10000).");
ABSL_FLAG(std::string, user, "",
          "After attaching, switch to this unprivileged user (e.g. nobody), on top of dropping every "
          "capability, which iotaxd always does. Needs root (CAP_SETUID, CAP_SETGID) at start.");

namespace iotax {
namespace {

const char kUsage[] =
      "iotaxd: measures how much of a running program's CPU goes to thread-blocking IO, with eBPF,\n"
      "and exports it for Prometheus at http://LISTEN/metrics (liveness at /healthz). The verdict (is an\n"
      "async design worth it?) is a web page at http://LISTEN/ and JSON at /api/report.\n"
      "Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF; once attached it drops every\n"
      "capability (docs/security.md). Runs until SIGINT or SIGTERM, then detaches every probe.\n\n"
      "Usage:\n"
      "  iotaxd --pid PID [--pid PID...] [--comm NAME...] [--follow-children] [--listen HOST:PORT]\n"
      "  iotaxd --cgroup /sys/fs/cgroup/PATH [--listen HOST:PORT]\n"
      "  iotaxd --check\n\n"
      "Examples:\n"
      "  iotaxd --pid 1234\n"
      "  iotaxd --comm nginx --follow-children --listen 127.0.0.1:9464\n"
      "  iotaxd --cgroup /sys/fs/cgroup/system.slice/apache2.service\n\n"
      "--pid and --comm give each process its own slot, at most 64 at once; --cgroup traces a whole\n"
      "service in one slot, however many processes it has.\n"
      "  iotaxd --pid 1234 --user nobody --listen 0.0.0.0:9464 --auth-file /etc/iotax/users \\\n"
      "         --tls-cert /etc/iotax/cert.pem --tls-key /etc/iotax/key.pem\n";

// iotaxd's flags in the order --help shows them.
const flags::Program& Daemon() {
  static const flags::Program program = {
      .name = "iotaxd",
      .usage = kUsage,
      .flags = {{"pid", "PID"}, {"comm", "NAME"}, {"cgroup", "PATH"}, {"follow_children"}, {"max_processes", "N"}, {"listen", "HOST:PORT"}, {"check"},
                {"strict"}, {"bpf_stats"}, {"interval"}, {"pmu_events", "INSTRUCTIONS,CYCLES"}, {"window"},
                {"verdict_window"}, {"history"}, {"sample", "PERCENT"}, {"sample_period"},
                {"calibration", "PATH|none"}, {"auth_file", "PATH"}, {"tls_cert", "PATH"}, {"tls_key", "PATH"},
                {"user", "USER"}, {"stacks"}, {"kernel_stacks"}, {"stack_hz", "HZ"}},
  };
  return program;
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(absl::string_view listen) {
  const std::string hint = "pass --listen=HOST:PORT, e.g. --listen=127.0.0.1:9464";
  std::string host;
  absl::string_view port_text;
  if (absl::StartsWith(listen, "[")) {
    const size_t close = listen.find("]:");
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--listen=", listen, " has no port after the IPv6 address: ", hint));
    }
    host = std::string(listen.substr(1, close - 1));
    port_text = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == absl::string_view::npos || listen.find(':') != colon) {
      return absl::InvalidArgumentError(absl::StrCat("--listen=", listen, " is not HOST:PORT: ", hint,
                                                     " (IPv6 as [::1]:9464)"));
    }
    host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--listen=", listen, " has no host: ", hint,
                                                   " (0.0.0.0 to listen on every interface)"));
  }
  if (host == "localhost") host = "127.0.0.1";
  int port = -1;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen=", listen, ": the port must be a number from 0 to 65535; ",
                                                   hint));
  }
  return std::make_pair(host, port);
}

absl::StatusOr<double> ParseSampleShare(absl::string_view text) {
  return flags::ParsePercent("sample", text, 1, 100, "10%");
}

absl::StatusOr<DaemonOptions> ValidateDaemonFlags(const RawDaemonFlags& raw) {
  DaemonOptions o;
  if (!raw.positional.empty()) {
    return absl::InvalidArgumentError(flags::UnexpectedArgument("iotaxd", raw.positional.front(), "pid", "comm"));
  }
  absl::StatusOr<std::vector<int>> pids = flags::ParsePids(raw.pid);
  if (!pids.ok()) return pids.status();
  o.pids = *std::move(pids);
  for (const std::string& c : raw.comm) {
    if (c.empty()) return absl::InvalidArgumentError("--comm is empty: pass a process name, e.g. --comm=nginx");
    if (c.size() > kMaxCommLength) {
      return absl::InvalidArgumentError(absl::StrCat("--comm=", c, " is longer than ", kMaxCommLength,
                                                     " characters, and the kernel keeps only the first ",
                                                     kMaxCommLength, ": pass --comm=", c.substr(0, kMaxCommLength)));
    }
    if (std::find(o.comms.begin(), o.comms.end(), c) == o.comms.end()) o.comms.push_back(c);
  }
  if (!raw.cgroup.empty()) {
    if (absl::Status s = CheckCgroupPath(raw.cgroup); !s.ok()) return s;
    o.cgroup = raw.cgroup;
  }
  if (absl::Status s = flags::CheckInt("max-processes", raw.max_processes, 64, 1 << 20); !s.ok()) return s;
  o.max_processes = raw.max_processes;
  o.check = raw.check;
  o.strict = raw.strict;
  o.bpf_stats = raw.bpf_stats;
  o.follow_children = raw.follow_children;
  o.stacks = raw.stacks;
  o.kernel_stacks = raw.kernel_stacks;
  o.stack_hz = raw.stack_hz;
  if (absl::Status s = flags::CheckInt("stack-hz", o.stack_hz, 1, 10000); !s.ok()) return s;
  if ((o.kernel_stacks || o.stack_hz != 99) && !o.stacks) {
    return absl::InvalidArgumentError("--kernel-stacks and --stack-hz need --stacks (stacks are off without it)");
  }
  if (!o.check && o.pids.empty() && o.comms.empty() && o.cgroup.empty()) {
    return absl::InvalidArgumentError(
        "nothing to trace: pass --pid=PID, --comm=NAME or --cgroup=PATH (or --check to test the probes); see "
        "iotaxd --help");
  }
  absl::StatusOr<std::pair<std::string, int>> listen = ParseListenAddress(raw.listen);
  if (!listen.ok()) return listen.status();
  o.listen_host = listen->first;
  o.listen_port = listen->second;
  if (absl::Status s = flags::CheckDuration("interval", raw.interval, absl::Milliseconds(1), absl::Minutes(10), "1s");
      !s.ok()) {
    return s;
  }
  o.interval = raw.interval;
  if (!raw.pmu_events.empty()) {
    // A typo'd event is one line now, not a surprise after attaching.
    absl::StatusOr<pmu::EventPair> pair = pmu::ParseEventPair(raw.pmu_events);
    if (!pair.ok()) return pair.status();
    for (const std::string& e : {pair->instructions, pair->cycles}) {
      if (auto encoded = pmu::EncodeEvent(e, pmu::CountingMode::kUserOnly); !encoded.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--pmu-events: ", encoded.status().message()));
      }
    }
  }
  o.pmu_events = raw.pmu_events;
  if (absl::Status s = flags::CheckDuration("window", raw.window, absl::Milliseconds(10), absl::Minutes(1), "100ms");
      !s.ok()) {
    return s;
  }
  o.window = raw.window;
  if (absl::Status s = flags::CheckDuration("history", raw.history, absl::Seconds(10), absl::Hours(24), "5m"); !s.ok()) {
    return s;
  }
  o.history = raw.history;
  if (absl::Status s = flags::CheckDuration("verdict-window", raw.verdict_window, absl::Seconds(2), raw.history, "30s",
                                            "--history");
      !s.ok()) {
    return s;
  }
  o.verdict_window = raw.verdict_window;
  absl::StatusOr<double> share = ParseSampleShare(raw.sample);
  if (!share.ok()) return share.status();
  o.sample_fraction = *share;
  if (absl::Status s = flags::CheckDuration("sample-period", raw.sample_period, absl::Milliseconds(100),
                                            absl::Minutes(1), "10s");
      !s.ok()) {
    return s;
  }
  o.sample_period = raw.sample_period;
  if (o.sample_fraction < 1.0 && o.sample_period * o.sample_fraction < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--sample=", raw.sample, " of --sample-period=", absl::FormatDuration(raw.sample_period),
        " makes windows shorter than 10ms, too short to see whole calls: raise either, e.g. --sample=10% "
        "--sample-period=10s"));
  }
  if (raw.calibration == "none") {
    o.no_calibration = true;
  } else {
    o.calibration_path = raw.calibration;
  }
  if (raw.tls_cert.empty() != raw.tls_key.empty()) {
    return absl::InvalidArgumentError(raw.tls_cert.empty()
                                          ? "--tls-key without --tls-cert: pass both, --tls-cert=CERT.pem --tls-key=KEY.pem"
                                          : "--tls-cert without --tls-key: pass both, --tls-cert=CERT.pem --tls-key=KEY.pem");
  }
  o.auth_file = raw.auth_file;
  o.tls_cert = raw.tls_cert;
  o.tls_key = raw.tls_key;
  o.user = raw.user;
  return o;
}

std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args) {
  return flags::Normalize(Daemon(), args);
}

std::string DaemonUsageText() { return flags::HelpText(Daemon()); }

ParseOutcome ParseDaemonCommandLine(int argc, char** argv, RawDaemonFlags* raw) {
  const flags::Outcome parsed = flags::Parse(Daemon(), std::vector<std::string>(argv, argv + argc));
  if (!parsed.run) {
    (parsed.to_stderr ? std::cerr : std::cout) << parsed.text << std::flush;
    return parsed.exit_code == 0 ? ParseOutcome::kExitOk : ParseOutcome::kExitError;
  }
  raw->pid = absl::GetFlag(FLAGS_pid);
  raw->comm = absl::GetFlag(FLAGS_comm);
  raw->cgroup = absl::GetFlag(FLAGS_cgroup);
  raw->max_processes = absl::GetFlag(FLAGS_max_processes);
  raw->follow_children = absl::GetFlag(FLAGS_follow_children);
  raw->listen = absl::GetFlag(FLAGS_listen);
  raw->check = absl::GetFlag(FLAGS_check);
  raw->strict = absl::GetFlag(FLAGS_strict);
  raw->bpf_stats = absl::GetFlag(FLAGS_bpf_stats);
  raw->interval = absl::GetFlag(FLAGS_interval);
  raw->pmu_events = absl::GetFlag(FLAGS_pmu_events);
  raw->window = absl::GetFlag(FLAGS_window);
  raw->verdict_window = absl::GetFlag(FLAGS_verdict_window);
  raw->history = absl::GetFlag(FLAGS_history);
  raw->sample = absl::GetFlag(FLAGS_sample);
  raw->sample_period = absl::GetFlag(FLAGS_sample_period);
  raw->calibration = absl::GetFlag(FLAGS_calibration);
  raw->auth_file = absl::GetFlag(FLAGS_auth_file);
  raw->tls_cert = absl::GetFlag(FLAGS_tls_cert);
  raw->tls_key = absl::GetFlag(FLAGS_tls_key);
  raw->user = absl::GetFlag(FLAGS_user);
  raw->stacks = absl::GetFlag(FLAGS_stacks);
  raw->kernel_stacks = absl::GetFlag(FLAGS_kernel_stacks);
  raw->stack_hz = absl::GetFlag(FLAGS_stack_hz);
  raw->positional = parsed.positional;
  return ParseOutcome::kRun;
}

}  // namespace iotax
