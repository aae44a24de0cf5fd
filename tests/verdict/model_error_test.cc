// The verdict's model-error margin is what the committed validation run
// measured, not a number picked by hand: recomputed here from the CSV.
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

TEST(ModelError, TheMarginIsTheRangeOfTheValidationRunsErrors) {
  const ModelErrorMargin& m = ValidatedModelError();
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/" + m.source);
  ASSERT_TRUE(in) << m.source;
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const std::vector<std::string> header = absl::StrSplit(line, ',');
  const auto at = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name << " not in " << line;
    return static_cast<size_t>(it - header.begin());
  };
  const size_t actual_at = at("actual_saving_share"), estimate_at = at("estimated_saving_share"),
               cpu_at = at("blocking_cpu_us"), events_at = at("events_per_request");
  std::vector<double> missed, rates;
  while (std::getline(in, line)) {
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
  EXPECT_NEAR(m.below, std::min(0.0, *std::min_element(missed.begin(), missed.end())), 0.00005);
  EXPECT_NEAR(m.above, std::max(0.0, *std::max_element(missed.begin(), missed.end())), 0.00005);
  EXPECT_NEAR(m.min_events_per_cpu_second, *std::min_element(rates.begin(), rates.end()),
              0.001 * m.min_events_per_cpu_second);
  EXPECT_NEAR(m.NominalCoverage(), (missed.size() - 1.0) / (missed.size() + 1.0), 1e-12);
}

TEST(ModelError, TheMarginAppliesInFullWhereValidatedAndFadesBelow) {
  const ModelErrorMargin m{.below = -0.1, .above = 0.3, .min_events_per_cpu_second = 5000, .validation_rows = 9};
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
}

}  // namespace
}  // namespace iotax
