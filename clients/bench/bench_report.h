// What a reader looks at: results.csv (one row per point), runs.csv (every
// run), proof.csv, the plots (gnuplot scripts and their SVGs under plots/)
// and report.md, which shows the plots and the tables: headline figures per
// model, prediction vs actual with the median and worst error and why the
// poor predictions miss, the agent's own overhead, and every point.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench_aggregate.h"
#include "bench_config.h"
#include "nlohmann/json.hpp"
#include "proof_analysis.h"
#include "run_record.h"

namespace iotax::bench {

struct ReportInput {
  std::string out_dir;
  const BenchConfig* config = nullptr;
  nlohmann::json machine;
  std::string command;  // how to reproduce
  std::string started_at, updated_at;
  int runs_total = 0, runs_done = 0;
  double load_average_end = 0;
  double elapsed_s = 0;        // wall time of this invocation
  nlohmann::json calibration;  // what the agent used (from the store's extra)
  std::vector<RunRecord> runs;
  std::vector<PointSummary> points;
  ProofSummary proof;
};

// CSV quoting: fields with a comma, quote or newline are quoted.
std::string CsvField(const std::string& s);
std::string PointsCsv(const std::vector<PointSummary>& points);
std::string RunsCsv(const std::vector<RunRecord>& runs);
std::string ProofCsv(const ProofSummary& proof);

// Writes the gnuplot data and scripts under out_dir/plots and renders them
// (gnuplot -> SVG). Returns the SVG file names (relative to out_dir) that
// exist afterwards; `note` says what went wrong (gnuplot missing...).
std::vector<std::string> WritePlots(const ReportInput& in, std::string* note);

std::string MarkdownReport(const ReportInput& in, const std::vector<std::string>& plots, const std::string& plot_note);

// All of the above into out_dir; returns the first error writing a file.
absl::Status WriteReport(const ReportInput& in);

}  // namespace iotax::bench
