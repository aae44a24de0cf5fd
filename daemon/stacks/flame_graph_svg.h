// Flame graphs drawn by iotax itself (no download at run time): an SVG in
// which each frame is a box as wide as its share of the total, callers
// below callees, like flamegraph.pl. A differential graph takes its widths
// from the second run and colours each box by how much the frame's weight
// changed: red grew, blue shrank, white did not change.
#pragma once

#include <string>

#include "folded_stacks.h"
#include "stack_diff.h"

namespace iotax::stacks {

struct FlameGraphOptions {
  std::string title = "Flame graph";
  std::string count_name = "samples";  // what a count is, in tooltips
  int width = 1200;                    // pixels
  int frame_height = 16;
  double min_width = 0.1;              // boxes narrower than this (pixels) are not drawn
};

std::string FlameGraphSvg(const FoldedStacks& stacks, const FlameGraphOptions& options);

// Widths from the diff's "after" values, colour from after - before.
std::string DifferentialFlameGraphSvg(const StackDiff& diff, const FlameGraphOptions& options);

}  // namespace iotax::stacks
