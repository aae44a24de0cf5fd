#include "stack_transforms.h"

#include <set>

#include "absl/strings/ascii.h"

namespace iotax::stacks {

std::string PoolName(absl::string_view thread_name) {
  size_t end = thread_name.size();
  while (end > 0 && absl::ascii_isdigit(thread_name[end - 1])) --end;
  if (end == thread_name.size() || end == 0) return std::string(thread_name);
  const char separator = thread_name[end - 1];
  if (separator == '-' || separator == '_' || separator == ':' || separator == '/' || separator == '.' ||
      separator == '#' || separator == ' ') {
    --end;
  }
  return end == 0 ? std::string(thread_name) : std::string(thread_name.substr(0, end));
}

FoldedStacks MergeThreadPools(const FoldedStacks& stacks) {
  return RewriteStacks(stacks, [](std::vector<std::string> frames) {
    if (!frames.empty()) frames.front() = PoolName(frames.front());
    return frames;
  });
}

std::vector<std::string> CoalesceFrames(const std::vector<std::string>& frames) {
  std::vector<std::string> out;
  std::set<absl::string_view> seen;
  for (const std::string& frame : frames) {
    if (seen.insert(frame).second) out.push_back(frame);
  }
  return out;
}

FoldedStacks Coalesce(const FoldedStacks& stacks) { return RewriteStacks(stacks, CoalesceFrames); }

}  // namespace iotax::stacks
