#include "calibration_retry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace iotax {
namespace {

// The client's reasons end in advice about its own flags (--rate, --rings);
// what calibrate's user needs is the part before the first ": ".
std::string Head(absl::string_view reason) {
  const size_t colon = reason.find(": ");
  return std::string(colon == absl::string_view::npos ? reason : reason.substr(0, colon));
}

std::string Reasons(const std::vector<RunAttempt>& attempts) {
  std::vector<std::string> heads;
  for (const RunAttempt& a : attempts) {
    for (const std::string& r : a.reasons) {
      std::string h = Head(r);
      if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(std::move(h));
    }
  }
  return heads.empty() ? "the load client did not say why" : absl::StrJoin(heads, "; ");
}

}  // namespace

std::string DescribeLoad(const MachineLoad& before, const MachineLoad& now) {
  return absl::StrFormat("%s (%.2f before calibrating)", now.Describe(), before.load_average_1m);
}

std::string RefusalLine(absl::string_view what, absl::string_view load, absl::string_view fix) {
  return absl::StrCat("refused, nothing written: ", what, "; ", load, ": ", fix);
}

RunDecision DecideAfterAttempt(absl::string_view model, int rate, const std::vector<RunAttempt>& attempts,
                               const MachineLoad& before, const MachineLoad& now, int max_retries) {
  RunDecision d;
  if (attempts.empty() || attempts.back().clean) return d;
  const int retries_done = static_cast<int>(attempts.size()) - 1;
  const std::string run = absl::StrCat("the ", model, " server run at ", rate, " requests/s");
  if (retries_done < max_retries) {
    d.step = RunStep::kRetry;
    d.line = absl::StrCat(run, " was not clean (", Reasons({attempts.back()}), "; ", DescribeLoad(before, now),
                          "): running it again (retry ", retries_done + 1, " of ", max_retries, ")");
    return d;
  }
  d.step = RunStep::kRefuse;
  d.exit_code = kRefusedExitCode;
  d.line = RefusalLine(absl::StrCat(run, " was not clean in ", attempts.size(), " attempt",
                                    attempts.size() == 1 ? "" : "s", " (", Reasons(attempts), ")"),
                       DescribeLoad(before, now), "run again on a quiet machine or lower --rates");
  return d;
}

}  // namespace iotax
