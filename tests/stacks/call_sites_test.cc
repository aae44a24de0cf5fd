#include "call_sites.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace iotax::stacks {
namespace {

NamedStack Blocked(std::string thread, std::vector<std::string> user, std::string call, uint64_t blocks, uint64_t ns) {
  NamedStack s;
  s.thread = std::move(thread);
  s.user = std::move(user);
  s.call = std::move(call);
  s.count = blocks;
  s.offcpu_ns = ns;
  s.root_in_library = true;
  return s;
}

TEST(CallSites, FoldOffCpuWeighsByMicrosecondsAndMarksKernelFrames) {
  NamedStack s = Blocked("worker-1", {"start", "serve", "__read"}, "read (socket)", 10, 5'000'000);
  s.kernel = {"do_syscall_64", "schedule"};
  const FoldedStacks f = FoldOffCpu({s});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.begin()->first, "worker-1;start;serve;__read;read (socket);do_syscall_64_[k];schedule_[k]");
  EXPECT_EQ(f.begin()->second, 5000u);
  NamedStack missing = s;
  missing.user.clear();
  missing.user_missing = true;
  const FoldedStacks on = FoldOnCpu({missing}, 100);  // 10 samples at 100 Hz: 100 ms
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on.begin()->first, "worker-1;[no user stack];do_syscall_64_[k];schedule_[k]");
  EXPECT_EQ(on.begin()->second, 100'000u);
}

TEST(CallSites, GroupedByCallSiteAndPoolMostOffCpuTimeFirst) {
  NamedStack a = Blocked("worker-1", {"start", "serve", "__read"}, "read (socket)", 100, 9'000);
  a.site = "serve";
  NamedStack b = Blocked("worker-2", {"start", "other;path", "serve", "__read"}, "read (socket)", 50, 3'000);
  b.site = "serve";
  NamedStack c = Blocked("flusher", {"start", "flush"}, "fsync (file)", 2, 20'000);
  NamedStack d = Blocked("worker-3", {"start", "[unknown]"}, "", 1, 1);
  const std::vector<CallSite> sites = TopCallSites({a, b, c, d}, 10);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].call, "fsync (file)");
  EXPECT_EQ(sites[0].caller, "flush");  // no site given: the innermost named frame
  EXPECT_EQ(sites[1].call, "read (socket)");
  EXPECT_EQ(sites[1].caller, "serve");
  EXPECT_EQ(sites[1].thread, "worker");
  EXPECT_EQ(sites[1].blocks, 150u);
  EXPECT_EQ(sites[1].offcpu_ns, 12'000u);
  EXPECT_EQ(sites[2].call, "(not in a syscall)");
  EXPECT_EQ(sites[2].caller, "start");
  EXPECT_EQ(TopCallSites({a, b, c, d}, 1).size(), 1u);
  const std::string table = FormatCallSites(sites);
  EXPECT_TRUE(absl::StrContains(table, "read (socket)")) << table;
  EXPECT_TRUE(absl::StrContains(table, "serve (worker)")) << table;
  EXPECT_EQ(FormatCallSites({}), "  (no thread blocked)\n");
}

TEST(CallSites, TruncatedStacksAreCountedAndAdvisedWhenMost) {
  NamedStack whole = Blocked("t", {"start_thread", "serve", "read"}, "read (socket)", 1, 1);
  whole.root_in_library = false;
  NamedStack in_library = Blocked("t", {"execute_native_thread_routine", "serve", "read"}, "read", 1, 1);
  NamedStack cut = Blocked("t", {"serve", "read"}, "read", 1, 1);
  cut.root_in_library = false;
  NamedStack missing = Blocked("t", {}, "read", 1, 1);
  missing.user_missing = true;
  const Truncation t = CountTruncated({whole, in_library, cut, missing});
  EXPECT_EQ(t.stacks, 4u);
  EXPECT_EQ(t.truncated, 1u);
  EXPECT_EQ(t.missing, 1u);
  EXPECT_EQ(TruncationAdvice(t), "");
  const std::string advice = TruncationAdvice(CountTruncated({cut, cut, whole}));
  EXPECT_TRUE(absl::StrContains(advice, "2 of 3 stacks")) << advice;
  EXPECT_TRUE(absl::StrContains(advice, "-fno-omit-frame-pointer")) << advice;
}

}  // namespace
}  // namespace iotax::stacks
