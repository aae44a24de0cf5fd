#include "indirect_time.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "blocking_model.h"

namespace iotax {
namespace {

struct Side {
  double mean_ns = 0;
  double var_ns2 = 0;  // of one segment
};

Side Moments(uint64_t count, uint64_t ns, uint64_t sq_16ns) {
  Side s;
  if (count == 0) return s;
  const double n = static_cast<double>(count);
  s.mean_ns = static_cast<double>(ns) / n;
  const double mean_q = s.mean_ns / 16.0;
  const double var_q = static_cast<double>(sq_16ns) / n - mean_q * mean_q;
  s.var_ns2 = std::max(0.0, var_q) * 256.0;
  return s;
}

// The squared standard error of the difference of two sides' means.
double DiffVariance(const Side& a, uint64_t na, const Side& b, uint64_t nb) {
  return a.var_ns2 / static_cast<double>(na) + b.var_ns2 / static_cast<double>(nb);
}

std::string PathWords(int before, int after) {
  return absl::StrCat(ClassNoun(static_cast<SyscallClass>(before)), " then ",
                      ClassNoun(static_cast<SyscallClass>(after)));
}

// Both sides of one path compared; the kernel half when each side has
// `min_count` calls that stayed on the CPU.
PathFigures Compare(const PathSegments& blocked, const PathSegments& plain, uint64_t min_count,
                    SyscallClass after) {
  PathFigures f;
  const Side sb = Moments(blocked.segments, blocked.ns, blocked.sq_16ns);
  const Side sp = Moments(plain.segments, plain.ns, plain.sq_16ns);
  f.mean_after_blocked_seconds = sb.mean_ns / 1e9;
  f.mean_after_nonblocked_seconds = sp.mean_ns / 1e9;
  f.user_per_block_seconds = (sb.mean_ns - sp.mean_ns) / 1e9;
  double var = DiffVariance(sb, blocked.segments, sp, plain.segments);
  if (blocked.calls >= min_count && plain.calls >= min_count) {
    const Side cb = Moments(blocked.calls, blocked.call_ns, blocked.call_sq_16ns);
    const Side cp = Moments(plain.calls, plain.call_ns, plain.call_sq_16ns);
    f.kernel_available = true;
    f.call_after_blocked_seconds = cb.mean_ns / 1e9;
    f.call_after_nonblocked_seconds = cp.mean_ns / 1e9;
    f.kernel_per_block_seconds = (cb.mean_ns - cp.mean_ns) / 1e9;
    var += DiffVariance(cb, blocked.calls, cp, plain.calls);
  } else {
    f.kernel_missing = absl::StrCat("the ", ClassNoun(after), " that end the segments stayed on the CPU ",
                                    blocked.calls, " times after a blocked return and ", plain.calls,
                                    " after one that did not; ", min_count, " of each are needed");
  }
  f.per_block_seconds = f.user_per_block_seconds + f.kernel_per_block_seconds;
  f.per_block_se_seconds = std::sqrt(var) / 1e9;
  return f;
}

}  // namespace

PathIndirect EstimateIndirectFromTime(const PathSegmentTable& table, bool poll_is_io) {
  PathIndirect r;
  int best_ok = -1, best_any = -1;
  uint64_t most_ok = 0, most_any = 0;
  for (int b = 0; b < kNumPathClasses; ++b) {
    const auto before = static_cast<SyscallClass>(b);
    if (!IsIoClass(before) && !(poll_is_io && before == SyscallClass::kPoll)) continue;
    for (int a = 0; a < kNumPathClasses; ++a) {
      const uint64_t blocked = table[b][a][1].segments;
      const uint64_t plain = table[b][a][0].segments;
      if (blocked > most_any) {
        most_any = blocked;
        best_any = b * kNumPathClasses + a;
      }
      if (blocked >= kMinPathSegments && plain >= kMinPathSegments && blocked > most_ok) {
        most_ok = blocked;
        best_ok = b * kNumPathClasses + a;
      }
    }
  }
  const int pick = best_ok >= 0 ? best_ok : best_any;
  if (pick < 0) {
    r.missing_reason = poll_is_io ? "no user code ran between a blocked read, write, accept, connect or poll wait and "
                                    "the next call"
                                  : "no user code ran between a blocked read, write, accept or connect and the next call";
    return r;
  }
  r.blocked_returns = true;
  const int before = pick / kNumPathClasses, after = pick % kNumPathClasses;
  r.before = static_cast<SyscallClass>(before);
  r.after = static_cast<SyscallClass>(after);
  const PathSegments& blocked = table[before][after][1];
  const PathSegments& plain = table[before][after][0];
  r.blocked_segments = blocked.segments;
  r.nonblocked_segments = plain.segments;
  r.blocked_calls = blocked.calls;
  r.nonblocked_calls = plain.calls;
  if (best_ok < 0) {
    const char* side = blocked.segments < kMinPathSegments && plain.segments >= kMinPathSegments
                           ? "too few blocked returns on the same path"
                           : "too few non-blocked returns on the same path";
    r.missing_reason = absl::StrCat(side, " (", PathWords(before, after), ": ", blocked.segments,
                                    " after a blocked return, ", plain.segments, " after one that did not block; ",
                                    kMinPathSegments, " of each are needed)");
    if (blocked.segments >= kFewPathSegments && plain.segments >= kFewPathSegments) {
      r.few_available = true;
      r.few = Compare(blocked, plain, kFewPathSegments, r.after);
    }
    return r;
  }
  r.available = true;
  r.figures = Compare(blocked, plain, kMinPathSegments, r.after);
  return r;
}

}  // namespace iotax
