#include "iotaxd_options.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "metrics_collector.h"
#include "pmu_events.h"

// Strings rather than typed flags where iotaxd validates the value itself, so
// a bad value gets iotaxd's one-line error instead of Abseil's.
ABSL_FLAG(std::vector<std::string>, pid, {},
          "Process ID to trace, with all its threads. Repeat (--pid 1 --pid 2) or comma-separate "
          "(--pid 1,2) for several. A thread ID traces its whole process.");
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
ABSL_FLAG(std::string, interval, "1s",
          "How often to look for new --comm processes and exited targets (e.g. 500ms, 2s).");
ABSL_FLAG(std::string, pmu_events, "instructions,cycles",
          "Tier 3 (IPC): the two PMU events read at every syscall and context switch, instructions "
          "first, then cycles (libpfm4 names, e.g. INST_RETIRED.ANY_P,CPU_CLK_UNHALTED.THREAD). "
          "Without a hardware PMU iotaxd runs on and exports iotax_pmu_up 0 with the reason; "
          "cpu-clock,task-clock are software stand-ins that exercise the path. Empty turns tier 3 off.");
ABSL_FLAG(std::string, window, "100ms",
          "Tier 3: the window of the CPI regression (instructions, cycles, syscalls and switches "
          "per window), e.g. 100ms, 1s.");

ABSL_FLAG(std::string, verdict_window, "30s",
          "The verdict (/api/report, the page, iotax_verdict_level and the ratios) is computed over this "
          "sliding window of per-second snapshots, e.g. 30s, 2m; at least 2s, at most --history.");
ABSL_FLAG(std::string, history, "5m",
          "How much per-second history to keep for the page's charts (/api/series), e.g. 5m, 15m.");
ABSL_FLAG(std::string, sample, "100%",
          "Share of the time the per-event probes (syscalls, switches, wakeups) are attached, e.g. 10%. "
          "Below 100% iotaxd traces one window of that share in every --sample-period and exports "
          "estimates scaled to all the time (iotax_sample_fraction says so): the targets pay about "
          "that share of full tracing's cost per syscall and switch (docs/overhead.md), and what "
          "happens between windows is not seen. 100% counts every event exactly.");
ABSL_FLAG(std::string, sample_period, "10s",
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
ABSL_FLAG(std::string, user, "",
          "After attaching, switch to this unprivileged user (e.g. nobody), on top of dropping every "
          "capability, which iotaxd always does. Needs root (CAP_SETUID, CAP_SETGID) at start.");

namespace iotax {
namespace {

// iotaxd's flags in the order --help shows them.
constexpr const char* kFlagOrder[] = {"pid",       "comm",           "follow_children", "listen",  "check",
                                      "strict",    "bpf_stats",      "interval",        "pmu_events", "window",
                                      "verdict_window", "history",   "sample",          "sample_period",
                                      "calibration",    "auth_file",
                                      "tls_cert",  "tls_key",        "user"};
constexpr const char* kMergedFlags[] = {"pid", "comm"};

// What --help shows after "--flag=" for flags that take a value.
const char* Placeholder(absl::string_view name) {
  if (name == "pid") return "PID";
  if (name == "comm") return "NAME";
  if (name == "listen") return "HOST:PORT";
  if (name == "interval" || name == "window" || name == "verdict_window" || name == "history" ||
      name == "sample_period")
    return "DURATION";
  if (name == "sample") return "PERCENT";
  if (name == "calibration") return "PATH|none";
  if (name == "auth_file" || name == "tls_cert" || name == "tls_key") return "PATH";
  if (name == "user") return "USER";
  if (name == "pmu_events") return "INSTRUCTIONS,CYCLES";
  return "VALUE";
}

// Wraps `text` at `width` columns, each line indented by `indent` spaces.
std::string Wrap(absl::string_view text, size_t indent, size_t width) {
  std::string out;
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > width) {
      out += "\n";
      column = 0;
    }
    if (column == 0) {
      out.append(indent, ' ');
      column = indent;
    } else {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
  }
  return out + "\n";
}

std::string Dashed(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

bool IsMerged(absl::string_view name) {
  for (const char* m : kMergedFlags) {
    if (name == m) return true;
  }
  return false;
}

bool IsKnownFlag(absl::string_view name) {
  if (name == "help" || name == "version") return true;
  for (const char* f : kFlagOrder) {
    if (name == f) return true;
  }
  // Abseil's "--noflag" form for booleans.
  if (absl::ConsumePrefix(&name, "no")) {
    for (const char* f : {"follow_children", "check", "strict", "bpf_stats"}) {
      if (name == f) return true;
    }
  }
  return false;
}

// Splits "--name=value" / "-name" into the name (underscored) and "=value".
struct FlagToken {
  std::string name;
  std::string rest;  // "=value" or ""
};

FlagToken SplitFlag(absl::string_view arg) {
  absl::ConsumePrefix(&arg, "-");
  absl::ConsumePrefix(&arg, "-");
  const size_t eq = arg.find('=');
  FlagToken t;
  t.name = absl::StrReplaceAll(arg.substr(0, eq), {{"-", "_"}});
  if (eq != absl::string_view::npos) t.rest = std::string(arg.substr(eq));
  return t;
}

bool IsFlagArg(absl::string_view arg) { return arg.size() > 1 && arg[0] == '-' && arg != "--"; }

bool IsBoolFlag(absl::string_view name) {
  for (const char* f : {"follow_children", "check", "strict", "bpf_stats", "help", "version"}) {
    if (name == f) return true;
  }
  return false;
}

// What Abseil would otherwise report in its own words (several lines, exit
// 1): a flag that needs a value and has none (or is followed by another
// flag, which Abseil would take as the value), and a boolean given a value
// it does not take. Empty when every flag of known name is well formed.
std::string FlagValueError(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (!IsFlagArg(arg)) continue;
    const FlagToken t = SplitFlag(arg);
    if (IsBoolFlag(t.name)) {
      bool unused = false;
      if (!t.rest.empty() && !absl::SimpleAtob(t.rest.substr(1), &unused)) {
        return absl::StrCat("--", Dashed(t.name), t.rest, " is not a boolean: pass --", Dashed(t.name),
                            " alone (or =true/=false)");
      }
      continue;
    }
    if (absl::StartsWith(t.name, "no") && IsBoolFlag(t.name.substr(2))) {
      if (!t.rest.empty()) {
        return absl::StrCat("--", Dashed(t.name), " takes no value: pass --", Dashed(t.name.substr(2)), "=false");
      }
      continue;
    }
    // Abseil reads an empty list, and the flag would silently count for nothing.
    if (IsMerged(t.name) && t.rest == "=") {
      return absl::StrCat("--", Dashed(t.name), "= is empty: pass --", Dashed(t.name), "=", Placeholder(t.name));
    }
    if (!t.rest.empty() || !IsKnownFlag(t.name)) continue;
    if (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--")) {
      return absl::StrCat("--", Dashed(t.name), " needs a value: pass --", Dashed(t.name), "=", Placeholder(t.name));
    }
    ++i;  // the value
  }
  return "";
}

absl::StatusOr<int> ParsePid(absl::string_view text) {
  int pid = 0;
  if (!absl::SimpleAtoi(text, &pid) || pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("--pid=", text,
                                                   " is not a process ID: pass a positive number such as --pid=1234"));
  }
  return pid;
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
  absl::string_view digits = text;
  absl::ConsumeSuffix(&digits, "%");
  double percent = 0;
  if (!absl::SimpleAtod(digits, &percent) || !(percent >= 1.0 && percent <= 100.0)) {
    return absl::InvalidArgumentError(absl::StrCat("--sample=", text,
                                                   " is not a share from 1% to 100%: pass e.g. --sample=10%"));
  }
  return percent / 100.0;
}

absl::StatusOr<DaemonOptions> ValidateDaemonFlags(const RawDaemonFlags& raw) {
  DaemonOptions o;
  if (!raw.positional.empty()) {
    const std::string& arg = raw.positional.front();
    int n = 0;
    const std::string hint = absl::SimpleAtoi(arg, &n) ? absl::StrCat("pass it as --pid=", arg)
                                                       : absl::StrCat("pass it as --comm=", arg);
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "': ", hint));
  }
  std::set<int> seen;
  for (const std::string& p : raw.pid) {
    absl::StatusOr<int> pid = ParsePid(absl::StripAsciiWhitespace(p));
    if (!pid.ok()) return pid.status();
    if (seen.insert(*pid).second) o.pids.push_back(*pid);
  }
  for (const std::string& c : raw.comm) {
    if (c.empty()) return absl::InvalidArgumentError("--comm is empty: pass a process name, e.g. --comm=nginx");
    if (c.size() > kMaxCommLength) {
      return absl::InvalidArgumentError(absl::StrCat("--comm=", c, " is longer than ", kMaxCommLength,
                                                     " characters, and the kernel keeps only the first ",
                                                     kMaxCommLength, ": pass --comm=", c.substr(0, kMaxCommLength)));
    }
    if (std::find(o.comms.begin(), o.comms.end(), c) == o.comms.end()) o.comms.push_back(c);
  }
  o.check = raw.check;
  o.strict = raw.strict;
  o.bpf_stats = raw.bpf_stats;
  o.follow_children = raw.follow_children;
  if (!o.check && o.pids.empty() && o.comms.empty()) {
    return absl::InvalidArgumentError(
        "nothing to trace: pass --pid=PID or --comm=NAME (or --check to test the probes); see iotaxd --help");
  }
  absl::StatusOr<std::pair<std::string, int>> listen = ParseListenAddress(raw.listen);
  if (!listen.ok()) return listen.status();
  o.listen_host = listen->first;
  o.listen_port = listen->second;
  if (raw.interval < absl::Milliseconds(1) || raw.interval > absl::Minutes(10)) {
    return absl::InvalidArgumentError(absl::StrCat("--interval=", absl::FormatDuration(raw.interval),
                                                   " is out of range: pass a duration from 1ms to 10m, e.g. --interval=1s"));
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
  if (raw.window < absl::Milliseconds(10) || raw.window > absl::Minutes(1)) {
    return absl::InvalidArgumentError(absl::StrCat("--window=", absl::FormatDuration(raw.window),
                                                   " is out of range: pass a duration from 10ms to 1m, e.g. --window=100ms"));
  }
  o.window = raw.window;
  if (raw.history < absl::Seconds(10) || raw.history > absl::Hours(24)) {
    return absl::InvalidArgumentError(absl::StrCat("--history=", absl::FormatDuration(raw.history),
                                                   " is out of range: pass a duration from 10s to 24h, e.g. --history=5m"));
  }
  o.history = raw.history;
  if (raw.verdict_window < absl::Seconds(2) || raw.verdict_window > raw.history) {
    return absl::InvalidArgumentError(absl::StrCat("--verdict-window=", absl::FormatDuration(raw.verdict_window),
                                                   " is out of range: pass a duration from 2s to --history (",
                                                   absl::FormatDuration(raw.history), "), e.g. --verdict-window=30s"));
  }
  o.verdict_window = raw.verdict_window;
  absl::StatusOr<double> share = ParseSampleShare(raw.sample);
  if (!share.ok()) return share.status();
  o.sample_fraction = *share;
  if (raw.sample_period < absl::Milliseconds(100) || raw.sample_period > absl::Minutes(1)) {
    return absl::InvalidArgumentError(absl::StrCat("--sample-period=", absl::FormatDuration(raw.sample_period),
                                                   " is out of range: pass a duration from 100ms to 1m, e.g. --sample-period=10s"));
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
  std::vector<std::string> out;
  if (args.empty()) return out;
  out.push_back(args[0]);
  std::vector<std::string> merged_order;
  std::map<std::string, std::vector<std::string>> merged;
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg == "-h") {
      out.push_back("--help");
      continue;
    }
    if (!IsFlagArg(arg)) {
      out.push_back(arg);
      continue;
    }
    FlagToken t = SplitFlag(arg);
    if (IsMerged(t.name)) {
      std::string value;
      if (!t.rest.empty()) {
        value = t.rest.substr(1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        out.push_back("--" + t.name);  // missing value: let the parser say so
        continue;
      }
      if (!merged.count(t.name)) merged_order.push_back(t.name);
      merged[t.name].push_back(value);
      continue;
    }
    out.push_back(absl::StrCat("--", t.name, t.rest));
  }
  for (const std::string& name : merged_order) {
    out.push_back(absl::StrCat("--", name, "=", absl::StrJoin(merged[name], ",")));
  }
  for (; i < args.size(); ++i) out.push_back(args[i]);
  return out;
}

std::string DaemonUsageText() {
  std::string text =
      "iotaxd: measures how much of a running program's CPU goes to thread-blocking IO, with eBPF,\n"
      "and exports it for Prometheus at http://LISTEN/metrics (liveness at /healthz). The verdict (is an\n"
      "async design worth it?) is a web page at http://LISTEN/ and JSON at /api/report.\n"
      "Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF; once attached it drops every\n"
      "capability (docs/security.md). Runs until SIGINT or SIGTERM, then detaches every probe.\n\n"
      "Usage:\n"
      "  iotaxd --pid PID [--pid PID...] [--comm NAME...] [--follow-children] [--listen HOST:PORT]\n"
      "  iotaxd --check\n\n"
      "Examples:\n"
      "  iotaxd --pid 1234\n"
      "  iotaxd --comm nginx --follow-children --listen 127.0.0.1:9464\n"
      "  iotaxd --pid 1234 --user nobody --listen 0.0.0.0:9464 --auth-file /etc/iotax/users \\\n"
      "         --tls-cert /etc/iotax/cert.pem --tls-key /etc/iotax/key.pem\n\n"
      "Flags:\n";
  for (const char* name : kFlagOrder) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    std::string def = flag->DefaultValue();
    absl::StrAppend(&text, "  --", Dashed(name));
    if (def == "false") {
      absl::StrAppend(&text, "\n");
    } else {
      absl::StrAppend(&text, "=", Placeholder(name), def.empty() ? "" : absl::StrCat("  (default: ", def, ")"),
                      "\n");
    }
    absl::StrAppend(&text, Wrap(flag->Help(), 6, 80));
  }
  absl::StrAppend(&text, "  --help\n      Show this text.\n  --version\n      Print the version.\n");
  return text;
}

ParseOutcome ParseDaemonCommandLine(int argc, char** argv, RawDaemonFlags* raw) {
  std::vector<std::string> args = NormalizeArgs(std::vector<std::string>(argv, argv + argc));
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (!IsFlagArg(arg)) continue;
    const std::string name = SplitFlag(arg).name;
    if (name == "help") {
      std::cout << DaemonUsageText();
      return ParseOutcome::kExitOk;
    }
    if (name == "version") {
      std::cout << "iotaxd (iotax) " << kIotaxVersion << "\n";
      return ParseOutcome::kExitOk;
    }
    if (!IsKnownFlag(name)) {
      std::cerr << "iotaxd: unknown flag --" << Dashed(name) << ": see iotaxd --help for the flags\n";
      return ParseOutcome::kExitError;
    }
  }
  if (const std::string error = FlagValueError(std::vector<std::string>(argv, argv + argc)); !error.empty()) {
    std::cerr << "iotaxd: " << error << "\n";
    return ParseOutcome::kExitError;
  }
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());

  raw->pid = absl::GetFlag(FLAGS_pid);
  raw->comm = absl::GetFlag(FLAGS_comm);
  raw->follow_children = absl::GetFlag(FLAGS_follow_children);
  raw->listen = absl::GetFlag(FLAGS_listen);
  raw->check = absl::GetFlag(FLAGS_check);
  raw->strict = absl::GetFlag(FLAGS_strict);
  raw->bpf_stats = absl::GetFlag(FLAGS_bpf_stats);
  raw->positional.assign(rest.begin() + 1, rest.end());
  const std::string interval = absl::GetFlag(FLAGS_interval);
  if (!absl::ParseDuration(interval, &raw->interval)) {
    std::cerr << "iotaxd: --interval=" << interval << " is not a duration: pass e.g. --interval=1s or --interval=500ms\n";
    return ParseOutcome::kExitError;
  }
  raw->pmu_events = absl::GetFlag(FLAGS_pmu_events);
  const std::string window = absl::GetFlag(FLAGS_window);
  if (!absl::ParseDuration(window, &raw->window)) {
    std::cerr << "iotaxd: --window=" << window << " is not a duration: pass e.g. --window=100ms or --window=1s\n";
    return ParseOutcome::kExitError;
  }
  for (auto [flag, text, out, example] :
       {std::tuple{"verdict-window", absl::GetFlag(FLAGS_verdict_window), &raw->verdict_window, "30s"},
        std::tuple{"history", absl::GetFlag(FLAGS_history), &raw->history, "5m"},
        std::tuple{"sample-period", absl::GetFlag(FLAGS_sample_period), &raw->sample_period, "10s"}}) {
    if (!absl::ParseDuration(text, out)) {
      std::cerr << "iotaxd: --" << flag << "=" << text << " is not a duration: pass e.g. --" << flag << "="
                << example << "\n";
      return ParseOutcome::kExitError;
    }
  }
  raw->sample = absl::GetFlag(FLAGS_sample);
  raw->calibration = absl::GetFlag(FLAGS_calibration);
  raw->auth_file = absl::GetFlag(FLAGS_auth_file);
  raw->tls_cert = absl::GetFlag(FLAGS_tls_cert);
  raw->tls_key = absl::GetFlag(FLAGS_tls_key);
  raw->user = absl::GetFlag(FLAGS_user);
  return ParseOutcome::kRun;
}

}  // namespace iotax
