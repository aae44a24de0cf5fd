#include "stack_diff.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace iotax::stacks {
namespace {

const FoldedStacks kBlocking = {{"server;serve;read;schedule", 600}, {"server;serve;write", 300}, {"server;serve;parse", 100}};
const FoldedStacks kUring = {{"server;loop;io_uring_enter", 200}, {"server;loop;parse", 100}, {"server;serve;write", 10}};

const FrameChange& Frame(const StackDiff& d, const std::string& name) {
  for (const FrameChange& f : d.frames) {
    if (f.frame == name) return f;
  }
  ADD_FAILURE() << "no frame " << name;
  static FrameChange none;
  return none;
}

TEST(StackDiff, RawCountsPerFrameInclusiveAndSelf) {
  absl::StatusOr<StackDiff> d = DiffStacks(kBlocking, kUring, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->unit, "count");
  EXPECT_DOUBLE_EQ(d->total_before, 1000);
  EXPECT_DOUBLE_EQ(d->total_after, 310);
  EXPECT_DOUBLE_EQ(Frame(*d, "server").before_inclusive, 1000);
  EXPECT_DOUBLE_EQ(Frame(*d, "server").after_inclusive, 310);
  EXPECT_DOUBLE_EQ(Frame(*d, "read").Change(), -600);
  EXPECT_DOUBLE_EQ(Frame(*d, "io_uring_enter").Change(), 200);
  EXPECT_DOUBLE_EQ(Frame(*d, "serve").before_self, 0);
  EXPECT_DOUBLE_EQ(Frame(*d, "parse").before_self, 100);
  EXPECT_DOUBLE_EQ(Frame(*d, "parse").Change(), 0);
  // Largest change first.
  EXPECT_EQ(d->frames.front().frame, "serve");  // 1000 -> 10
  EXPECT_EQ(d->frames[1].frame, "server");      // 1000 -> 310
  // Every stack of either run, with both values.
  EXPECT_EQ(d->stacks.size(), 5u);
  EXPECT_EQ(d->stacks.at("server;serve;write"), (std::pair<double, double>{300, 10}));
  EXPECT_EQ(d->stacks.at("server;loop;parse"), (std::pair<double, double>{0, 100}));
}

TEST(StackDiff, ARecursiveFrameCountsOncePerStack) {
  absl::StatusOr<StackDiff> d = DiffStacks({{"a;b;a;b", 5}}, {}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(Frame(*d, "a").before_inclusive, 5);
  EXPECT_DOUBLE_EQ(Frame(*d, "b").before_self, 5);
}

TEST(StackDiff, PerRequestAndPerTotalScaling) {
  DiffInput per_request{Normalize::kRequests, 100, 31};
  absl::StatusOr<StackDiff> d = DiffStacks(kBlocking, kUring, per_request);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->unit, "per request");
  EXPECT_DOUBLE_EQ(d->total_before, 10);
  EXPECT_DOUBLE_EQ(d->total_after, 10);
  EXPECT_DOUBLE_EQ(Frame(*d, "read").before_inclusive, 6);
  d = DiffStacks(kBlocking, kUring, {Normalize::kTotal, 0, 0});
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(d->total_before, 1e6, 1e-6);
  EXPECT_NEAR(d->total_after, 1e6, 1e-6);
  EXPECT_FALSE(DiffStacks(kBlocking, kUring, {Normalize::kRequests, 100, 0}).ok());
}

TEST(StackDiff, DiffFoldedHasBothValuesPerStack) {
  absl::StatusOr<StackDiff> d = DiffStacks(kBlocking, kUring, {});
  ASSERT_TRUE(d.ok());
  const std::string text = FormatDiffFolded(*d);
  EXPECT_TRUE(absl::StrContains(text, "server;serve;read;schedule 600 0\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "server;loop;io_uring_enter 0 200\n")) << text;
}

TEST(StackDiff, TableShowsTheLargestChangesAndStopsAtUnchanged) {
  absl::StatusOr<StackDiff> d = DiffStacks(kBlocking, kUring, {});
  ASSERT_TRUE(d.ok());
  const std::string table = FormatDiffTable(*d, 3);
  EXPECT_TRUE(absl::StrContains(table, "server\n")) << table;
  EXPECT_TRUE(absl::StrContains(table, "serve\n")) << table;
  EXPECT_FALSE(absl::StrContains(table, "parse")) << table;  // top 3 only, and it did not change
  EXPECT_TRUE(absl::StrContains(table, "-100%")) << table;
  const std::string all = FormatDiffTable(*d, 100);
  EXPECT_TRUE(absl::StrContains(all, "new  ")) << all;  // io_uring_enter appears only after
  EXPECT_FALSE(absl::StrContains(all, " parse\n")) << all;
  absl::StatusOr<StackDiff> same = DiffStacks(kBlocking, kBlocking, {});
  EXPECT_TRUE(absl::StrContains(FormatDiffTable(*same, 10), "(no frame changed)"));
}

}  // namespace
}  // namespace iotax::stacks
