#include "machine_load.h"

#include <unistd.h>

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "proc_reader.h"

namespace iotax {

std::string MachineLoad::Describe() const {
  return absl::StrFormat("load average %.2f on %d CPU%s", load_average_1m, online_cpus, online_cpus == 1 ? "" : "s");
}

std::optional<double> ParseLoadAverage1m(const std::string& text) {
  const std::vector<absl::string_view> fields = absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  double value = 0;
  if (fields.empty() || !absl::SimpleAtod(fields[0], &value) || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<MachineLoad> ReadMachineLoad(const std::string& proc_root) {
  std::string text;
  if (!proc::ReadText(proc_root + "/loadavg", &text)) return std::nullopt;
  const std::optional<double> load = ParseLoadAverage1m(text);
  if (!load) return std::nullopt;
  MachineLoad m;
  m.load_average_1m = *load;
  m.online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return m;
}

}  // namespace iotax
