#include "system_counters.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace iotax::client {
namespace {

TEST(SystemCounters, ParsesProcStat) {
  const char* text =
      "cpu  100 5 50 1000 20 3 7 2 0 0\n"
      "cpu0 50 2 25 500 10 1 3 1 0 0\n"
      "cpu1 50 3 25 500 10 2 4 1 0 0\n"
      "intr 12345\nctxt 999\n";
  auto m = ParseProcStat(text);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->busy_ticks, 100u + 5 + 50 + 3 + 7 + 2);  // user nice system irq softirq steal
  EXPECT_EQ(m->total_ticks, m->busy_ticks + 1000 + 20);
  EXPECT_EQ(m->cores, 2);
}

TEST(SystemCounters, RejectsBrokenProcStat) {
  EXPECT_FALSE(ParseProcStat("cpu0 1 2 3 4 5 6 7 8\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu  1 2 3\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu  1 2 x 4 5 6 7 8\n").ok());
}

TEST(SystemCounters, ParsesNetstatListenCounters) {
  const char* text =
      "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPHPHits\n"
      "TcpExt: 0 0 17 23 99\n"
      "IpExt: InNoRoutes InTruncatedPkts\n"
      "IpExt: 0 0\n";
  auto c = ParseNetstat(text);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->overflows, 17u);
  EXPECT_EQ(c->drops, 23u);
}

TEST(SystemCounters, NetstatWithoutTheCountersIsAnError) {
  EXPECT_FALSE(ParseNetstat("IpExt: A B\nIpExt: 1 2\n").ok());
  EXPECT_FALSE(ParseNetstat("TcpExt: A B\nTcpExt: 1 2\n").ok());
  EXPECT_FALSE(ParseNetstat("TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n").ok());
}

TEST(SystemCounters, ParsesSchedstatWait) {
  auto wait = ParseSchedstatWaitNs("2225000000 455400000 43371\n");
  ASSERT_TRUE(wait.ok()) << wait.status();
  EXPECT_EQ(*wait, 455400000u);
  EXPECT_FALSE(ParseSchedstatWaitNs("").ok());
  EXPECT_FALSE(ParseSchedstatWaitNs("1 2\n").ok());
  EXPECT_FALSE(ParseSchedstatWaitNs("1 x 3\n").ok());
}

TEST(SystemCounters, RunqueueWaitSumsTheThreadsOfAFakeProc) {
  char tmpl[] = "/tmp/iotax-schedstat-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path root = tmpl;
  auto write = [&](const std::string& tid, const std::string& text) {
    std::filesystem::create_directories(root / "self/task" / tid);
    std::ofstream(root / "self/task" / tid / "schedstat") << text;
  };
  EXPECT_FALSE(ReadOwnRunqueueWait(root.string()).ok());  // no task directory
  write("100", "5000 1500000000 7\n");
  write("101", "5000 250000000 3\n");
  auto wait = ReadOwnRunqueueWait(root.string());
  ASSERT_TRUE(wait.ok()) << wait.status();
  EXPECT_DOUBLE_EQ(*wait, 1.75);
  write("102", "garbage\n");
  EXPECT_FALSE(ReadOwnRunqueueWait(root.string()).ok());
  std::filesystem::remove_all(root);
}

TEST(SystemCounters, LiveCountersAreReadable) {
  auto listen = ReadListenCounters();
  ASSERT_TRUE(listen.ok()) << listen.status();
  auto machine = ReadMachineCpu();
  ASSERT_TRUE(machine.ok()) << machine.status();
  EXPECT_GT(machine->cores, 0);
  EXPECT_GT(machine->total_ticks, machine->busy_ticks);
  // Burn a little CPU: the process's own user time must move.
  const ProcessCpu before = ReadOwnCpu();
  volatile uint64_t x = 0;
  while (ReadOwnCpu().user_s - before.user_s < 0.02) x = x + 1;
  EXPECT_GT(ReadOwnCpu().user_s, before.user_s);
}

}  // namespace
}  // namespace iotax::client
