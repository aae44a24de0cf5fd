#include "cpu_interrupts.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax::bench {

absl::StatusOr<IpiCounts> ParseInterrupts(absl::string_view text) {
  IpiCounts c;
  bool res = false, cal = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    const bool is_res = absl::ConsumePrefix(&line, "RES:");
    const bool is_cal = !is_res && absl::ConsumePrefix(&line, "CAL:");
    if (!is_res && !is_cal) continue;
    uint64_t sum = 0;
    // Per-CPU counts, then the description.
    for (absl::string_view field : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(field, &v)) break;
      sum += v;
    }
    (is_res ? c.rescheduling : c.function_call) = sum;
    (is_res ? res : cal) = true;
  }
  if (!res || !cal) return absl::NotFoundError("no RES and CAL lines in /proc/interrupts (not x86?)");
  return c;
}

absl::StatusOr<IpiCounts> ReadIpis(const std::string& proc_root) {
  std::ifstream in(proc_root + "/interrupts");
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", proc_root, "/interrupts"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseInterrupts(ss.str());
}

}  // namespace iotax::bench
