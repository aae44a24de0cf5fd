#include "stack_transforms.h"

#include <gtest/gtest.h>

namespace iotax::stacks {
namespace {

TEST(PoolName, DropsTheTrailingNumberAndItsSeparator) {
  EXPECT_EQ(PoolName("worker-12"), "worker");
  EXPECT_EQ(PoolName("reactor-3"), "reactor");
  EXPECT_EQ(PoolName("reactor_3"), "reactor");
  EXPECT_EQ(PoolName("pool-1-thread-7"), "pool-1-thread");
  EXPECT_EQ(PoolName("kworker/0:1"), "kworker/0");
  EXPECT_EQ(PoolName("http2"), "http");
  EXPECT_EQ(PoolName("nginx"), "nginx");  // no number: kept
  EXPECT_EQ(PoolName("1234"), "1234");    // only a number: kept
  EXPECT_EQ(PoolName(""), "");
}

TEST(MergeThreadPools, MergesThreadsOfOnePoolAndKeepsEverySample) {
  const FoldedStacks in = {{"worker-1;main;read", 10}, {"worker-2;main;read", 5}, {"worker-2;main;write", 2},
                           {"acceptor;main;accept", 1}};
  const FoldedStacks out = MergeThreadPools(in);
  EXPECT_EQ(out, (FoldedStacks{{"worker;main;read", 15}, {"worker;main;write", 2}, {"acceptor;main;accept", 1}}));
  EXPECT_EQ(TotalCount(out), TotalCount(in));
}

// Async towers as the messenger study shows them: the same continuation
// frames repeated at every level of a future chain.
FoldedStacks AsyncTowers() {
  return {
      {"reactor-0;run;poll;then;invoke;then;invoke;then;invoke;handle", 40},
      {"reactor-1;run;poll;then;invoke;handle", 25},
      {"reactor-1;run;poll;then;invoke;then;invoke;send", 9},
      {"reactor-0;run;run;poll", 6},
      {"main;start", 1},
  };
}

TEST(Coalesce, KeepsFramesInOrderOfFirstOccurrence) {
  EXPECT_EQ(CoalesceFrames({"run", "poll", "then", "invoke", "then", "invoke", "handle"}),
            (std::vector<std::string>{"run", "poll", "then", "invoke", "handle"}));
  EXPECT_EQ(CoalesceFrames({"a", "b", "a", "c", "b"}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(CoalesceFrames({}).empty());
}

TEST(Coalesce, KeepsEverySampleAndMergesTowersThatBecomeEqual) {
  const FoldedStacks in = MergeThreadPools(AsyncTowers());
  const FoldedStacks out = Coalesce(in);
  EXPECT_EQ(TotalCount(out), TotalCount(in));
  // The 40-deep and 25-shallow towers end in the same handler: one stack now.
  EXPECT_EQ(out.at("reactor;run;poll;then;invoke;handle"), 65u);
  EXPECT_EQ(out.at("reactor;run;poll;then;invoke;send"), 9u);
  EXPECT_EQ(out.at("reactor;run;poll"), 6u);
  EXPECT_EQ(out.at("main;start"), 1u);
  EXPECT_EQ(out.size(), 4u);
}

TEST(Coalesce, IsIdempotent) {
  const FoldedStacks once = Coalesce(AsyncTowers());
  EXPECT_EQ(Coalesce(once), once);
  const FoldedStacks merged_once = Coalesce(MergeThreadPools(AsyncTowers()));
  EXPECT_EQ(Coalesce(merged_once), merged_once);
  EXPECT_EQ(MergeThreadPools(merged_once), merged_once);
}

}  // namespace
}  // namespace iotax::stacks
