// The indirect cost of blocking without a PMU (issue 14, part 3): time is
// measured where counters are not. The user segment that follows a blocked
// return is compared with the user segment that follows a non-blocked
// return on the same code path (the same class of call before and after
// it); both run the same code, so what the first takes longer is what
// refilling caches and TLB after the switch cost. Only when both sides have
// enough segments (a small baseline below); otherwise the part is
// unavailable, with the counts.
// The call that ends the segment is compared the same way (its kernel half):
// after a switch it too runs on caches other threads filled, and with many
// threads on a CPU that is where most of the refill is paid.
#pragma once

#include <cstdint>
#include <string>

#include "snapshot.h"

namespace iotax {

// Segments needed on each side of a path before its means are compared.
inline constexpr uint64_t kMinPathSegments = 50;
// Below that, the same comparison is made on what there is when each side
// has at least this many, and charged (blocking_model.cc): where nearly every
// read blocks, the few that did not are the only baseline (judged against
// leaving the part out: model-error §13).
inline constexpr uint64_t kFewPathSegments = 10;

// The comparison of one path's two sides: means, their difference, its error.
struct PathFigures {
  double mean_after_blocked_seconds = 0;
  double mean_after_nonblocked_seconds = 0;
  double user_per_block_seconds = 0;  // the user segments' difference of the means, signed
  // The kernel half: the call that ended the segments (the path's `after`
  // class), counted when it never left the CPU. Used only when both sides
  // have enough such calls; otherwise 0, and kernel_missing says why.
  bool kernel_available = false;
  std::string kernel_missing;
  double call_after_blocked_seconds = 0;
  double call_after_nonblocked_seconds = 0;
  double kernel_per_block_seconds = 0;  // difference of the calls' means, signed
  double per_block_seconds = 0;     // user + kernel halves, signed
  double per_block_se_seconds = 0;  // its standard error (both sides' spread, both halves)
};

struct PathIndirect {
  bool available = false;      // a path had enough segments on both sides
  bool blocked_returns = false;  // some IO call blocked and was followed on a path
  std::string missing_reason;  // in words, when not available
  SyscallClass before = SyscallClass::kNetRead;  // the path used (or the best one seen)
  SyscallClass after = SyscallClass::kNetWrite;
  uint64_t blocked_segments = 0;
  uint64_t nonblocked_segments = 0;
  uint64_t blocked_calls = 0;
  uint64_t nonblocked_calls = 0;
  PathFigures figures;  // when available
  // When not available for want of segments but each side had at least
  // kFewPathSegments: the same comparison on the few there were (both halves
  // at that minimum).
  bool few_available = false;
  PathFigures few;
};

// Picks the path with the most blocked returns among those whose call before
// is an IO class (read, write, accept, connect; and poll when `poll_is_io`:
// a blocking design's waits, one connection per thread, blocking_model.h)
// and compares its two sides.
PathIndirect EstimateIndirectFromTime(const PathSegmentTable& table, bool poll_is_io = false);

}  // namespace iotax
