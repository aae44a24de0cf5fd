#include "stack_capture.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "child_process.h"
#include "results_store.h"

namespace iotax::bench {
namespace {

using Counts = std::map<std::string, uint64_t>;

// "frame;frame;... COUNT" lines; anything else is skipped.
Counts ParseCounts(const std::string& folded) {
  Counts counts;
  for (absl::string_view line : absl::StrSplit(folded, '\n', absl::SkipEmpty())) {
    const size_t space = line.rfind(' ');
    uint64_t n = 0;
    if (space == absl::string_view::npos || space == 0 || !absl::SimpleAtoi(line.substr(space + 1), &n)) continue;
    counts[std::string(line.substr(0, space))] += n;
  }
  return counts;
}

std::string Format(const Counts& counts) {
  std::string out;
  for (const auto& [stack, n] : counts) {
    if (n > 0) absl::StrAppend(&out, stack, " ", n, "\n");
  }
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// `iotax diff BEFORE AFTER` into DIR/NAME-diff.{txt,svg}; "" or what went wrong.
std::string RunDiff(const std::string& bin_dir, const std::string& dir, const std::string& name,
                    uint64_t requests_before, uint64_t requests_after) {
  const std::string txt = absl::StrCat(dir, "/", name, "-diff.txt");
  const std::string log = absl::StrCat(dir, "/", name, "-diff.log");
  std::vector<std::string> argv = {absl::StrCat(bin_dir, "/iotax"), "diff",
                                   absl::StrCat(dir, "/blocking.", name, ".folded"),
                                   absl::StrCat(dir, "/uring.", name, ".folded"),
                                   "--merge-pools",
                                   "--top=15",
                                   absl::StrCat("--svg=", dir, "/", name, "-diff.svg")};
  // Per request when both runs served some (the proof's load is the same
  // offered rate for both servers, so this compares like with like).
  if (requests_before > 0 && requests_after > 0) {
    argv.push_back(absl::StrCat("--requests=", requests_before, ",", requests_after));
  }
  auto child = ChildProcess::Start(argv, log);
  if (!child.ok()) return std::string(child.status().message());
  const std::string out = (*child)->ReadAll(absl::Seconds(60));
  const std::optional<int> code = (*child)->Wait(absl::Seconds(5));
  if ((*child)->running()) (*child)->Stop(absl::Seconds(1));
  if (!code || *code != 0) return absl::StrCat("iotax diff failed (exit ", code.value_or(-1), "): ", ReadText(log));
  std::error_code ec;
  std::filesystem::remove(log, ec);
  if (absl::Status s = WriteFileAtomically(txt, out); !s.ok()) return std::string(s.message());
  return "";
}

}  // namespace

std::string SubtractFolded(const std::string& later, const std::string& earlier) {
  Counts result = ParseCounts(later);
  for (const auto& [stack, n] : ParseCounts(earlier)) {
    auto it = result.find(stack);
    if (it != result.end()) it->second = it->second > n ? it->second - n : 0;
  }
  return Format(result);
}

std::string AddFolded(const std::string& a, const std::string& b) {
  Counts result = ParseCounts(a);
  for (const auto& [stack, n] : ParseCounts(b)) result[stack] += n;
  return Format(result);
}

std::string RunStacksDir(const std::string& out_dir, const std::string& run_key) {
  return absl::StrCat(out_dir, "/stacks/runs/", absl::StrReplaceAll(run_key, {{"#", ".r"}, {"+", "_"}}));
}

absl::Status WriteRunStacks(const std::string& dir, const FoldedProfiles& window) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  if (absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/offcpu.folded"), window.offcpu); !s.ok()) return s;
  return WriteFileAtomically(absl::StrCat(dir, "/oncpu.folded"), window.oncpu);
}

std::vector<std::string> WriteStackDiffs(const std::vector<RunRecord>& runs, const BenchConfig& config,
                                         const std::string& out_dir, const std::string& bin_dir) {
  std::vector<std::string> lines;
  for (const Setup& setup : ExpandSetups(config)) {
    struct Side {
      FoldedProfiles sum;
      uint64_t requests = 0;
      int runs = 0;
    };
    std::map<std::string, Side> sides;  // "blocking", "uring"
    for (const RunRecord& r : runs) {
      const Point& p = r.point;
      if (!r.ok || p.phase != Phase::kProof || !p.agent || !(p.setup == setup)) continue;
      if (p.server != "blocking" && p.server != "uring") continue;
      const std::string dir = RunStacksDir(out_dir, r.key);
      if (!Exists(absl::StrCat(dir, "/offcpu.folded"))) continue;
      Side& side = sides[p.server];
      side.sum.offcpu = AddFolded(side.sum.offcpu, ReadText(absl::StrCat(dir, "/offcpu.folded")));
      side.sum.oncpu = AddFolded(side.sum.oncpu, ReadText(absl::StrCat(dir, "/oncpu.folded")));
      side.requests += r.requests;
      ++side.runs;
    }
    if (sides.size() < 2) {
      lines.push_back(absl::StrCat(setup.Id(), ": no diff (it needs attached proof runs of both the blocking and the "
                                   "io_uring server with their stacks)"));
      continue;
    }
    const std::string dir = absl::StrCat(out_dir, "/stacks/", setup.Id());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string error;
    for (const auto& [server, side] : sides) {
      for (const auto& [name, text] : {std::pair{"offcpu", side.sum.offcpu}, {"oncpu", side.sum.oncpu}}) {
        if (absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/", server, ".", name, ".folded"), text);
            !s.ok() && error.empty()) {
          error = std::string(s.message());
        }
      }
    }
    for (const char* name : {"offcpu", "oncpu"}) {
      if (error.empty()) error = RunDiff(bin_dir, dir, name, sides["blocking"].requests, sides["uring"].requests);
    }
    lines.push_back(error.empty() ? absl::StrCat(setup.Id(), ": blocking -> io_uring stack diffs in ", dir,
                                                 "/{offcpu,oncpu}-diff.{txt,svg} (", sides["blocking"].runs, "+",
                                                 sides["uring"].runs, " runs)")
                                  : absl::StrCat(setup.Id(), ": ", error));
  }
  return lines;
}

}  // namespace iotax::bench
