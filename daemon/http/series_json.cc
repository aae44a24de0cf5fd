#include "series_json.h"

#include <set>

#include "absl/time/time.h"
#include "blocking_model.h"
#include "target_window.h"

namespace iotax {
namespace {

using nlohmann::json;

struct Step {
  absl::Time end;
  TargetWindow window;
};

std::vector<Step> StepsOf(const std::vector<HistoryEntry>& history, int pid) {
  std::vector<Step> steps;
  const TargetSnapshot* previous = nullptr;
  uint64_t previous_ns = 0;
  for (const HistoryEntry& e : history) {
    const TargetSnapshot* t = FindTarget(*e.snapshot, pid);
    if (t == nullptr) {
      previous = nullptr;
      continue;
    }
    if (previous != nullptr && previous->attached_at_ns != t->attached_at_ns) {
      steps.clear();  // a new process behind the PID: its own series
      previous = nullptr;
    }
    if (previous != nullptr && e.snapshot->monotonic_ns > previous_ns) {
      steps.push_back({e.wall, MakeWindow(*previous, previous_ns, *t, e.snapshot->monotonic_ns)});
    }
    previous = t;
    previous_ns = e.snapshot->monotonic_ns;
  }
  return steps;
}

json Nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json BuildSeriesJson(const std::vector<HistoryEntry>& history) {
  json targets = json::array();
  if (history.empty()) return json{{"targets", targets}};
  std::set<int> done;
  const AgentSnapshot& last = *history.back().snapshot;
  for (auto it = last.targets.rbegin(); it != last.targets.rend(); ++it) {
    if (!done.insert(it->pid).second) continue;
    const std::vector<Step> steps = StepsOf(history, it->pid);
    // One price per block per class over the whole span (tier 2, whichever
    // method it chose): a one-second step may hold too few calls to price.
    std::vector<TargetWindow> all;
    for (const Step& s : steps) all.push_back(s.window);
    const TargetWindow pooled = Combine(all);
    std::array<double, kNumClasses> price{};
    std::array<bool, kNumClasses> priced{};
    for (int c = 0; c < kNumClasses; ++c) {
      const Tier2Cost cost = ComputeTier2Cost(pooled.stats.classes[c]);
      priced[c] = cost.status == Tier2Status::kCalibrated;
      price[c] = cost.price_per_block_seconds;
    }
    // A poll-per-connection wait is priced as IO, as in the verdict.
    const WaitJudgement waits = JudgeWindowWaits(pooled);
    std::set<int> active_classes;
    for (int c = 0; c < kNumClasses; ++c) {
      if (pooled.stats.classes[c].calls > 0) active_classes.insert(c);
    }

    json t = json::array(), user = json::array(), syscall = json::array(), blocking = json::array(),
         io_worker = json::array(), sched = json::array(), untraced = json::array(), share = json::array(), rq_p99 = json::array(),
         rq_threads = json::array();
    json offcpu = json::object();
    const char* offcpu_keys[] = {"io", "event_wait", "futex", "sleep", "other"};
    for (const char* k : offcpu_keys) offcpu[k] = json::array();
    offcpu["runqueue"] = json::array();
    json calls = json::object();
    for (int c : active_classes) calls[std::string(kClassNames[c])] = json::array();

    for (const Step& s : steps) {
      const TargetWindow& w = s.window;
      const double secs = w.seconds > 0 ? w.seconds : 1;
      double direct = 0;
      for (int c = 0; c < kNumClasses; ++c) {
        const ClassStats& cs = w.stats.classes[c];
        if (!CountsAsIo(static_cast<SyscallClass>(c), waits) || !priced[c]) continue;
        direct += price[c] * static_cast<double>(std::min(cs.blocked_calls, cs.calls));
      }
      const double user_s = static_cast<double>(w.stats.user_ns) / 1e9;
      const double sys_s = static_cast<double>(w.stats.syscall_ns) / 1e9;
      const double worker_s = static_cast<double>(w.stats.io_worker_ns) / 1e9;
      direct = std::min(direct, sys_s);
      t.push_back(absl::ToDoubleSeconds(s.end - absl::UnixEpoch()));
      user.push_back(user_s / secs);
      syscall.push_back((sys_s - direct) / secs);
      blocking.push_back(direct / secs);
      io_worker.push_back(worker_s / secs);
      const double sched_s = static_cast<double>(w.stats.sched_ns) / 1e9;
      sched.push_back(sched_s / secs);
      const double traced = user_s + sys_s + worker_s + sched_s;
      const double kernel = w.kernel_cpu_known ? static_cast<double>(w.kernel_cpu_ns) / 1e9 : traced;
      untraced.push_back(std::max(0.0, kernel - traced) / secs);
      const double cpu = std::max(kernel, traced);
      share.push_back(cpu > 0 ? json(direct / cpu) : json(nullptr));
      for (int r = 0; r < 5; ++r) offcpu[offcpu_keys[r]].push_back(static_cast<double>(w.stats.offcpu_ns[r]) / 1e9 / secs);
      const double rq = static_cast<double>(w.stats.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueuePreempted)] +
                                            w.stats.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueueWakeup)]) /
                        1e9 / secs;
      offcpu["runqueue"].push_back(rq);
      rq_threads.push_back(rq);
      Log2Histogram both{};
      for (int i = 0; i < kHistBuckets; ++i) both[i] = w.stats.runq_preempted_hist[i] + w.stats.runq_wakeup_hist[i];
      rq_p99.push_back(Nullable(Log2Quantile(both, 0.99)));
      for (int c : active_classes) {
        calls[std::string(kClassNames[c])].push_back(static_cast<double>(w.stats.classes[c].calls) / secs);
      }
    }
    targets.push_back(json{
        {"pid", it->pid},
        {"comm", it->comm},
        {"up", it->up},
        {"t", t},
        {"cpu", json{{"user", user}, {"syscall", syscall}, {"blocking", blocking}, {"io_worker", io_worker},
                     {"sched", sched}, {"untraced", untraced}}},
        {"blocking_share", share},
        {"offcpu", offcpu},
        {"syscalls", calls},
        {"runqueue", json{{"p99_seconds", rq_p99}, {"threads_waiting", rq_threads}}},
    });
  }
  std::reverse(targets.begin(), targets.end());
  return json{{"targets", targets}};
}

}  // namespace iotax
