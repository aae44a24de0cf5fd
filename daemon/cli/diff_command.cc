// iotax diff: two folded-stack profiles compared (a table, and on request a
// differential flame graph and flamegraph.pl's difffolded text).
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "flame_graph_svg.h"
#include "folded_stacks.h"
#include "iotax_commands.h"
#include "log_sink.h"
#include "stack_diff.h"
#include "stack_transforms.h"

namespace iotax {
namespace {

absl::StatusOr<stacks::FoldedStacks> ReadFolded(const std::string& path, const cli::DiffOptions& options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": no such file, or not readable"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<stacks::FoldedStacks> folded = stacks::ParseFolded(text.str());
  if (!folded.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", folded.status().message()));
  if (options.merge_pools) *folded = stacks::MergeThreadPools(*folded);
  if (options.coalesce) *folded = stacks::Coalesce(*folded);
  return folded;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

int RunDiff(const cli::DiffOptions& options) {
  const LogSink say = StderrLog("iotax diff");
  const auto fail = [&say](absl::string_view line) {
    say(line);
    return 1;
  };
  absl::StatusOr<stacks::FoldedStacks> before = ReadFolded(options.before_path, options);
  if (!before.ok()) return fail(before.status().message());
  absl::StatusOr<stacks::FoldedStacks> after = ReadFolded(options.after_path, options);
  if (!after.ok()) return fail(after.status().message());

  stacks::DiffInput input;
  input.normalize = options.normalize == "total"      ? stacks::Normalize::kTotal
                    : options.normalize == "requests" ? stacks::Normalize::kRequests
                                                      : stacks::Normalize::kNone;
  input.requests_before = options.requests_before;
  input.requests_after = options.requests_after;
  absl::StatusOr<stacks::StackDiff> diff = stacks::DiffStacks(*before, *after, input);
  if (!diff.ok()) return fail(diff.status().message());

  std::cout << "before: " << options.before_path << " (" << before->size() << " stacks)\n"
            << "after:  " << options.after_path << " (" << after->size() << " stacks)\n\n"
            << stacks::FormatDiffTable(*diff, static_cast<size_t>(options.top));
  if (!options.svg_path.empty()) {
    stacks::FlameGraphOptions svg;
    svg.title = absl::StrCat("Differential: ", options.before_path, " -> ", options.after_path,
                             " (red grew, blue shrank; ", diff->unit, ")");
    svg.count_name = diff->unit;
    if (absl::Status s = WriteFile(options.svg_path, stacks::DifferentialFlameGraphSvg(*diff, svg)); !s.ok()) {
      return fail(s.message());
    }
    std::cout << "differential flame graph: " << options.svg_path << "\n";
  }
  if (!options.folded_path.empty()) {
    if (absl::Status s = WriteFile(options.folded_path, stacks::FormatDiffFolded(*diff)); !s.ok()) {
      return fail(s.message());
    }
    std::cout << "difffolded: " << options.folded_path << "\n";
  }
  return 0;
}

}  // namespace iotax
