#include "folded_stacks.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax::stacks {

std::vector<std::string> SplitFrames(absl::string_view stack) {
  if (stack.empty()) return {};
  return absl::StrSplit(stack, ';');
}

std::string JoinFrames(const std::vector<std::string>& frames) { return absl::StrJoin(frames, ";"); }

absl::StatusOr<FoldedStacks> ParseFolded(absl::string_view text) {
  FoldedStacks out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find_last_of(' ');
    uint64_t count = 0;
    if (space == absl::string_view::npos || space == 0 || !absl::SimpleAtoi(line.substr(space + 1), &count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": expected 'frame;frame;... COUNT' (folded stacks, root first, a count at the end)"));
    }
    out[std::string(absl::StripTrailingAsciiWhitespace(line.substr(0, space)))] += count;
  }
  return out;
}

std::string FormatFolded(const FoldedStacks& stacks) {
  std::string out;
  for (const auto& [stack, count] : stacks) {
    if (count != 0) absl::StrAppend(&out, stack, " ", count, "\n");
  }
  return out;
}

uint64_t TotalCount(const FoldedStacks& stacks) {
  uint64_t total = 0;
  for (const auto& [stack, count] : stacks) total += count;
  return total;
}

}  // namespace iotax::stacks
