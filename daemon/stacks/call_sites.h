// Stacks with names, turned into what a person reads: folded profiles
// (thread; user frames; the blocking call; kernel frames) and the top
// blocking call sites. Pure: the names come from the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "folded_stacks.h"

namespace iotax::stacks {

struct NamedStack {
  std::string thread;               // thread name
  std::vector<std::string> user;    // root first
  std::vector<std::string> kernel;  // root first
  std::string call;                 // off-CPU: "read (socket)", "" on-CPU
  bool user_missing = false;        // the user stack could not be taken
  std::string site;                 // the innermost frame of the program itself (not libc); "" = the leaf
  bool root_in_library = false;     // the outermost frame is in a shared library (a thread start there)
  uint64_t count = 0;               // blocks, or samples
  uint64_t offcpu_ns = 0;
};

// Both profiles weigh in microseconds, so they read (and diff) alike:
// off-CPU time, and on-CPU time as samples x the clock's period (1e6 / hz).
// Kernel frames get the "_[k]" suffix flamegraph.pl colours as kernel code.
FoldedStacks FoldOffCpu(const std::vector<NamedStack>& stacks);
FoldedStacks FoldOnCpu(const std::vector<NamedStack>& stacks, int hz);

struct CallSite {
  std::string call;    // "read (socket)"
  std::string caller;  // the stack's site, or its innermost named frame, or "[no user stack]"
  std::string thread;  // pool name
  uint64_t blocks = 0;
  uint64_t offcpu_ns = 0;
};

// Off-CPU stacks grouped by (call, innermost user frame, pool), most
// off-CPU time first.
std::vector<CallSite> TopCallSites(const std::vector<NamedStack>& stacks, size_t top);

std::string FormatCallSites(const std::vector<CallSite>& sites);

// Stacks whose root is neither a thread's start (_start, start_thread,
// clone, __libc_start_main) nor in a shared library (where threads start:
// libc, libstdc++): the walk stopped early, which frame-pointer walking does
// in code built without frame pointers.
struct Truncation {
  uint64_t stacks = 0;
  uint64_t truncated = 0;
  uint64_t missing = 0;  // no user stack at all
};
Truncation CountTruncated(const std::vector<NamedStack>& stacks);

// One line for the user when many stacks are truncated, "" otherwise.
std::string TruncationAdvice(const Truncation& t);

}  // namespace iotax::stacks
