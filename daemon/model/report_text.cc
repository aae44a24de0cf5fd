#include "report_text.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace iotax {
namespace {

// Wraps `text` at `width` columns; the first line starts with `first`, the
// others with `rest`.
// Words, with a unit kept on the line of its number ("5.1 µs", "23 %").
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  for (absl::string_view w : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const bool unit = absl::StartsWith(w, "µs") || absl::StartsWith(w, "ms") || absl::StartsWith(w, "ns") ||
                      w == "s" || absl::StartsWith(w, "s)") || absl::StartsWith(w, "s,") || absl::StartsWith(w, "s.");
    if (unit && !words.empty() && absl::ascii_isdigit(static_cast<unsigned char>(words.back().back()))) {
      absl::StrAppend(&words.back(), " ", w);
    } else {
      words.emplace_back(w);
    }
  }
  return words;
}

std::string Wrap(const std::string& text, const std::string& first, const std::string& rest, size_t width = 92) {
  std::string out = first;
  size_t column = first.size();
  bool line_start = true;
  for (const std::string& word : Words(text)) {
    if (!line_start && column + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n", rest);
      column = rest.size();
      line_start = true;
    }
    if (!line_start) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
    line_start = false;
  }
  return out + "\n";
}

std::string Seconds(double s) { return FormatDuration(s); }

// Pads to `width` display columns (µ is two bytes but one column).
size_t Columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}
std::string Left(const std::string& s, size_t width) {
  return s + std::string(width > Columns(s) ? width - Columns(s) : 0, ' ');
}
std::string Right(const std::string& s, size_t width) {
  return std::string(width > Columns(s) ? width - Columns(s) : 0, ' ') + s;
}

std::string Count(uint64_t n, const char* one, const char* many) { return absl::StrCat(n, " ", n == 1 ? one : many); }

}  // namespace

std::string ServiceHeader(const ServiceReport& s, int threads) {
  const std::string what = s.kind == "cgroup" ? absl::StrCat("cgroup ", s.name)
                           : s.kind == "comm" ? absl::StrCat("every process named ", s.name)
                                              : s.name;
  return absl::StrCat("Service (", what, "), one verdict for all its processes: ",
                      Count(s.processes_seen, "process", "processes"), " seen, ", s.processes_joined, " joined, ",
                      s.processes_exited, " exited, ", s.processes_running, " running at the end with ",
                      Count(static_cast<uint64_t>(std::max(threads, 0)), "thread", "threads"),
                      s.cpus > 0 ? absl::StrCat(" on ", Count(static_cast<uint64_t>(s.cpus), "CPU", "CPUs")) : "");
}

namespace {

void AppendTarget(std::string& out, const TargetReport& t) {
  const Verdict& v = t.verdict;
  const BlockingBreakdown& b = v.breakdown;
  if (t.service) {
    absl::StrAppend(&out, Wrap(absl::StrCat(ServiceHeader(*t.service, b.latency.threads), "; ",
                                            Seconds(v.window_seconds), " window, ", v.subwindows, " sub-windows"),
                               "", "  "),
                    "\n");
  } else {
    absl::StrAppend(&out, absl::StrFormat("PID %d (%s)%s: %s window, %d sub-windows\n\n", t.pid, t.comm,
                                          t.up ? "" : ", exited", Seconds(v.window_seconds), v.subwindows));
  }
  std::string level = absl::AsciiStrToUpper(VerdictLevelWords(v.level));
  absl::StrAppend(&out, "Verdict: ", level, " (confidence ", ConfidenceName(v.confidence), ")\n");
  absl::StrAppend(&out, Wrap(v.summary, "  ", "  "));
  // Intervals of figures that round to zero say nothing ("0.0% [0.0%, 0.0%]"): the summary has the words.
  const bool nothing_measured = v.overhead_share_ci && RoundsToZeroPercent(v.overhead_share_ci->hi) &&
                                v.estimated_saving_share_ci && RoundsToZeroPercent(v.estimated_saving_share_ci->lo) &&
                                RoundsToZeroPercent(v.estimated_saving_share_ci->hi);
  if (v.overhead_share_ci && v.estimated_saving_share_ci && !nothing_measured) {
    absl::StrAppend(&out, absl::StrFormat("  blocking overhead %s [%s, %s]   async saving %s [%s, %s]   (95%% intervals)\n",
                                          FormatPercent(*v.overhead_share), FormatPercent(v.overhead_share_ci->lo),
                                          FormatPercent(v.overhead_share_ci->hi), FormatPercent(*v.estimated_saving_share),
                                          FormatPercent(v.estimated_saving_share_ci->lo),
                                          FormatPercent(v.estimated_saving_share_ci->hi)));
    if (v.model_error.Widens()) {
      absl::StrAppend(&out, absl::StrFormat("  the saving's interval includes the model's validated error: %s to +%s\n",
                                            FormatPercent(v.model_error.below), FormatPercent(v.model_error.above)));
    }
  }
  if (b.blocked_io_calls > 0) {
    absl::StrAppend(&out, Wrap(b.tracer_switch.known
                                   ? absl::StrCat("tracer's own time removed: ", Seconds(b.TracerRemovedPerBlockedCall()),
                                                  " per block")
                                   : absl::StrCat("tracer's own time not removed: ", b.tracer_switch.missing_reason),
                               "  ", "    "));
  }
  absl::StrAppend(&out, "\nWhy:\n");
  for (const std::string& r : v.reasons) absl::StrAppend(&out, Wrap(r, "  - ", "    "));

  const double cpus_used = v.window_seconds > 0 ? b.cpu_seconds / v.window_seconds : 0;
  absl::StrAppend(&out, absl::StrFormat("\nWhere the CPU went: %s of CPU in %s (%.2f CPUs busy on average, %s)\n",
                                        Seconds(b.cpu_seconds), Seconds(v.window_seconds), cpus_used,
                                        b.kernel_cpu_known ? "as the kernel accounts it" : "as traced"));
  for (const TopCost& c : t.top_costs) {
    absl::StrAppend(&out, "  ", Left(c.name, 62), " ", Right(Seconds(c.cpu_seconds), 10), " ",
                    Right(FormatPercent(c.share), 6), "\n");
  }

  absl::StrAppend(&out, "\nWhere the threads' time went (summed over threads, so it can exceed the window):\n");
  absl::StrAppend(&out, "  ", Left("on CPU", 48), " ", Right(Seconds(b.cpu_seconds), 10), "\n");
  static constexpr const char* kReasonWords[kNumOffCpuReasons] = {
      "blocked in IO (read, write, accept, connect)", "waiting in poll/epoll/io_uring", "blocked on a futex",
      "sleeping", "blocked elsewhere (other syscalls, page faults)", "runnable, waiting for a CPU after preemption",
      "woken, waiting for a CPU", "blocked on a pipe, eventfd, timerfd or signalfd"};
  for (int r = 0; r < kNumOffCpuReasons; ++r) {
    if (b.offcpu_seconds[r] <= 0) continue;
    // A blocking-design poll's sleeps are IO waits (blocking_model.cc).
    const char* words = r == static_cast<int>(OffCpuReason::kIo) && b.waits.blocking_design
                            ? "blocked in IO (incl. poll on one connection)"
                            : kReasonWords[r];
    absl::StrAppend(&out, "  ", Left(words, 48), " ", Right(Seconds(b.offcpu_seconds[r]), 10), "\n");
  }

  absl::StrAppend(&out, "\nSyscalls by class:\n");
  absl::StrAppend(&out, "  ", Left("class", 14), " ", Right("calls/s", 10), " ", Right("blocked", 8), " ",
                  Right("CPU blocked", 11), " ", Right("not blocked", 11), " ", Right("price/block", 11), " ",
                  Right("direct cost", 11), "  method\n");
  for (int c = 0; c < kNumClasses; ++c) {
    const ClassCost& cc = b.classes[c];
    if (cc.calls == 0) continue;
    const Tier2Cost& t2 = cc.tier2;
    absl::StrAppend(
        &out, "  ", Left(std::string(kClassNames[c]), 14), " ",
        Right(FormatRate(v.window_seconds > 0 ? static_cast<double>(cc.calls) / v.window_seconds : 0), 10), " ",
        Right(absl::StrFormat("%.0f%%", 100.0 * static_cast<double>(cc.blocked_calls) / static_cast<double>(cc.calls)), 8),
        " ", Right(t2.blocked_calls > 0 ? Seconds(t2.mean_blocked_oncpu_seconds) : "-", 11), " ",
        Right(t2.nonblocked_calls > 0 ? Seconds(t2.mean_nonblocked_oncpu_seconds) : "-", 11), " ",
        Right(t2.status == Tier2Status::kCalibrated ? Seconds(t2.price_per_block_seconds) : "-", 11), " ",
        Right(t2.HasCost() ? Seconds(t2.direct_cost_seconds)
                           : (t2.status == Tier2Status::kNotCalibrated ? "unpriced" : "-"),
              11),
        "  ", t2.method == Tier2Method::kNone ? "-" : Tier2MethodName(t2.method), "\n");
  }
  absl::StrAppend(&out,
                  "  (CPU columns: mean on-CPU per call; direct cost = price per block x blocked calls;\n"
                  "   switch_paths: sleep path + resume path - the call's own work; baseline: blocked - not blocked)\n");
  if (const WaitJudgement& w = b.waits; w.blocked_waits > 0) {
    const auto figure = [](const std::optional<double>& x, const absl::FormatSpec<double>& fmt) {
      return x ? absl::StrFormat(fmt, *x) : std::string("unknown");
    };
    absl::StrAppend(&out, "\nWhat the poll/epoll/select waits waited for:\n  ",
                    FormatCount(static_cast<double>(w.blocked_waits)), " blocked waits; ready per blocked wait ",
                    figure(w.ready_per_blocked_wait, "%.2f"), "; watched per wait ", figure(w.watched_per_wait, "%.1f"),
                    "; open sockets per thread ", figure(w.sockets_per_thread, "%.1f"), "\n  ",
                    w.blocking_design ? "blocking design: " : "event-driven: ", w.why, "\n");
  }
  out += "\n";
}

}  // namespace

std::string FormatReportText(const Report& report) {
  std::string out = absl::StrCat("iotax report, ", report.generated_at, "\n");
  absl::StrAppend(&out, "  tier 3 (IPC): ",
                  report.pmu.up ? (report.pmu.software_standins ? "software stand-ins" : "hardware counters")
                                : absl::StrCat("unavailable (", report.pmu.reason, ")"),
                  "\n  async cost: ", report.calibration.note.empty() ? "-" : report.calibration.note,
                  "\n  tracing: ",
                  report.sampling.active()
                      ? absl::StrCat("sampled, ", report.sampling.fraction * 100, "% of the time (one window every ",
                                     report.sampling.period_ns / 1e9, " s): every figure is an estimate")
                      : "every event",
                  "\n\n");
  if (report.targets.empty()) absl::StrAppend(&out, "No target was traced.\n");
  for (const TargetReport& t : report.targets) AppendTarget(out, t);
  return out;
}

}  // namespace iotax
