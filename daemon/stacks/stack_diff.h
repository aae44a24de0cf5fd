// The difference between two profiles of folded stacks (before = A, after =
// B): per stack and per frame, scaled so two runs of different length or
// load compare (per request when both carry a request count).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "folded_stacks.h"

namespace iotax::stacks {

enum class Normalize {
  kNone,      // raw counts
  kTotal,     // each run as shares of its own total (per million)
  kRequests,  // each run divided by its request count
};

struct DiffInput {
  Normalize normalize = Normalize::kNone;
  uint64_t requests_before = 0;  // for kRequests, both > 0
  uint64_t requests_after = 0;
};

// One frame's weight in each run: inclusive (every stack it is on, counted
// once per stack) and self (stacks it ends).
struct FrameChange {
  std::string frame;
  double before_inclusive = 0;
  double after_inclusive = 0;
  double before_self = 0;
  double after_self = 0;
  double Change() const { return after_inclusive - before_inclusive; }
};

struct StackDiff {
  double scale_before = 1;  // what a count of A is multiplied by
  double scale_after = 1;
  std::string unit;         // "count", "per million of the total", "per request"
  // Stack -> (before, after), scaled; every stack of either run.
  std::map<std::string, std::pair<double, double>> stacks;
  // Every frame of either run, largest |change| first (ties: by name).
  std::vector<FrameChange> frames;
  double total_before = 0;
  double total_after = 0;
};

// Fails only when kRequests is asked for without both request counts.
absl::StatusOr<StackDiff> DiffStacks(const FoldedStacks& before, const FoldedStacks& after, const DiffInput& input);

// flamegraph.pl's difffolded format: "stack BEFORE AFTER" per line (scaled
// values rounded to integers), which `flamegraph.pl` draws as a differential.
std::string FormatDiffFolded(const StackDiff& diff);

// A plain-text table of the `top` frames that changed most.
std::string FormatDiffTable(const StackDiff& diff, size_t top);

}  // namespace iotax::stacks
