#include "poisson_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace iotax::client {
namespace {

std::vector<double> Gaps(double rate, uint64_t seed, int n) {
  PoissonSchedule s(rate, seed);
  std::vector<double> gaps;
  int64_t last = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t t = s.Next();
    gaps.push_back(static_cast<double>(t - last));
    last = t;
  }
  return gaps;
}

TEST(PoissonSchedule, MeanRateMatches) {
  const double rate = 10000;  // mean gap 100 us
  const int n = 200000;
  PoissonSchedule s(rate, 12345);
  int64_t last = 0;
  for (int i = 0; i < n; ++i) last = s.Next();
  const double achieved = n / (static_cast<double>(last) / 1e9);
  EXPECT_NEAR(achieved / rate, 1.0, 0.02);
}

TEST(PoissonSchedule, GapsAreExponential) {
  const double rate = 50000;
  const double mean = 1e9 / rate;
  const std::vector<double> gaps = Gaps(rate, 99, 200000);
  auto fraction_above = [&](double x) {
    int above = 0;
    for (double g : gaps) above += g > x;
    return static_cast<double>(above) / static_cast<double>(gaps.size());
  };
  // P(gap > x) = exp(-x / mean) for an exponential distribution.
  EXPECT_NEAR(fraction_above(mean), std::exp(-1.0), 0.01);
  EXPECT_NEAR(fraction_above(2 * mean), std::exp(-2.0), 0.01);
  EXPECT_NEAR(fraction_above(0.1 * mean), std::exp(-0.1), 0.01);
  // Coefficient of variation is 1 (a fixed-interval schedule would give 0).
  double sum = 0, sq = 0;
  for (double g : gaps) {
    sum += g;
    sq += g * g;
  }
  const double m = sum / gaps.size();
  const double sd = std::sqrt(sq / gaps.size() - m * m);
  EXPECT_NEAR(sd / m, 1.0, 0.03);
}

TEST(PoissonSchedule, SameSeedSameTimesAndCopiesReplay) {
  PoissonSchedule a(1000, 7), b(1000, 7), c(1000, 8);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const int64_t ta = a.Next();
    EXPECT_EQ(ta, b.Next());
    differs |= ta != c.Next();
  }
  EXPECT_TRUE(differs) << "a different seed must give different times";
  PoissonSchedule copy = a;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(copy.Next(), a.Next());
}

TEST(PoissonSchedule, TimesStrictlyIncreaseEvenAtExtremeRates) {
  PoissonSchedule s(1e8, 3);  // mean gap 10 ns: rounding could repeat a time
  int64_t last = -1;
  for (int i = 0; i < 100000; ++i) {
    const int64_t t = s.Next();
    ASSERT_GT(t, last);
    last = t;
  }
}

TEST(PoissonSchedule, ConnectionSeedsDiffer) {
  EXPECT_NE(PoissonSchedule::ConnectionSeed(1, 0), PoissonSchedule::ConnectionSeed(1, 1));
  EXPECT_NE(PoissonSchedule::ConnectionSeed(1, 0), PoissonSchedule::ConnectionSeed(2, 0));
  EXPECT_EQ(PoissonSchedule::ConnectionSeed(5, 9), PoissonSchedule::ConnectionSeed(5, 9));
}

}  // namespace
}  // namespace iotax::client
