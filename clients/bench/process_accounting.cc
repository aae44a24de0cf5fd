#include "process_accounting.h"

#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clock.h"
#include "proc_reader.h"

namespace iotax::bench {

absl::Status ParseStatTimes(absl::string_view text, uint64_t* utime, uint64_t* stime) {
  const absl::StatusOr<proc::StatLine> stat = proc::ParseStat(text);
  if (!stat.ok()) return stat.status();
  const std::optional<uint64_t> user = stat->Number(proc::kStatUserTicks);
  const std::optional<uint64_t> system = stat->Number(proc::kStatSystemTicks);
  if (!user || !system) return absl::DataLossError("a stat line without readable utime/stime fields");
  *utime = *user;
  *stime = *system;
  return absl::OkStatus();
}

absl::Status ParseStatusSwitches(absl::string_view text, uint64_t* voluntary, uint64_t* involuntary) {
  bool got_v = false, got_i = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "voluntary_ctxt_switches:")) {
      got_v = absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), voluntary);
    } else if (absl::ConsumePrefix(&rest, "nonvoluntary_ctxt_switches:")) {
      got_i = absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), involuntary);
    }
  }
  if (!got_v || !got_i) return absl::DataLossError("a status file without the two ctxt_switches lines");
  return absl::OkStatus();
}

absl::StatusOr<ProcessSample> SampleProcess(int pid, const std::string& proc_root) {
  ProcessSample s;
  s.time_ns = client::NowNs();
  const std::string dir = absl::StrCat(proc_root, "/", pid);
  std::string text;
  if (!proc::ReadText(dir + "/stat", &text)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", dir, "/stat: process ", pid, " is gone"));
  }
  if (absl::Status st = ParseStatTimes(text, &s.utime_ticks, &s.stime_ticks); !st.ok()) {
    return absl::DataLossError(absl::StrCat(dir, "/stat: ", st.message()));
  }
  absl::StatusOr<std::map<int, uint64_t>> run_ns = proc::ReadThreadRunTimes(pid, proc_root);
  if (!run_ns.ok()) return run_ns.status();
  for (const auto& [tid, ns] : *run_ns) {
    ThreadCounters t;
    t.run_ns = ns;
    std::string status;
    // A thread can exit between the two reads: skip it.
    if (!proc::ReadText(absl::StrCat(dir, "/task/", tid, "/status"), &status) ||
        !ParseStatusSwitches(status, &t.voluntary, &t.involuntary).ok()) {
      continue;
    }
    s.threads[tid] = t;
  }
  return s;
}

ProcessDelta Subtract(const ProcessSample& before, const ProcessSample& after, double ticks_per_s) {
  ProcessDelta d;
  d.window_s = static_cast<double>(after.time_ns - before.time_ns) / 1e9;
  uint64_t run_ns = 0;
  for (const auto& [tid, t] : after.threads) {
    auto it = before.threads.find(tid);
    const ThreadCounters base = it == before.threads.end() ? ThreadCounters{} : it->second;
    run_ns += t.run_ns - std::min(t.run_ns, base.run_ns);
    d.voluntary += t.voluntary - std::min(t.voluntary, base.voluntary);
    d.involuntary += t.involuntary - std::min(t.involuntary, base.involuntary);
  }
  for (const auto& [tid, t] : before.threads) {
    if (!after.threads.count(tid)) ++d.threads_exited;
  }
  d.threads = static_cast<int>(after.threads.size());
  const double user_ticks = static_cast<double>(after.utime_ticks - std::min(after.utime_ticks, before.utime_ticks));
  const double sys_ticks = static_cast<double>(after.stime_ticks - std::min(after.stime_ticks, before.stime_ticks));
  if (d.threads_exited == 0) {
    d.cpu_s = static_cast<double>(run_ns) / 1e9;
    d.cpu_source = "schedstat";
  } else {
    d.cpu_s = (user_ticks + sys_ticks) / ticks_per_s;
    d.cpu_source = "stat_ticks";
  }
  // The ticks give the split only; scale it to the precise total.
  if (user_ticks + sys_ticks > 0) {
    d.user_s = d.cpu_s * user_ticks / (user_ticks + sys_ticks);
    d.sys_s = d.cpu_s - d.user_s;
  }
  return d;
}

}  // namespace iotax::bench
