// results.json: the config (its canonical text and hash), the machine, every
// finished run, and the aggregated tables. Rewritten atomically (temporary
// file + rename) after every run, so an interrupted bench loses at most the
// run in progress; a resumed bench skips the runs already there, after
// checking that the config is the same one (same hash).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_config.h"
#include "nlohmann/json.hpp"
#include "run_record.h"

namespace iotax::bench {

class ResultsStore {
 public:
  static constexpr char kFileName[] = "results.json";

  // A new results file in `dir` (created if missing). Refuses a directory
  // that already holds results unless `force` (which moves them aside).
  static absl::StatusOr<ResultsStore> Create(const std::string& dir, const BenchConfig& config,
                                             const nlohmann::json& machine, bool force);
  // The results in `dir`, to continue them with `config`. A config whose hash
  // differs from the stored one is refused with both hashes, unless `force`,
  // which starts over (the old file is moved aside).
  static absl::StatusOr<ResultsStore> Resume(const std::string& dir, const BenchConfig& config,
                                             const nlohmann::json& machine, bool force);
  // The config text stored in `dir`'s results, for --resume without --config.
  static absl::StatusOr<std::string> StoredConfigText(const std::string& dir);

  // The finished (ok) run with this key, or nullptr.
  const RunRecord* Find(const std::string& key) const;
  const std::vector<RunRecord>& runs() const { return runs_; }
  // Adds or replaces the run with the same key and rewrites the file.
  absl::Status Add(RunRecord run);
  // Sets what is written next to the runs (aggregates, proof, notes) and rewrites the file.
  absl::Status SetSummary(nlohmann::json summary, bool complete);
  nlohmann::json& extra() { return extra_; }  // e.g. the calibration used
  absl::Status Save() const;

  const std::string& dir() const { return dir_; }
  const std::string& started_at() const { return started_at_; }
  const nlohmann::json& machine() const { return machine_; }
  const std::string& config_hash() const { return config_hash_; }

 private:
  std::string dir_;
  std::string config_hash_, config_text_;
  nlohmann::json machine_;
  std::string started_at_;
  std::vector<RunRecord> runs_;
  std::map<std::string, size_t> index_;
  nlohmann::json summary_;
  nlohmann::json extra_ = nlohmann::json::object();
  bool complete_ = false;
};

// Writes `content` to `path` through a temporary file and a rename.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);
// Now as RFC 3339 UTC.
std::string NowRfc3339();

}  // namespace iotax::bench
