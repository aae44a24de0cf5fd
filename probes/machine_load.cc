#include "machine_load.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "proc_reader.h"

namespace iotax {

std::string MachineLoad::Describe() const {
  std::string s =
      absl::StrFormat("load average %.2f on %d CPU%s", load_average_1m, online_cpus, online_cpus == 1 ? "" : "s");
  if (runnable_now) {
    absl::StrAppend(&s, absl::StrFormat(", %g other task%s runnable now", *runnable_now,
                                        *runnable_now == 1 ? "" : "s"));
  }
  return s;
}

namespace {

std::vector<absl::string_view> Fields(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

}  // namespace

std::optional<double> ParseLoadAverage1m(const std::string& text) {
  const std::vector<absl::string_view> fields = Fields(text);
  double value = 0;
  if (fields.empty() || !absl::SimpleAtod(fields[0], &value) || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> ParseRunnableNow(const std::string& text) {
  const std::vector<absl::string_view> fields = Fields(text);
  if (fields.size() < 4) return std::nullopt;
  const std::vector<absl::string_view> parts = absl::StrSplit(fields[3], '/');
  int value = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &value) || value < 0) return std::nullopt;
  return value;
}

std::optional<MachineLoad> ReadMachineLoad(const std::string& proc_root, int samples, int gap_ms) {
  std::string text;
  if (!proc::ReadText(proc_root + "/loadavg", &text)) return std::nullopt;
  const std::optional<double> load = ParseLoadAverage1m(text);
  if (!load) return std::nullopt;
  MachineLoad m;
  m.load_average_1m = *load;
  m.online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<int> runnable;
  for (int i = 0; i < samples; ++i) {
    if (i > 0) {
      usleep(static_cast<useconds_t>(gap_ms) * 1000);
      if (!proc::ReadText(proc_root + "/loadavg", &text)) break;
    }
    if (const std::optional<int> r = ParseRunnableNow(text)) runnable.push_back(std::max(0, *r - 1));
  }
  if (!runnable.empty()) {
    std::sort(runnable.begin(), runnable.end());
    const size_t n = runnable.size();
    m.runnable_now = n % 2 == 1 ? runnable[n / 2] : (runnable[n / 2 - 1] + runnable[n / 2]) / 2.0;
  }
  return m;
}

}  // namespace iotax
