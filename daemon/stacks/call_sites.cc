#include "call_sites.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack_transforms.h"

namespace iotax::stacks {
namespace {

std::vector<std::string> Frames(const NamedStack& s, bool with_call) {
  std::vector<std::string> f = {s.thread.empty() ? "[unnamed]" : s.thread};
  if (s.user_missing) f.push_back("[no user stack]");
  f.insert(f.end(), s.user.begin(), s.user.end());
  if (with_call && !s.call.empty()) f.push_back(s.call);
  for (const std::string& k : s.kernel) f.push_back(k + "_[k]");
  return f;
}

bool IsThreadStart(const std::string& frame) {
  for (const char* start : {"_start", "start_thread", "clone", "clone3", "__libc_start_main", "__libc_start_call_main"}) {
    if (frame == start) return true;
  }
  return false;
}

}  // namespace

FoldedStacks FoldOffCpu(const std::vector<NamedStack>& stacks) {
  FoldedStacks out;
  for (const NamedStack& s : stacks) out[JoinFrames(Frames(s, true))] += s.offcpu_ns / 1000;
  return out;
}

FoldedStacks FoldOnCpu(const std::vector<NamedStack>& stacks, int hz) {
  FoldedStacks out;
  const uint64_t period_us = hz > 0 ? static_cast<uint64_t>(1'000'000 / hz) : 0;
  for (const NamedStack& s : stacks) out[JoinFrames(Frames(s, false))] += s.count * period_us;
  return out;
}

std::vector<CallSite> TopCallSites(const std::vector<NamedStack>& stacks, size_t top) {
  std::map<std::tuple<std::string, std::string, std::string>, CallSite> sites;
  for (const NamedStack& s : stacks) {
    std::string caller = s.site.empty() ? "[no user stack]" : s.site;
    for (auto it = s.user.rbegin(); s.site.empty() && it != s.user.rend(); ++it) {
      if (!absl::StartsWith(*it, "[")) {
        caller = *it;
        break;
      }
    }
    const std::string call = s.call.empty() ? "(not in a syscall)" : s.call;
    CallSite& site = sites[{call, caller, PoolName(s.thread)}];
    site.call = call;
    site.caller = caller;
    site.thread = PoolName(s.thread);
    site.blocks += s.count;
    site.offcpu_ns += s.offcpu_ns;
  }
  std::vector<CallSite> out;
  for (auto& [key, site] : sites) out.push_back(std::move(site));
  std::sort(out.begin(), out.end(), [](const CallSite& a, const CallSite& b) {
    return a.offcpu_ns != b.offcpu_ns ? a.offcpu_ns > b.offcpu_ns : a.blocks > b.blocks;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

std::string FormatCallSites(const std::vector<CallSite>& sites) {
  if (sites.empty()) return "  (no thread blocked)\n";
  std::string out = absl::StrFormat("  %-10s %-12s %-10s %-22s %s\n", "blocks", "off-CPU", "mean", "call", "in (thread pool)");
  for (const CallSite& s : sites) {
    const double mean_us = s.blocks ? static_cast<double>(s.offcpu_ns) / 1e3 / static_cast<double>(s.blocks) : 0;
    absl::StrAppend(&out, absl::StrFormat("  %-10d %-12s %-10s %-22s %s (%s)\n", s.blocks,
                                          absl::StrFormat("%.3f s", static_cast<double>(s.offcpu_ns) / 1e9),
                                          absl::StrFormat("%.1f us", mean_us), s.call, s.caller, s.thread));
  }
  return out;
}

Truncation CountTruncated(const std::vector<NamedStack>& stacks) {
  Truncation t;
  for (const NamedStack& s : stacks) {
    ++t.stacks;
    if (s.user_missing) {
      ++t.missing;
    } else if (s.user.empty() || (!s.root_in_library && !IsThreadStart(s.user.front()))) {
      ++t.truncated;
    }
  }
  return t;
}

std::string TruncationAdvice(const Truncation& t) {
  if (t.stacks == 0 || t.truncated * 2 < t.stacks) return "";
  return absl::StrFormat(
      "%d of %d stacks stop before the thread's start: the program (or a library on the path) was built without "
      "frame pointers; rebuild it with -fno-omit-frame-pointer for whole stacks",
      t.truncated, t.stacks);
}

}  // namespace iotax::stacks
