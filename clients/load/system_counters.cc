#include "system_counters.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clock.h"

namespace iotax::client {
namespace {

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ProcessCpu ReadOwnCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ProcessCpu{Seconds(ru.ru_utime), Seconds(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

absl::StatusOr<uint64_t> ParseSchedstatWaitNs(absl::string_view text) {
  std::vector<absl::string_view> f = absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  uint64_t wait_ns = 0;
  if (f.size() < 3 || !absl::SimpleAtoi(f[1], &wait_ns)) {
    return absl::DataLossError(absl::StrCat("not a schedstat line (run_ns wait_ns timeslices): '", text, "'"));
  }
  return wait_ns;
}

absl::StatusOr<double> ReadOwnRunqueueWait(const std::string& proc_root) {
  const std::string dir = proc_root + "/self/task";
  std::error_code ec;
  uint64_t total_ns = 0;
  int threads = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto text = ReadWholeFile(entry.path().string() + "/schedstat");
    if (!text.ok()) continue;  // the thread ended meanwhile, or no schedstat at all (checked below)
    auto wait_ns = ParseSchedstatWaitNs(*text);
    if (!wait_ns.ok()) return wait_ns.status();
    total_ns += *wait_ns;
    ++threads;
  }
  if (ec) return absl::NotFoundError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  if (threads == 0) {
    return absl::NotFoundError(absl::StrCat("no ", dir, "/*/schedstat: the kernel lacks CONFIG_SCHED_INFO"));
  }
  return static_cast<double>(total_ns) / 1e9;
}

absl::StatusOr<MachineCpu> ParseProcStat(absl::string_view text) {
  MachineCpu out;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "cpu ")) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
      if (f.size() < 9) return absl::DataLossError(absl::StrCat("short /proc/stat cpu line: '", line, "'"));
      uint64_t v[8];
      for (int i = 0; i < 8; ++i) {
        if (!absl::SimpleAtoi(f[i + 1], &v[i])) {
          return absl::DataLossError(absl::StrCat("bad number in /proc/stat cpu line: '", line, "'"));
        }
      }
      out.busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
      out.total_ticks = out.busy_ticks + v[3] + v[4];
      found = true;
    } else if (absl::StartsWith(line, "cpu")) {
      ++out.cores;
    }
  }
  if (!found) return absl::DataLossError("no aggregate 'cpu ' line in /proc/stat");
  return out;
}

absl::StatusOr<MachineCpu> ReadMachineCpu(const std::string& proc_root) {
  auto text = ReadWholeFile(proc_root + "/stat");
  if (!text.ok()) return text.status();
  return ParseProcStat(*text);
}

double SecondsPerTick() {
  static const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return tick;
}

absl::StatusOr<ListenCounters> ParseNetstat(absl::string_view text) {
  // Pairs of lines: "TcpExt: Name1 Name2 ..." then "TcpExt: v1 v2 ...".
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (!absl::StartsWith(lines[i], "TcpExt:") || !absl::StartsWith(lines[i + 1], "TcpExt:")) continue;
    std::vector<absl::string_view> names = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    std::vector<absl::string_view> values = absl::StrSplit(lines[i + 1], ' ', absl::SkipEmpty());
    if (names.size() != values.size()) return absl::DataLossError("TcpExt name and value lines differ in length");
    ListenCounters out;
    bool have_overflows = false, have_drops = false;
    for (size_t k = 1; k < names.size(); ++k) {
      if (names[k] == "ListenOverflows") have_overflows = absl::SimpleAtoi(values[k], &out.overflows);
      if (names[k] == "ListenDrops") have_drops = absl::SimpleAtoi(values[k], &out.drops);
    }
    if (!have_overflows || !have_drops) {
      return absl::DataLossError("TcpExt has no ListenOverflows/ListenDrops counters");
    }
    return out;
  }
  return absl::DataLossError("no TcpExt lines in /proc/net/netstat");
}

absl::StatusOr<ListenCounters> ReadListenCounters(const std::string& proc_root) {
  auto text = ReadWholeFile(proc_root + "/net/netstat");
  if (!text.ok()) return text.status();
  return ParseNetstat(*text);
}

absl::StatusOr<SystemSample> SampleSystem() {
  SystemSample s;
  auto machine = ReadMachineCpu();
  if (!machine.ok()) return machine.status();
  s.time_ns = NowNs();
  s.own = ReadOwnCpu();
  s.own_runqueue_wait_s = ReadOwnRunqueueWait();
  s.machine = *machine;
  return s;
}

}  // namespace iotax::client
