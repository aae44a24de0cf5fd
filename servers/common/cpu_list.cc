#include "cpu_list.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace iotax::net {

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  const long online = sysconf(_SC_NPROCESSORS_CONF);
  std::vector<int> cpus;
  if (text.empty()) return cpus;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    if (!absl::SimpleAtoi(ends[0], &lo) || (ends.size() == 2 && !absl::SimpleAtoi(ends[1], &hi)) || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad CPU list item '", item, "' in '", text,
                                                     "': use forms like 0, 0-1 or 0,2-3"));
    }
    if (ends.size() == 1) hi = lo;
    if (hi < lo) return absl::InvalidArgumentError(absl::StrCat("reversed CPU range '", item, "'"));
    if (hi >= online) {
      return absl::InvalidArgumentError(
          absl::StrCat("CPU ", hi, " does not exist: this machine has CPUs 0-", online - 1));
    }
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  return cpus;
}

absl::Status PinCurrentThread(const std::vector<int>& cpus) {
  if (cpus.empty()) return absl::OkStatus();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::ErrnoToStatus(errno, "sched_setaffinity (is the CPU allowed by this cgroup/cpuset?)");
  }
  return absl::OkStatus();
}

}  // namespace iotax::net
