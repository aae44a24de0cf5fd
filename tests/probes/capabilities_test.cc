// The capability rules on constructed credentials, and the reading of this
// process's own set.
#include "capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

#include <initializer_list>

namespace iotax::caps {
namespace {

constexpr uid_t kUser = 1000;

Credentials User(std::initializer_list<int> held) {
  Credentials c{kUser, 0};
  for (int cap : held) c.effective |= uint64_t{1} << cap;
  return c;
}

TEST(Capabilities, HasReadsTheBitOfEachCapability) {
  const uint64_t set = User({CAP_SYS_ADMIN, CAP_BPF}).effective;
  EXPECT_TRUE(Has(set, CAP_SYS_ADMIN));
  EXPECT_TRUE(Has(set, CAP_BPF));  // above bit 31: the second capget word
  EXPECT_FALSE(Has(set, CAP_PERFMON));
  EXPECT_FALSE(Has(set, -1));
  EXPECT_FALSE(Has(set, 64));
}

TEST(Capabilities, RootMayTraceWithAnEmptySet) {
  EXPECT_TRUE(MayTrace(Credentials{0, 0}));
  EXPECT_TRUE(MayMonitorPerformance(Credentials{0, 0}));
}

TEST(Capabilities, BpfAndPerfmonTogetherMayTrace) {
  EXPECT_TRUE(MayTrace(User({CAP_BPF, CAP_PERFMON})));
  EXPECT_FALSE(MayTrace(User({CAP_BPF})));
  EXPECT_FALSE(MayTrace(User({CAP_PERFMON})));
}

TEST(Capabilities, SysAdminAloneMayTrace) {
  // Kernels before 5.8 have no CAP_BPF or CAP_PERFMON: CAP_SYS_ADMIN is both.
  EXPECT_TRUE(MayTrace(User({CAP_SYS_ADMIN})));
  EXPECT_TRUE(MayMonitorPerformance(User({CAP_SYS_ADMIN})));
}

TEST(Capabilities, UnrelatedCapabilitiesAllowNothing) {
  const Credentials c = User({CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SETUID, CAP_SETGID, CAP_NET_BIND_SERVICE});
  EXPECT_FALSE(MayTrace(c));
  EXPECT_FALSE(MayMonitorPerformance(c));
  EXPECT_FALSE(MayTrace(User({})));
}

TEST(Capabilities, PerfmonAloneMayMonitorButNotTrace) {
  EXPECT_TRUE(MayMonitorPerformance(User({CAP_PERFMON})));
  EXPECT_FALSE(MayMonitorPerformance(User({CAP_BPF})));
}

TEST(Capabilities, ReadsThisProcessesEffectiveSet) {
  const absl::StatusOr<uint64_t> effective = ReadEffective();
  ASSERT_TRUE(effective.ok()) << effective.status();
  const Credentials now = Current();
  EXPECT_EQ(now.effective, *effective);
  EXPECT_EQ(now.euid, geteuid());
}

}  // namespace
}  // namespace iotax::caps
