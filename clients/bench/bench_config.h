// The experiment matrix as a small text file: `key = value[, value...]`
// lines, `#` comments, every key optional with a documented default (see
// kBenchConfigHelp). Parsing and validation are one step so every error can
// name the file, the line and the fix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace iotax::bench {

// Where server and client run, scaled to the machine's online CPUs (n):
// separate = server on the first half [0, n/2), client on the second half;
// shared   = server and client both on the first half.
// The server gets the same CPUs in both, so only the client's place changes.
enum class Placement { kSeparate, kShared };
const char* PlacementName(Placement p);

// What the agent (iotaxd) is attached to: nothing, the proof's runs, or an
// extra attached run of every open-loop point too.
enum class AgentMode { kOff, kProof, kAll };
const char* AgentModeName(AgentMode m);

// Which async cost the agent uses: `none` (estimated from the target's own
// calls), `machine` (this machine's `iotax calibrate` cache), `run` (the bench
// runs `iotax calibrate` into its output directory first), or a file path.
struct CalibrationChoice {
  enum Kind { kNone, kMachine, kRun, kPath } kind = kNone;
  std::string path;  // kPath
  std::string ToString() const;
};

struct BenchConfig {
  std::vector<std::string> servers = {"blocking", "epoll", "uring"};
  std::vector<std::string> clients = {"uring"};
  std::vector<int> conns = {10, 100};
  std::vector<size_t> sizes = {512};
  bool closed_loop = true;                                 // `closed` in loads
  std::vector<double> open_fractions = {0.25, 0.5, 0.75};  // of each model's saturation
  std::vector<int64_t> work_ns = {0};
  std::vector<int64_t> work_bytes = {0};
  std::vector<Placement> placements = {Placement::kSeparate, Placement::kShared};
  std::optional<double> proof_load = 0.5;  // of the blocking server's saturation; nullopt: no proof
  int repeats = 3;
  absl::Duration warmup = absl::Milliseconds(500);
  absl::Duration duration = absl::Seconds(2);
  absl::Duration unloaded_duration = absl::Seconds(1);
  int saturation_depth = 1;
  AgentMode agent = AgentMode::kProof;
  absl::Duration agent_duration = absl::Seconds(4);
  CalibrationChoice calibration;
  std::string calibrate_rates = "5000,20000";  // for calibration = run
  absl::Duration max_schedule_lag = absl::Milliseconds(2);
  uint64_t seed = 1;

  // One `key = value` line per setting, in a fixed order: what the run used,
  // and what its hash covers.
  std::string Canonical() const;
  // FNV-1a of Canonical(), 16 hex digits.
  std::string Hash() const;
};

// What every key means and its default, for --help and the docs.
extern const char kBenchConfigHelp[];

// `source` names the text in errors ("quick.conf:7: ...").
absl::StatusOr<BenchConfig> ParseBenchConfig(absl::string_view text, absl::string_view source);
absl::StatusOr<BenchConfig> LoadBenchConfig(const std::string& path);

}  // namespace iotax::bench
