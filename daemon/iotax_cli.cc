#include "iotax_cli.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "calibration_retry.h"
#include "calibration_store.h"
#include "metrics_collector.h"
#include "pmu_events.h"

namespace iotax::cli {
namespace {

struct FlagSpec {
  const char* name;         // dashed, as typed
  const char* placeholder;  // nullptr for a boolean
  const char* default_text; // shown in --help ("" for none)
  const char* help;
  bool repeatable = false;
};

const std::vector<FlagSpec>& Specs(Command c) {
  static const std::vector<FlagSpec> report = {
      {"pid", "PID", "", "Process to measure, with all its threads. Repeat or comma-separate for several.", true},
      {"duration", "DURATION", "10s", "How long to measure (1s to 1h), e.g. 10s, 1m."},
      {"subwindow", "DURATION", "1s",
       "Length of the sub-windows whose spread gives the confidence interval; shortened so that there are at "
       "least 5."},
      {"json", nullptr, "", "Print the report as JSON (the schema of iotaxd's /api/report, docs/methodology.md)."},
      {"calibration", "PATH|none", "",
       "Calibration file written by `iotax calibrate` (default: the per-machine cache, see `iotax calibrate "
       "--help`); `none` ignores it and estimates the async cost from the target's own non-blocking calls. One "
       "that fails its checks (docs/methodology.md) is not used: a warning says why (an error with an explicit "
       "PATH)."},
      {"pmu-events", "INSTRUCTIONS,CYCLES", "instructions,cycles",
       "Tier 3 (IPC): the two PMU events; empty turns it off. Without a hardware PMU the indirect cost is "
       "reported as missing."},
      {"follow-children", nullptr, "", "Count processes the target forks after attach with it."},
  };
  static const std::vector<FlagSpec> doctor = {
      {"calibration", "PATH", "", "Calibration file to check (default: the per-machine cache)."},
      {"pmu-events", "INSTRUCTIONS,CYCLES", "instructions,cycles", "Tier 3 events to try."},
  };
  static const std::vector<FlagSpec> calibrate = {
      {"rates", "LIST", "5000,20000,60000",
       "Offered loads in requests/s, comma-separated; each is run against both servers. Keep them below what "
       "the blocking server can serve."},
      {"conns", "N", "100", "Client connections (the blocking server runs one thread per connection)."},
      {"msg-size", "BYTES", "512", "Bytes per request."},
      {"duration", "DURATION", "3s", "Measured time per run (after a 1 s warm-up)."},
      {"repeat", "N", "2",
       "Runs per server and rate, alternating blocking and io_uring so that a change in the machine's load hits "
       "both; their sub-windows are pooled."},
      {"server-cpu", "CPU", "0", "CPU the servers are pinned to."},
      {"client-cpu", "CPU", "1", "CPU the load client is pinned to."},
      {"bin-dir", "DIR", "",
       "Where iotax-echo-server and iotax-echo-client are (default: the directory of this iotax binary)."},
      {"output", "PATH", "", "Calibration file to write (default: the per-machine cache path below)."},
      {"pmu-events", "INSTRUCTIONS,CYCLES", "instructions,cycles", "Tier 3 events (for the indirect part)."},
  };
  switch (c) {
    case Command::kReport: return report;
    case Command::kDoctor: return doctor;
    case Command::kCalibrate: return calibrate;
  }
  return doctor;
}

const char* CommandName(Command c) {
  switch (c) {
    case Command::kReport: return "report";
    case Command::kDoctor: return "doctor";
    case Command::kCalibrate: return "calibrate";
  }
  return "";
}

std::string Wrap(absl::string_view text, size_t indent, size_t width = 80) {
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

ParseResult Error(Command c, const std::string& message) {
  ParseResult r;
  r.print = absl::StrCat("iotax ", CommandName(c), ": ", message, "\n");
  r.to_stderr = true;
  r.exit_code = 2;
  return r;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag, const std::string& text,
                                                  absl::Duration lo, absl::Duration hi, const char* example) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, " is not a duration: pass e.g. --", flag, "=", example));
  }
  if (d < lo || d > hi) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, " is out of range: pass a duration from ",
                                                   absl::FormatDuration(lo), " to ", absl::FormatDuration(hi),
                                                   ", e.g. --", flag, "=", example));
  }
  return d;
}

absl::StatusOr<int> ParseIntFlag(const std::string& flag, const std::string& text, int lo, int hi) {
  int v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, " is not a whole number from ", lo, " to ", hi));
  }
  return v;
}

absl::Status CheckPmuEvents(const std::string& text) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<pmu::EventPair> pair = pmu::ParseEventPair(text);
  if (!pair.ok()) return pair.status();
  for (const std::string& e : {pair->instructions, pair->cycles}) {
    if (auto encoded = pmu::EncodeEvent(e, pmu::CountingMode::kUserOnly); !encoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--pmu-events: ", encoded.status().message()));
    }
  }
  return absl::OkStatus();
}

// Flag values by name (repeatable flags: every occurrence, in order).
using FlagValues = std::map<std::string, std::vector<std::string>>;

absl::Status ValidateReport(const FlagValues& f, ReportOptions* o) {
  std::set<int> seen;
  if (auto it = f.find("pid"); it != f.end()) {
    for (const std::string& group : it->second) {
      for (absl::string_view p : absl::StrSplit(group, ',', absl::SkipWhitespace())) {
        int pid = 0;
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(p), &pid) || pid <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("--pid=", p, " is not a process ID: pass a positive number such as --pid=1234"));
        }
        if (seen.insert(pid).second) o->pids.push_back(pid);
      }
    }
  }
  if (o->pids.empty()) {
    return absl::InvalidArgumentError("which process? pass --pid=PID (find it with `pidof NAME` or `ps -C NAME`)");
  }
  auto value = [&](const char* name) -> const std::string* {
    auto it = f.find(name);
    return it == f.end() ? nullptr : &it->second.back();
  };
  if (const std::string* v = value("duration")) {
    auto d = ParseDurationFlag("duration", *v, absl::Seconds(1), absl::Hours(1), "10s");
    if (!d.ok()) return d.status();
    o->duration = *d;
  }
  if (const std::string* v = value("subwindow")) {
    auto d = ParseDurationFlag("subwindow", *v, absl::Milliseconds(100), absl::Minutes(10), "1s");
    if (!d.ok()) return d.status();
    o->subwindow = *d;
  }
  // At least 5 sub-windows, so the interval means something.
  if (o->duration / o->subwindow < 5) o->subwindow = o->duration / 5;
  o->json = f.count("json") > 0;
  o->follow_children = f.count("follow-children") > 0;
  if (const std::string* v = value("calibration")) {
    if (*v == "none") {
      o->no_calibration = true;
    } else if (v->empty()) {
      return absl::InvalidArgumentError("--calibration is empty: pass a file written by `iotax calibrate`, or none");
    } else {
      o->calibration_path = *v;
    }
  }
  if (const std::string* v = value("pmu-events")) o->pmu_events = *v;
  return CheckPmuEvents(o->pmu_events);
}

absl::Status ValidateDoctor(const FlagValues& f, DoctorOptions* o) {
  if (auto it = f.find("calibration"); it != f.end()) o->calibration_path = it->second.back();
  if (auto it = f.find("pmu-events"); it != f.end()) o->pmu_events = it->second.back();
  return CheckPmuEvents(o->pmu_events);
}

absl::Status ValidateCalibrate(const FlagValues& f, CalibrateOptions* o) {
  auto value = [&](const char* name) -> const std::string* {
    auto it = f.find(name);
    return it == f.end() ? nullptr : &it->second.back();
  };
  if (const std::string* v = value("rates")) {
    o->rates.clear();
    for (absl::string_view r : absl::StrSplit(*v, ',', absl::SkipWhitespace())) {
      auto rate = ParseIntFlag("rates", std::string(r), 100, 10'000'000);
      if (!rate.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--rates=", *v, ": '", r,
                                                       "' is not a rate from 100 to 10000000 requests/s; pass e.g. "
                                                       "--rates=5000,20000,60000"));
      }
      o->rates.push_back(*rate);
    }
    if (o->rates.empty()) return absl::InvalidArgumentError("--rates is empty: pass e.g. --rates=5000,20000,60000");
  }
  if (const std::string* v = value("conns")) {
    auto n = ParseIntFlag("conns", *v, 1, 10000);
    if (!n.ok()) return n.status();
    o->conns = *n;
  }
  if (const std::string* v = value("repeat")) {
    auto n = ParseIntFlag("repeat", *v, 1, 20);
    if (!n.ok()) return n.status();
    o->repeat = *n;
  }
  if (const std::string* v = value("msg-size")) {
    auto n = ParseIntFlag("msg-size", *v, 1, 1 << 20);
    if (!n.ok()) return n.status();
    o->msg_size = *n;
  }
  if (const std::string* v = value("duration")) {
    auto d = ParseDurationFlag("duration", *v, absl::Seconds(1), absl::Minutes(5), "3s");
    if (!d.ok()) return d.status();
    o->duration = *d;
  }
  if (const std::string* v = value("server-cpu")) {
    auto n = ParseIntFlag("server-cpu", *v, 0, 4095);
    if (!n.ok()) return n.status();
    o->server_cpu = *n;
  }
  if (const std::string* v = value("client-cpu")) {
    auto n = ParseIntFlag("client-cpu", *v, 0, 4095);
    if (!n.ok()) return n.status();
    o->client_cpu = *n;
  }
  if (const std::string* v = value("bin-dir")) o->bin_dir = *v;
  if (const std::string* v = value("output")) o->output = *v;
  if (const std::string* v = value("pmu-events")) o->pmu_events = *v;
  return CheckPmuEvents(o->pmu_events);
}

}  // namespace

std::string MainUsage() {
  return absl::StrCat(
      "iotax: how much of a running program's CPU goes to thread-blocking IO, what an async design would\n"
      "save, what blocking does to latency, and how sure that is.\n\n"
      "Usage:\n"
      "  iotax report --pid PID [--duration 10s] [--json]   measure a process and print the verdict\n"
      "  iotax doctor                                     check this machine (BPF, BTF, privileges, PMU)\n"
      "  iotax calibrate                                  measure what an async design costs here\n\n"
      "  iotax COMMAND --help shows the flags of a command. iotaxd serves the same verdict continuously\n"
      "  (metrics, /api/report and a web page).\n\n"
      "Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF for report and calibrate.\n"
      "Exit codes: 0 success, 1 failure (the message says what to fix), 2 bad command line,\n",
      kRefusedExitCode, " calibrate refused (the machine was too busy to measure; nothing written).\n");
}

std::string CommandUsage(Command c) {
  std::string text;
  switch (c) {
    case Command::kReport:
      text =
          "iotax report: attach to a process, measure it for --duration, print where its CPU and its threads'\n"
          "time went, the top costs and the verdict (is an async design worth it?), then detach and exit.\n\n"
          "Usage:\n  iotax report --pid PID [--duration 10s] [--json] [--calibration PATH|none]\n\n"
          "Example:\n  iotax report --pid $(pidof nginx) --duration 30s\n\n";
      break;
    case Command::kDoctor:
      text =
          "iotax doctor: check that this machine can run iotax (privileges, kernel BTF, the BPF probes, the PMU\n"
          "for tier 3, a calibration) and list what to fix. Exit code 0 when report can run, 1 otherwise.\n\n"
          "Usage:\n  iotax doctor\n\n";
      break;
    case Command::kCalibrate:
      text = absl::StrCat(
          "iotax calibrate: measure what an async design pays on this machine instead of blocking. Runs the\n"
          "bundled thread-per-connection (blocking) and io_uring echo servers, one after the other, under the\n"
          "same open-loop load at each --rates value (server pinned to --server-cpu, client to --client-cpu,\n"
          "loopback), traces both, and stores per rate what the io_uring server spent beyond the blocking\n"
          "server's work outside blocking. `iotax report` and iotaxd use it when it matches this machine\n"
          "(kernel, CPU model and core count). Takes about (duration + 2.5 s) x 2 x repeat x rates (about\n"
          "a minute by default); kills only the processes it started.\n\n"
          "A run is clean when the load client kept its send schedule; an unclean run is run again, up to ",
          kMaxUncleanRetries, "\n"
          "times. If it stays unclean, or the machine's load average already exceeds its online CPUs,\n"
          "nothing is written and the exit code is ", kRefusedExitCode, ", with the reason on one line: run again on a\n"
          "quiet machine or lower --rates. The file records the load average and online CPUs before the\n"
          "first run, and that every row was clean; report and iotaxd warn about and do not use a\n"
          "calibration that lacks these or whose rows are not self-consistent (docs/methodology.md).\n\n"
          "Usage:\n  iotax calibrate [--rates 5000,20000,60000] [--duration 3s] [--output PATH]\n\n"
          "Stored in: ", DefaultCalibrationPath(),
          "\n  ($XDG_CACHE_HOME/iotax/calibration.json when XDG_CACHE_HOME is set; otherwise\n"
          "  /var/cache/iotax/calibration.json for root, ~/.cache/iotax/calibration.json for others)\n\n");
      break;
  }
  absl::StrAppend(&text, "Flags:\n");
  for (const FlagSpec& s : Specs(c)) {
    absl::StrAppend(&text, "  --", s.name);
    if (s.placeholder != nullptr) {
      absl::StrAppend(&text, "=", s.placeholder);
      if (s.default_text[0] != '\0') absl::StrAppend(&text, "  (default: ", s.default_text, ")");
    }
    absl::StrAppend(&text, "\n", Wrap(s.help, 6));
  }
  absl::StrAppend(&text, "  --help\n      Show this text.\n");
  return text;
}

ParseResult Parse(const std::vector<std::string>& args) {
  ParseResult result;
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    if (args.size() >= 3 && args[1] == "help") {
      for (Command c : {Command::kReport, Command::kDoctor, Command::kCalibrate}) {
        if (args[2] == CommandName(c)) {
          result.print = CommandUsage(c);
          return result;
        }
      }
    }
    result.print = MainUsage();
    if (args.size() < 2) {
      result.to_stderr = true;
      result.exit_code = 2;
    }
    return result;
  }
  if (args[1] == "--version") {
    result.print = absl::StrCat("iotax ", kIotaxVersion, "\n");
    return result;
  }
  Command command;
  if (args[1] == "report") {
    command = Command::kReport;
  } else if (args[1] == "doctor") {
    command = Command::kDoctor;
  } else if (args[1] == "calibrate") {
    command = Command::kCalibrate;
  } else {
    result.print = absl::StrCat("iotax: unknown command '", args[1],
                                "': use report, doctor or calibrate (iotax --help lists them)\n");
    result.to_stderr = true;
    result.exit_code = 2;
    return result;
  }

  FlagValues values;
  const std::vector<FlagSpec>& specs = Specs(command);
  for (size_t i = 2; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.print = CommandUsage(command);
      return result;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-" || arg == "--") {
      int n = 0;
      const std::string hint = command == Command::kReport && absl::SimpleAtoi(arg, &n)
                                   ? absl::StrCat("pass it as --pid=", arg)
                                   : absl::StrCat("see iotax ", CommandName(command), " --help");
      return Error(command, absl::StrCat("unexpected argument '", arg, "': ", hint));
    }
    absl::ConsumePrefix(&arg, "-");
    absl::ConsumePrefix(&arg, "-");
    std::string name(arg.substr(0, arg.find('=')));
    name = absl::StrReplaceAll(name, {{"_", "-"}});
    const bool has_value = arg.find('=') != absl::string_view::npos;
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (name == s.name) spec = &s;
    }
    if (spec == nullptr) {
      return Error(command, absl::StrCat("unknown flag --", name, ": see iotax ", CommandName(command), " --help"));
    }
    std::string value;
    if (spec->placeholder == nullptr) {
      if (has_value) {
        const std::string v = absl::AsciiStrToLower(arg.substr(arg.find('=') + 1));
        if (v == "false" || v == "0" || v == "no") continue;
        if (v != "true" && v != "1" && v != "yes") {
          return Error(command, absl::StrCat("--", name, " takes no value (or =true/=false)"));
        }
      }
    } else if (has_value) {
      value = std::string(arg.substr(arg.find('=') + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error(command, absl::StrCat("--", name, " needs a value: --", name, "=", spec->placeholder));
    }
    if (!spec->repeatable && values.count(name) && spec->placeholder != nullptr) {
      return Error(command, absl::StrCat("--", name, " is given twice: pass it once"));
    }
    values[name].push_back(value);
  }

  Invocation inv;
  inv.command = command;
  absl::Status status;
  switch (command) {
    case Command::kReport: status = ValidateReport(values, &inv.report); break;
    case Command::kDoctor: status = ValidateDoctor(values, &inv.doctor); break;
    case Command::kCalibrate: status = ValidateCalibrate(values, &inv.calibrate); break;
  }
  if (!status.ok()) return Error(command, std::string(status.message()));
  result.invocation = std::move(inv);
  return result;
}

}  // namespace iotax::cli
