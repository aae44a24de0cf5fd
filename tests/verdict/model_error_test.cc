// The verdict's model-error margin is what the committed validation runs
// measured, not a number picked by hand: recomputed here from the CSV, whose
// rows are checked against the runs they were taken from.
#include "model_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace iotax {
namespace {

// The lines of a file of the source tree (`relative` to its top).
std::vector<std::string> SourceLines(const std::string& relative) {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in) << relative;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ModelError, TheMarginIsTheKthLeastAndMostOfTheValidationRunsErrors) {
  const ModelErrorMargin& m = ValidatedModelError();
  const std::vector<std::string> lines = SourceLines(m.source);
  ASSERT_FALSE(lines.empty()) << m.source;
  const std::vector<std::string> header = absl::StrSplit(lines.front(), ',');
  const auto at = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name << " not in " << lines.front();
    return static_cast<size_t>(it - header.begin());
  };
  const size_t actual_at = at("actual_saving_share"), estimate_at = at("estimated_saving_share"),
               cpu_at = at("blocking_cpu_us"), events_at = at("events_per_request");
  std::vector<double> missed, rates;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::vector<std::string> cells = absl::StrSplit(line, ',');
    ASSERT_EQ(cells.size(), header.size()) << line;
    double actual = 0, estimate = 0, cpu_us = 0, events = 0;
    ASSERT_TRUE(absl::SimpleAtod(cells[actual_at], &actual)) << line;
    ASSERT_TRUE(absl::SimpleAtod(cells[estimate_at], &estimate)) << line;
    ASSERT_TRUE(absl::SimpleAtod(cells[cpu_at], &cpu_us)) << line;
    ASSERT_TRUE(absl::SimpleAtod(cells[events_at], &events)) << line;
    missed.push_back(actual - estimate);
    if (events > 0) rates.push_back(events / (cpu_us * 1e-6));
  }
  ASSERT_GE(missed.size(), 10u);
  ASSERT_FALSE(rates.empty());
  EXPECT_EQ(m.validation_rows, static_cast<int>(missed.size()));
  ASSERT_GE(m.order, 1);
  ASSERT_LE(2 * m.order, static_cast<int>(missed.size()));
  std::sort(missed.begin(), missed.end());
  const size_t k = static_cast<size_t>(m.order);
  EXPECT_NEAR(m.below, std::min(0.0, missed[k - 1]), 0.00005);
  EXPECT_NEAR(m.above, std::max(0.0, missed[missed.size() - k]), 0.00005);
  EXPECT_NEAR(m.min_events_per_cpu_second, *std::min_element(rates.begin(), rates.end()),
              0.001 * m.min_events_per_cpu_second);
  EXPECT_NEAR(m.NominalCoverage(), (missed.size() + 1.0 - 2.0 * k) / (missed.size() + 1.0), 1e-12);
  // At least 80% nominal: what issue 14 asks of the measured coverage.
  EXPECT_GE(m.NominalCoverage(), 0.8);
}

// validation-2.csv is the model's current rows of earlier runs, copied as they
// were (model-error.md §9): the tpc and vec rows of kernel-half-proof.csv and
// kernel-half-1000.csv, then every row of handoff-sleeps-proof.csv.
TEST(ModelError, TheValidationRowsAreTheEarlierRunsRowsAsTheyWere) {
  const std::string dir = "docs/experiments/model-error/";
  const std::vector<std::string> v2 = SourceLines(dir + "validation-2.csv");
  ASSERT_FALSE(v2.empty());
  std::vector<std::string> expected = {v2.front()};
  const auto take = [&](const char* file, std::vector<std::string> designs) {
    const std::vector<std::string> lines = SourceLines(dir + file);
    ASSERT_FALSE(lines.empty()) << file;
    EXPECT_EQ(lines.front(), v2.front()) << file << ": same columns";
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string design = lines[i].substr(0, lines[i].find(','));
      if (std::find(designs.begin(), designs.end(), design) != designs.end()) expected.push_back(lines[i]);
    }
  };
  take("kernel-half-proof.csv", {"tpc", "vec"});
  take("kernel-half-1000.csv", {"tpc", "vec"});
  take("handoff-sleeps-proof.csv", {"pool"});
  EXPECT_EQ(v2, expected);
}

TEST(ModelError, TheMarginAppliesInFullWhereValidatedAndFadesBelow) {
  const ModelErrorMargin m{.below = -0.1, .above = 0.3, .min_events_per_cpu_second = 5000, .validation_rows = 9};
  const ModelErrorMargin trimmed{.validation_rows = 9, .order = 2};
  const ShareMargin none = ModelErrorShares(m, 0, 1.0);
  EXPECT_EQ(none.below, 0);
  EXPECT_EQ(none.above, 0);
  // At or above the validation's least-blocking rate: the whole margin.
  const ShareMargin full = ModelErrorShares(m, 20000, 2.0);
  EXPECT_DOUBLE_EQ(full.below, -0.1);
  EXPECT_DOUBLE_EQ(full.above, 0.3);
  // 500 events per CPU second is a tenth of it: a tenth of the margin.
  const ShareMargin rare = ModelErrorShares(m, 1000, 2.0);
  EXPECT_NEAR(rare.below, -0.01, 1e-12);
  EXPECT_NEAR(rare.above, 0.03, 1e-12);
  EXPECT_NEAR(m.NominalCoverage(), 0.8, 1e-12);
  EXPECT_NEAR(trimmed.NominalCoverage(), 0.6, 1e-12) << "(9 + 1 - 4) / 10";
}

}  // namespace
}  // namespace iotax
