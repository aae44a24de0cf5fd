#include "stack_diff.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::stacks {
namespace {

void AddFrames(const std::string& stack, double value, bool after, std::map<std::string, FrameChange>* frames) {
  const std::vector<std::string> list = SplitFrames(stack);
  std::set<std::string> seen;  // a recursive frame counts once per stack
  for (const std::string& f : list) {
    if (!seen.insert(f).second) continue;
    FrameChange& c = (*frames)[f];
    (after ? c.after_inclusive : c.before_inclusive) += value;
  }
  if (!list.empty()) {
    FrameChange& leaf = (*frames)[list.back()];
    (after ? leaf.after_self : leaf.before_self) += value;
  }
}

}  // namespace

absl::StatusOr<StackDiff> DiffStacks(const FoldedStacks& before, const FoldedStacks& after, const DiffInput& input) {
  StackDiff diff;
  const double total_before = static_cast<double>(TotalCount(before));
  const double total_after = static_cast<double>(TotalCount(after));
  switch (input.normalize) {
    case Normalize::kNone: diff.unit = "count"; break;
    case Normalize::kTotal:
      diff.unit = "per million of the run's total";
      diff.scale_before = total_before > 0 ? 1e6 / total_before : 0;
      diff.scale_after = total_after > 0 ? 1e6 / total_after : 0;
      break;
    case Normalize::kRequests:
      if (input.requests_before == 0 || input.requests_after == 0) {
        return absl::InvalidArgumentError("per-request comparison needs the request count of both runs");
      }
      diff.unit = "per request";
      diff.scale_before = 1.0 / static_cast<double>(input.requests_before);
      diff.scale_after = 1.0 / static_cast<double>(input.requests_after);
      break;
  }
  std::map<std::string, FrameChange> frames;
  for (const auto& [stack, count] : before) {
    const double v = static_cast<double>(count) * diff.scale_before;
    diff.stacks[stack].first += v;
    diff.total_before += v;
    AddFrames(stack, v, false, &frames);
  }
  for (const auto& [stack, count] : after) {
    const double v = static_cast<double>(count) * diff.scale_after;
    diff.stacks[stack].second += v;
    diff.total_after += v;
    AddFrames(stack, v, true, &frames);
  }
  for (auto& [name, change] : frames) {
    change.frame = name;
    diff.frames.push_back(change);
  }
  std::sort(diff.frames.begin(), diff.frames.end(), [](const FrameChange& a, const FrameChange& b) {
    const double da = std::fabs(a.Change()), db = std::fabs(b.Change());
    return da != db ? da > db : a.frame < b.frame;
  });
  return diff;
}

std::string FormatDiffFolded(const StackDiff& diff) {
  std::string out;
  for (const auto& [stack, values] : diff.stacks) {
    absl::StrAppend(&out, stack, " ", std::llround(values.first), " ", std::llround(values.second), "\n");
  }
  return out;
}

std::string FormatDiffTable(const StackDiff& diff, size_t top) {
  std::string out = absl::StrFormat("%-12s %-12s %-12s %-8s  %s\n", "before", "after", "change", "change", "frame (inclusive, " + diff.unit + ")");
  size_t shown = 0;
  for (const FrameChange& f : diff.frames) {
    if (shown == top) break;
    if (f.Change() == 0) break;  // sorted: the rest did not change
    const std::string relative =
        f.before_inclusive > 0 ? absl::StrFormat("%+.0f%%", 100.0 * f.Change() / f.before_inclusive) : "new";
    absl::StrAppend(&out, absl::StrFormat("%-12.4g %-12.4g %+-12.4g %-8s  %s\n", f.before_inclusive,
                                          f.after_inclusive, f.Change(), relative, f.frame));
    ++shown;
  }
  if (shown == 0) absl::StrAppend(&out, "(no frame changed)\n");
  absl::StrAppend(&out, absl::StrFormat("total: before %.4g, after %.4g (%s)\n", diff.total_before, diff.total_after,
                                        diff.unit));
  return out;
}

}  // namespace iotax::stacks
