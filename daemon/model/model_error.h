// How wrong the model was on server designs it was not built around,
// measured in a validation run made before this margin existed. The
// verdict's saving interval carries it next to the sub-window spread: an
// interval has to cover what the model gets wrong, not only noise (issue 14,
// part 4).
//
// The figures are the k-th least and the k-th most of (actual saving share -
// estimated saving share) over the rows of the validation CSV (`source`),
// and the fewest blocking events (blocked IO calls and thread hand-offs) per
// CPU second among them; a test recomputes all three from that file. Between
// the k-th least and the k-th most of n exchangeable errors a new one falls
// with probability (n + 1 - 2k) / (n + 1): that is the margin's nominal
// coverage (k = 1, the whole range: (n - 1) / (n + 1)).
#pragma once

#include <cstdint>

namespace iotax {

struct ModelErrorMargin {
  double below = 0;  // <= 0: the most the model overestimated the saving, as a share of CPU
  double above = 0;  // >= 0: the most it underestimated it
  // The validation's least-blocking row: a target that blocks less often
  // than this gets the margin scaled down in proportion (none when nothing
  // blocks), as nothing was validated there.
  double min_events_per_cpu_second = 0;
  int validation_rows = 0;
  int order = 1;                   // k: the margin leaves out the k - 1 largest misses at each end
  const char* source = "";         // where the figures come from, for the words
  double NominalCoverage() const;  // (n + 1 - 2k) / (n + 1)
};

// The margin the verdict uses (one owner: this file's .cc).
const ModelErrorMargin& ValidatedModelError();

// The margin for a target with `events` blocking events in `cpu_seconds` of
// CPU, as shares of that CPU: {below (<= 0), above (>= 0)}.
struct ShareMargin {
  double below = 0;
  double above = 0;
  bool Widens() const { return below < 0 || above > 0; }
};
ShareMargin ModelErrorShares(const ModelErrorMargin& margin, uint64_t events, double cpu_seconds);

}  // namespace iotax
