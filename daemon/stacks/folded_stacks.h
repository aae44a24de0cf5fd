// Folded stacks: the text format flamegraph.pl, speedscope and Grafana's
// flame-graph panel read. One line per distinct stack, frames root first,
// separated by ';', then a space and a count:
//   worker;main;serve;read;[k] __schedule 1234
// A frame may contain spaces (C++ signatures), so the count is the last
// space-separated field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::stacks {

// Stack ("a;b;c") -> count (samples, or nanoseconds off CPU). Ordered, so
// the text written is the same for the same data.
using FoldedStacks = std::map<std::string, uint64_t>;

std::vector<std::string> SplitFrames(absl::string_view stack);
std::string JoinFrames(const std::vector<std::string>& frames);

// Reads folded text; empty lines and lines starting with '#' are skipped.
// A line without a count, or with a count that is not a non-negative
// integer, is an error naming the line (what to fix, not a silent skip).
// Lines with the same stack add up.
absl::StatusOr<FoldedStacks> ParseFolded(absl::string_view text);

// Writes one line per stack with a non-zero count, in stack order.
std::string FormatFolded(const FoldedStacks& stacks);

uint64_t TotalCount(const FoldedStacks& stacks);

// Every stack rewritten by `rewrite` (frames in, frames out); stacks that
// become equal are merged and their counts added, so the total is kept.
template <typename Rewrite>
FoldedStacks RewriteStacks(const FoldedStacks& stacks, Rewrite rewrite) {
  FoldedStacks out;
  for (const auto& [stack, count] : stacks) out[JoinFrames(rewrite(SplitFrames(stack)))] += count;
  return out;
}

}  // namespace iotax::stacks
