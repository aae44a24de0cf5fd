// One reading of the stack profiles, named and folded: what `iotax report
// --stacks` writes and iotaxd serves at /api/stacks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call_sites.h"
#include "folded_stacks.h"

namespace iotax::stacks {

struct StacksView {
  FoldedStacks offcpu;  // microseconds off CPU
  FoldedStacks oncpu;   // microseconds on CPU (samples x period)
  std::vector<CallSite> call_sites;  // top blocking call sites
  int oncpu_hz = 0;
  uint64_t lost_offcpu_keys = 0;  // keys that did not fit the kernel's maps
  uint64_t lost_oncpu_keys = 0;
  std::string truncation;  // advice when most stacks stop early, or ""
};

// The lines printed after a report: the call sites, losses, advice.
// `where` names the flame graphs ("in /tmp/stacks/offcpu.svg and oncpu.svg").
std::string FormatStacksSummary(const StacksView& view, const std::string& where);

}  // namespace iotax::stacks
