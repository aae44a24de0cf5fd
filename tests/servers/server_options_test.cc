#include "server_options.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "process_limits.h"

namespace iotax::echo {
namespace {

TEST(ServerOptions, DefaultsAreValid) {
  auto o = ValidateServerOptions(RawServerFlags{});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->model, Model::kEpoll);
  EXPECT_EQ(o->port, 0);
  EXPECT_EQ(o->threads, sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_TRUE(o->cpus.empty());
  EXPECT_EQ(o->backlog, 4096);
}

TEST(ServerOptions, ParsesEveryModel) {
  for (const char* name : {"blocking", "epoll", "uring"}) {
    auto m = ParseModel(name);
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_STREQ(ModelName(*m), name);
  }
  auto bad = ParseModel("Epoll");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown --model 'Epoll': use blocking, epoll or uring");
}

TEST(ServerOptions, ThreadsDefaultToTheCpuList) {
  RawServerFlags raw;
  raw.model = "uring";
  raw.cpus = "0";
  auto o = ValidateServerOptions(raw);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->threads, 1);
  EXPECT_EQ(o->cpus, std::vector<int>{0});
  raw.threads = 3;  // explicit wins
  o = ValidateServerOptions(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->threads, 3);
}

TEST(ServerOptions, BlockingTakesNoThreadCount) {
  RawServerFlags raw;
  raw.model = "blocking";
  auto o = ValidateServerOptions(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->threads, 0);
  raw.threads = 2;
  o = ValidateServerOptions(raw);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--threads does not apply to --model=blocking"), std::string::npos);
}

TEST(ServerOptions, RejectsOutOfRangeValuesNamingTheFlag) {
  struct Case {
    void (*set)(RawServerFlags&);
    const char* message;
  };
  const Case cases[] = {
      {[](RawServerFlags& r) { r.port = -1; }, "--port=-1 is out of range: use 0 to 65535"},
      {[](RawServerFlags& r) { r.port = 65536; }, "--port=65536 is out of range"},
      {[](RawServerFlags& r) { r.threads = kMaxThreads + 1; }, "--threads=1025 is out of range"},
      {[](RawServerFlags& r) { r.work_ns = -1; }, "--work-ns=-1 is out of range"},
      {[](RawServerFlags& r) { r.work_bytes = kMaxWorkBytes + 1; }, "--work-bytes="},
      {[](RawServerFlags& r) { r.backlog = 0; }, "--backlog=0 is out of range"},
      {[](RawServerFlags& r) { r.cpus = "1-0"; }, "--cpus: reversed CPU range"},
      {[](RawServerFlags& r) { r.cpus = "x"; }, "--cpus: bad CPU list item 'x'"},
      {[](RawServerFlags& r) { r.host = ""; }, "--host is empty"},
  };
  for (const Case& c : cases) {
    RawServerFlags raw;
    c.set(raw);
    auto o = ValidateServerOptions(raw);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_NE(o.status().message().find(c.message), std::string::npos) << o.status().message();
  }
}

TEST(ServerOptions, KeepsWorkSettings) {
  RawServerFlags raw;
  raw.work_ns = 1500;
  raw.work_bytes = 1 << 20;
  raw.papi = true;
  raw.uring_multishot = false;
  auto o = ValidateServerOptions(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->work_ns, 1500);
  EXPECT_EQ(o->work_bytes, size_t{1} << 20);
  EXPECT_TRUE(o->papi);
  EXPECT_FALSE(o->uring_multishot);
}

TEST(BacklogWarning, WarnsOnlyWhenSomaxconnCapsTheBacklog) {
  char path[] = "/tmp/iotax_somaxconn_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "128\n";
  EXPECT_EQ(BacklogWarning(100, path), "");
  std::string w = BacklogWarning(4096, path);
  EXPECT_NE(w.find("capped by net.core.somaxconn=128"), std::string::npos) << w;
  EXPECT_NE(w.find("sysctl -w net.core.somaxconn=4096"), std::string::npos) << w;
  std::remove(path);
  EXPECT_EQ(BacklogWarning(4096, "/nonexistent/somaxconn"), "");
}

TEST(RaiseFileLimit, ReachesTheHardLimit) {
  auto soft = RaiseFileLimit();
  ASSERT_TRUE(soft.ok()) << soft.status();
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  EXPECT_EQ(static_cast<rlim_t>(*soft), lim.rlim_max);
  EXPECT_EQ(lim.rlim_cur, lim.rlim_max);
}

}  // namespace
}  // namespace iotax::echo
