// iotax-bench --stacks: the proof's attached runs take stacks (iotaxd
// --stacks), and for each setup the blocking and io_uring servers' profiles
// are compared with `iotax diff`. The bench depends on no daemon/ code: it
// reads iotaxd's folded text from /api/stacks and runs the `iotax` program.
//
// Files, under OUT/stacks/:
//   runs/<run>/{offcpu,oncpu}.folded        one attached proof run's measured window
//   <setup id>/{blocking,uring}.{offcpu,oncpu}.folded   its repeats added up
//   <setup id>/{offcpu,oncpu}-diff.{txt,svg}            iotax diff blocking -> uring, per request
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent_session.h"
#include "bench_config.h"
#include "bench_matrix.h"
#include "run_record.h"

namespace iotax::bench {

// `later` minus `earlier`, stack by stack ("frames... COUNT" lines); stacks
// whose count did not grow are left out. Lines that are not folded stacks are ignored.
std::string SubtractFolded(const std::string& later, const std::string& earlier);
// The stacks of both, counts added.
std::string AddFolded(const std::string& a, const std::string& b);

// OUT/stacks/runs/<run>: where a run's window profiles are written.
std::string RunStacksDir(const std::string& out_dir, const std::string& run_key);
absl::Status WriteRunStacks(const std::string& dir, const FoldedProfiles& window);

// For each setup of the config with attached proof runs of both the blocking
// and the io_uring server (and their stacks on disk): adds up each server's
// repeats and writes the two diffs with `iotax diff` (bin_dir/iotax),
// per request. Returns one line per setup saying what was written (or why not).
std::vector<std::string> WriteStackDiffs(const std::vector<RunRecord>& runs, const BenchConfig& config,
                                         const std::string& out_dir, const std::string& bin_dir);

}  // namespace iotax::bench
