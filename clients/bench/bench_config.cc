#include "bench_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client_options.h"

namespace iotax::bench {

const char* PlacementName(Placement p) { return p == Placement::kSeparate ? "separate" : "shared"; }

const char* AgentModeName(AgentMode m) {
  switch (m) {
    case AgentMode::kOff:
      return "off";
    case AgentMode::kProof:
      return "proof";
    case AgentMode::kAll:
      return "all";
  }
  return "?";
}

std::string CalibrationChoice::ToString() const {
  switch (kind) {
    case kNone:
      return "none";
    case kMachine:
      return "machine";
    case kRun:
      return "run";
    case kPath:
      return path;
  }
  return "?";
}

const char kBenchConfigHelp[] =
    "Config file: one `key = value[, value...]` per line; `#` starts a comment; every key is optional.\n"
    "The matrix is every combination of the list keys (servers x clients x conns x sizes x loads x\n"
    "work_ns x work_bytes x placements).\n"
    "\n"
    "  servers        blocking, epoll, uring      server IO models (iotax-echo-server --model)\n"
    "  clients        uring                       client models (iotax-echo-client --model): uring, blocking\n"
    "  conns          10, 100                     connections per run\n"
    "  sizes          512                         bytes per request (K/KiB, M/MiB suffixes)\n"
    "  loads          closed, 0.25, 0.5, 0.75     closed = closed loop (its throughput is the model's\n"
    "                                             saturation); a number f in (0, 1] = open loop (Poisson) at\n"
    "                                             f x that model's saturation\n"
    "  work_ns        0                           handler work per request, ns (--work-ns)\n"
    "  work_bytes     0                           handler working set per thread, bytes (--work-bytes)\n"
    "  placements     separate, shared            separate: server on the first half of the CPUs, client on\n"
    "                                             the second; shared: both on the first half\n"
    "  proof_load     0.5                         the proof's open-loop rate as a fraction (0, 1) of the\n"
    "                                             BLOCKING server's saturation, offered to the blocking and\n"
    "                                             io_uring servers alike; none = no proof\n"
    "  repeats        3                           runs per point (models alternate within a repeat)\n"
    "  warmup         500ms                       load before each measured window\n"
    "  duration       2s                          measured window of a run\n"
    "  unloaded_duration 1s                       window of the unloaded round trip (1 connection, closed\n"
    "                                             loop), the denominator of slowdown\n"
    "  saturation_depth 1                         requests outstanding per connection in the closed loop\n"
    "  agent          proof                       attach iotaxd: off, proof (attached runs of the blocking\n"
    "                                             and io_uring servers at the proof load) or all (also an\n"
    "                                             attached run of every open-loop point)\n"
    "  agent_duration 4s                          measured window of an attached run; iotaxd's verdict window\n"
    "                                             is 1 s shorter (at least 2 s)\n"
    "  calibration    none                        the agent's async cost: none (from the target's own calls),\n"
    "                                             machine (this machine's `iotax calibrate` cache), run (run\n"
    "                                             `iotax calibrate` into the output directory first), or a path\n"
    "  calibrate_rates 5000,20000                 `iotax calibrate --rates` when calibration = run\n"
    "  max_schedule_lag 2ms                       an open-loop run whose p99 send lag exceeds this is flagged\n"
    "  seed           1                           seed of the open-loop schedules\n";

namespace {

struct Line {
  int number = 0;
  std::string value;
};

class Parser {
 public:
  Parser(absl::string_view source) : source_(source) {}

  absl::Status Error(const Line& line, absl::string_view key, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line.number, ": ", key, ": ", what));
  }
  absl::Status FileError(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what));
  }

  // Items of a list value; empty items are errors ("a,,b", "a,").
  absl::StatusOr<std::vector<std::string>> Items(const Line& line, absl::string_view key) const {
    std::vector<std::string> out;
    for (absl::string_view item : absl::StrSplit(line.value, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) {
        return Error(line, key,
                     line.value.empty() ? "the list is empty: give at least one value (or delete the line for the "
                                          "default)"
                                        : "an empty item (two commas, or a trailing comma): remove it");
      }
      out.emplace_back(item);
    }
    std::set<std::string> seen;
    for (const std::string& item : out) {
      if (!seen.insert(item).second)
        return Error(line, key, absl::StrCat("'", item, "' is listed twice: list it once"));
    }
    return out;
  }

  absl::StatusOr<std::string> Single(const Line& line, absl::string_view key) const {
    auto items = Items(line, key);
    if (!items.ok()) return items.status();
    if (items->size() != 1) return Error(line, key, "takes one value, not a list");
    return (*items)[0];
  }

 private:
  std::string source_;
};

absl::StatusOr<int64_t> ParseInt(absl::string_view text, int64_t lo, int64_t hi, absl::string_view what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number: use ", what));
  }
  if (v < lo || v > hi) return absl::InvalidArgumentError(absl::StrCat(v, " is out of range: use ", what));
  return v;
}

absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view text, absl::Duration lo, absl::Duration hi) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a duration: use e.g. 500ms, 2s, 1m"));
  }
  if (d < lo || d > hi) {
    return absl::InvalidArgumentError(absl::StrCat(absl::FormatDuration(d), " is out of range: use ",
                                                   absl::FormatDuration(lo), " to ", absl::FormatDuration(hi)));
  }
  return d;
}

// "fraction" for open-loop loads and proof_load: a number in (0, hi].
absl::StatusOr<double> ParseFraction(absl::string_view text, bool allow_one) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a number"));
  }
  if (v <= 0 || v > 1 || (!allow_one && v >= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        text, " is not a fraction of the saturation: use a number above 0 and ", allow_one ? "at most" : "below",
        " 1 (", allow_one ? "1 = the saturation rate; " : "", "rates above saturation only measure the queue)"));
  }
  return v;
}

// Closest known key, for "did you mean" hints.
std::string Closest(const std::string& key, const std::vector<std::string>& known) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      prev.swap(cur);
    }
    return prev[b.size()];
  };
  std::string best;
  size_t best_d = 4;  // farther than 3 edits is no hint
  for (const std::string& k : known) {
    const size_t d = distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

}  // namespace

std::string BenchConfig::Canonical() const {
  std::vector<std::string> loads;
  if (closed_loop) loads.push_back("closed");
  for (double f : open_fractions) loads.push_back(absl::StrFormat("%g", f));
  std::vector<std::string> places;
  for (Placement p : placements) places.push_back(PlacementName(p));
  std::string out;
  absl::StrAppend(&out, "servers = ", absl::StrJoin(servers, ", "), "\n");
  absl::StrAppend(&out, "clients = ", absl::StrJoin(clients, ", "), "\n");
  absl::StrAppend(&out, "conns = ", absl::StrJoin(conns, ", "), "\n");
  absl::StrAppend(&out, "sizes = ", absl::StrJoin(sizes, ", "), "\n");
  absl::StrAppend(&out, "loads = ", absl::StrJoin(loads, ", "), "\n");
  absl::StrAppend(&out, "work_ns = ", absl::StrJoin(work_ns, ", "), "\n");
  absl::StrAppend(&out, "work_bytes = ", absl::StrJoin(work_bytes, ", "), "\n");
  absl::StrAppend(&out, "placements = ", absl::StrJoin(places, ", "), "\n");
  absl::StrAppend(&out, "proof_load = ", proof_load ? absl::StrFormat("%g", *proof_load) : "none", "\n");
  absl::StrAppend(&out, "repeats = ", repeats, "\n");
  absl::StrAppend(&out, "warmup = ", absl::FormatDuration(warmup), "\n");
  absl::StrAppend(&out, "duration = ", absl::FormatDuration(duration), "\n");
  absl::StrAppend(&out, "unloaded_duration = ", absl::FormatDuration(unloaded_duration), "\n");
  absl::StrAppend(&out, "saturation_depth = ", saturation_depth, "\n");
  absl::StrAppend(&out, "agent = ", AgentModeName(agent), "\n");
  absl::StrAppend(&out, "agent_duration = ", absl::FormatDuration(agent_duration), "\n");
  absl::StrAppend(&out, "calibration = ", calibration.ToString(), "\n");
  absl::StrAppend(&out, "calibrate_rates = ", calibrate_rates, "\n");
  absl::StrAppend(&out, "max_schedule_lag = ", absl::FormatDuration(max_schedule_lag), "\n");
  absl::StrAppend(&out, "seed = ", seed, "\n");
  return out;
}

std::string BenchConfig::Hash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : Canonical()) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", h);
}

absl::StatusOr<BenchConfig> ParseBenchConfig(absl::string_view text, absl::string_view source) {
  Parser p(source);
  BenchConfig c;
  std::map<std::string, Line> lines;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    absl::string_view line = raw;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", number, ": '", line, "' is not `key = value`: add '=' (e.g. conns = 10, 100)"));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", number, ": the key before '=' is missing"));
    }
    if (auto it = lines.find(key); it != lines.end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", number, ": ", key, ": already set on line ",
                                                     it->second.number, ": keep one of the two"));
    }
    lines[key] = Line{number, value};
  }

  // Each handler reads its line into `c`; the table is also the list of keys.
  using Handler = std::function<absl::Status(const Line&, const std::string&)>;
  auto wrap = [&p](const Line& line, const std::string& key, absl::Status s) {
    return s.ok() ? s : p.Error(line, key, s.message());
  };
  const std::vector<std::pair<std::string, Handler>> handlers = {
      {"servers",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         for (const std::string& s : *items) {
           if (s != "blocking" && s != "epoll" && s != "uring") {
             return p.Error(l, k, absl::StrCat("unknown server model '", s, "': use blocking, epoll or uring"));
           }
         }
         c.servers = *items;
         return absl::OkStatus();
       }},
      {"clients",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         for (const std::string& s : *items) {
           if (s != "blocking" && s != "uring") {
             return p.Error(l, k, absl::StrCat("unknown client model '", s, "': use uring or blocking"));
           }
         }
         c.clients = *items;
         return absl::OkStatus();
       }},
      {"conns",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.conns.clear();
         for (const std::string& s : *items) {
           auto v = ParseInt(s, 1, client::kMaxConnections, absl::StrCat("1 to ", client::kMaxConnections));
           if (!v.ok()) return wrap(l, k, v.status());
           c.conns.push_back(static_cast<int>(*v));
         }
         return absl::OkStatus();
       }},
      {"sizes",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.sizes.clear();
         for (const std::string& s : *items) {
           auto v = client::ParseByteSize(s);
           if (!v.ok()) return wrap(l, k, v.status());
           if (*v < 1 || *v > client::kMaxMessageSize)
             return p.Error(l, k, absl::StrCat(s, " is out of range: use 1 byte to 64MiB"));
           c.sizes.push_back(*v);
         }
         return absl::OkStatus();
       }},
      {"loads",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.closed_loop = false;
         c.open_fractions.clear();
         for (const std::string& s : *items) {
           if (s == "closed") {
             c.closed_loop = true;
             continue;
           }
           auto f = ParseFraction(s, /*allow_one=*/true);
           if (!f.ok()) return p.Error(l, k, absl::StrCat(f.status().message(), "; or `closed` for the closed loop"));
           c.open_fractions.push_back(*f);
         }
         std::sort(c.open_fractions.begin(), c.open_fractions.end());
         return absl::OkStatus();
       }},
      {"work_ns",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.work_ns.clear();
         for (const std::string& s : *items) {
           auto v = ParseInt(s, 0, 1'000'000'000, "0 to 1000000000 ns");
           if (!v.ok()) return wrap(l, k, v.status());
           c.work_ns.push_back(*v);
         }
         return absl::OkStatus();
       }},
      {"work_bytes",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.work_bytes.clear();
         for (const std::string& s : *items) {
           auto v = client::ParseByteSize(s);
           if (!v.ok()) return wrap(l, k, v.status());
           if (*v > (size_t{1} << 30)) return p.Error(l, k, absl::StrCat(s, " is out of range: use 0 to 1GiB"));
           c.work_bytes.push_back(static_cast<int64_t>(*v));
         }
         return absl::OkStatus();
       }},
      {"placements",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         c.placements.clear();
         for (const std::string& s : *items) {
           if (s == "separate") {
             c.placements.push_back(Placement::kSeparate);
           } else if (s == "shared") {
             c.placements.push_back(Placement::kShared);
           } else {
             return p.Error(l, k,
                            absl::StrCat("unknown placement '", s,
                                         "': use separate (server and client on different CPUs) or shared "
                                         "(on the same CPUs)"));
           }
         }
         return absl::OkStatus();
       }},
      {"proof_load",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         if (*s == "none") {
           c.proof_load.reset();
           return absl::OkStatus();
         }
         auto f = ParseFraction(*s, /*allow_one=*/false);
         if (!f.ok()) return p.Error(l, k, absl::StrCat(f.status().message(), "; or none for no proof"));
         c.proof_load = *f;
         return absl::OkStatus();
       }},
      {"repeats",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto v = ParseInt(*s, 1, 100, "1 to 100 (3 or more gives a median and a spread)");
         if (!v.ok()) return wrap(l, k, v.status());
         c.repeats = static_cast<int>(*v);
         return absl::OkStatus();
       }},
      {"warmup",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto d = ParseDurationValue(*s, absl::ZeroDuration(), absl::Minutes(10));
         if (!d.ok()) return wrap(l, k, d.status());
         c.warmup = *d;
         return absl::OkStatus();
       }},
      {"duration",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto d = ParseDurationValue(*s, absl::Milliseconds(200), absl::Hours(1));
         if (!d.ok()) return wrap(l, k, d.status());
         c.duration = *d;
         return absl::OkStatus();
       }},
      {"unloaded_duration",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto d = ParseDurationValue(*s, absl::Milliseconds(200), absl::Hours(1));
         if (!d.ok()) return wrap(l, k, d.status());
         c.unloaded_duration = *d;
         return absl::OkStatus();
       }},
      {"saturation_depth",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto v = ParseInt(*s, 1, client::kMaxDepth, absl::StrCat("1 to ", client::kMaxDepth));
         if (!v.ok()) return wrap(l, k, v.status());
         c.saturation_depth = static_cast<int>(*v);
         return absl::OkStatus();
       }},
      {"agent",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         if (*s == "off") {
           c.agent = AgentMode::kOff;
         } else if (*s == "proof") {
           c.agent = AgentMode::kProof;
         } else if (*s == "all") {
           c.agent = AgentMode::kAll;
         } else {
           return p.Error(l, k, absl::StrCat("unknown value '", *s, "': use off, proof or all"));
         }
         return absl::OkStatus();
       }},
      {"agent_duration",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto d = ParseDurationValue(*s, absl::Seconds(3), absl::Hours(1));
         if (!d.ok()) {
           return p.Error(
               l, k,
               absl::StrCat(d.status().message(), " (iotaxd's verdict window, 1 s shorter, must be at least 2 s)"));
         }
         c.agent_duration = *d;
         return absl::OkStatus();
       }},
      {"calibration",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         if (*s == "none") {
           c.calibration.kind = CalibrationChoice::kNone;
         } else if (*s == "machine") {
           c.calibration.kind = CalibrationChoice::kMachine;
         } else if (*s == "run") {
           c.calibration.kind = CalibrationChoice::kRun;
         } else if (s->find('/') != std::string::npos || absl::EndsWith(*s, ".json")) {
           c.calibration.kind = CalibrationChoice::kPath;
           c.calibration.path = *s;
         } else {
           return p.Error(
               l, k,
               absl::StrCat("unknown value '", *s, "': use none, machine, run, or the path of a calibration file"));
         }
         return absl::OkStatus();
       }},
      {"calibrate_rates",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto items = p.Items(l, k);
         if (!items.ok()) return items.status();
         for (const std::string& s : *items) {
           auto v = ParseInt(s, 1, 10'000'000, "requests/s from 1 to 10000000");
           if (!v.ok()) return wrap(l, k, v.status());
         }
         c.calibrate_rates = absl::StrJoin(*items, ",");
         return absl::OkStatus();
       }},
      {"max_schedule_lag",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         auto d = ParseDurationValue(*s, absl::Microseconds(1), absl::Seconds(10));
         if (!d.ok()) return wrap(l, k, d.status());
         c.max_schedule_lag = *d;
         return absl::OkStatus();
       }},
      {"seed",
       [&](const Line& l, const std::string& k) -> absl::Status {
         auto s = p.Single(l, k);
         if (!s.ok()) return s.status();
         uint64_t v = 0;
         if (!absl::SimpleAtoi(*s, &v)) return p.Error(l, k, absl::StrCat("'", *s, "' is not a whole number"));
         c.seed = v;
         return absl::OkStatus();
       }},
  };

  std::vector<std::string> known;
  for (const auto& h : handlers) known.push_back(h.first);
  for (const auto& [key, line] : lines) {
    auto it = std::find_if(handlers.begin(), handlers.end(), [&, &k = key](const auto& h) { return h.first == k; });
    if (it == handlers.end()) {
      const std::string hint = Closest(key, known);
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line.number, ": unknown key '", key, "': ",
                                                     hint.empty()
                                                         ? absl::StrCat("the keys are ", absl::StrJoin(known, ", "))
                                                         : absl::StrCat("did you mean '", hint, "'?"),
                                                     " (iotax-bench --help lists them)"));
    }
  }
  // In file order so the first bad line is the one reported.
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [key, line] : lines) order.emplace_back(line.number, key);
  std::sort(order.begin(), order.end());
  for (const auto& [num, key] : order) {
    auto it = std::find_if(handlers.begin(), handlers.end(), [&, &k = key](const auto& h) { return h.first == k; });
    if (absl::Status s = it->second(lines[key], key); !s.ok()) return s;
  }

  // Combinations.
  auto line_of = [&](const std::string& key) { return lines.count(key) ? lines[key].number : 0; };
  auto combo_error = [&](const std::string& key, absl::string_view what) {
    const int n = line_of(key);
    return absl::InvalidArgumentError(n > 0 ? absl::StrCat(source, ":", n, ": ", key, ": ", what)
                                            : absl::StrCat(source, ": ", key, ": ", what));
  };
  if (!c.closed_loop && (!c.open_fractions.empty() || c.proof_load)) {
    return combo_error("loads",
                       "open-loop rates and the proof are fractions of the saturation measured in the closed loop: "
                       "add `closed` to loads");
  }
  if (!c.closed_loop && c.open_fractions.empty()) {
    return combo_error("loads", "no load: list closed and/or fractions such as 0.5");
  }
  auto has_server = [&c](const char* m) { return std::find(c.servers.begin(), c.servers.end(), m) != c.servers.end(); };
  if (c.proof_load && !(has_server("blocking") && has_server("uring"))) {
    return combo_error("proof_load",
                       "the proof compares the blocking and io_uring servers: add both to servers, or set "
                       "proof_load = none");
  }
  if (c.agent == AgentMode::kProof && !c.proof_load) {
    return combo_error("agent",
                       "agent = proof attaches iotaxd to the proof's runs, but proof_load = none: set agent = "
                       "off or all, or give proof_load");
  }
  if (c.calibration.kind != CalibrationChoice::kNone && c.agent == AgentMode::kOff) {
    return combo_error("calibration",
                       "is the agent's setting, but agent = off: set calibration = none or attach the agent");
  }
  return c;
}

absl::StatusOr<BenchConfig> LoadBenchConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the config file ", path, ": check the path (examples are in docs/experiments/)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseBenchConfig(ss.str(), path);
}

}  // namespace iotax::bench
