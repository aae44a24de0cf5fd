// Proves the BPF toolchain end to end: the skeleton built by clang + bpftool
// opens, loads and attaches, and its tp_btf program counts our syscalls.
#include <unistd.h>

#include "require.h"
#include "smoke.h"
#include "smoke.skel.h"

namespace {

TEST(BpfSmoke, SkeletonLoadsAttachesAndCountsSyscalls) {
  IOTAX_REQUIRE_BPF();
  smoke* skel = smoke::open();
  ASSERT_NE(skel, nullptr) << "smoke::open failed: " << strerror(errno);
  skel->rodata->target_tgid = static_cast<__u32>(getpid());
  ASSERT_EQ(smoke::load(skel), 0) << "load failed";
  ASSERT_EQ(smoke::attach(skel), 0) << "attach failed";

  constexpr int kCalls = 1000;
  for (int i = 0; i < kCalls; ++i) (void)getppid();

  __u32 key = 0;
  smoke_counts counts{};
  ASSERT_EQ(bpf_map__lookup_elem(skel->maps.counts, &key, sizeof(key), &counts, sizeof(counts), 0), 0);
  smoke::destroy(skel);
  // Every getppid is counted; the few extra are the test's own syscalls.
  EXPECT_GE(counts.sys_enter, static_cast<__u64>(kCalls));
  EXPECT_LT(counts.sys_enter, static_cast<__u64>(kCalls + 200));
}

}  // namespace
