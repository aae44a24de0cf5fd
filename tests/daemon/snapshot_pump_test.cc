// iotaxd's one reader: every consumer gets the same snapshot, each at its own
// multiple of the period, and a scrape sees the latest without a read.
#include "snapshot_pump.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace iotax {
namespace {

TEST(SnapshotPump, OneReadFeedsEveryConsumerAtItsOwnStep) {
  int reads = 0;
  SnapshotPump pump(
      [&] {
        DaemonView v;
        v.snapshot.monotonic_ns = static_cast<uint64_t>(++reads);
        return v;
      },
      absl::Milliseconds(100));
  std::vector<uint64_t> every_window, every_second;
  pump.AddConsumer(absl::Milliseconds(100), [&](const AgentSnapshot& s, absl::Time) { every_window.push_back(s.monotonic_ns); });
  pump.AddConsumer(absl::Seconds(1), [&](const AgentSnapshot& s, absl::Time) { every_second.push_back(s.monotonic_ns); });
  EXPECT_EQ(pump.Latest(), nullptr);
  for (int i = 0; i < 21; ++i) pump.PumpOnce();
  EXPECT_EQ(reads, 21) << "one read per period, whatever the number of consumers";
  EXPECT_EQ(every_window.size(), 21u);
  EXPECT_EQ(every_second, (std::vector<uint64_t>{1, 11, 21}));
  ASSERT_NE(pump.Latest(), nullptr);
  EXPECT_EQ(pump.Latest()->snapshot.monotonic_ns, 21u);
  EXPECT_EQ(reads, 21) << "Latest does not read";
}

TEST(SnapshotPump, StartsAndStopsItsThread) {
  std::atomic<int> reads{0};
  SnapshotPump pump(
      [&] {
        ++reads;
        return DaemonView{};
      },
      absl::Milliseconds(10));
  pump.Start();
  pump.Start();  // idempotent
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pump.Stop();
  const int after_stop = reads.load();
  EXPECT_GE(after_stop, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_EQ(reads.load(), after_stop) << "read after Stop";
}

}  // namespace
}  // namespace iotax
