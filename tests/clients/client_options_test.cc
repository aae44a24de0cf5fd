#include "client_options.h"

#include <gtest/gtest.h>

#include <string>

namespace iotax::client {
namespace {

ClientFlags Valid() {
  ClientFlags f;
  f.port = 9000;
  return f;
}

// The validation error for `f`, or "" when it passes.
std::string ErrorOf(const ClientFlags& f) {
  auto o = ValidateClientFlags(f);
  return o.ok() ? std::string() : std::string(o.status().message());
}

TEST(ClientOptions, DefaultsWithAPortAreAClosedLoopUringRun) {
  auto o = ValidateClientFlags(Valid());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->model, ClientModel::kUring);
  EXPECT_EQ(o->mode, LoadMode::kClosedLoop);
  EXPECT_EQ(o->depth, 1);
  EXPECT_EQ(o->msg_size, 512u);
  EXPECT_EQ(o->conns, 10);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_TRUE(o->cpus.empty());
}

TEST(ClientOptions, RateSelectsOpenLoop) {
  ClientFlags f = Valid();
  f.rate = 5000;
  f.model = "blocking";
  auto o = ValidateClientFlags(f);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, LoadMode::kOpenLoop);
  EXPECT_EQ(o->rate, 5000);
  EXPECT_EQ(o->model, ClientModel::kBlocking);
}

TEST(ClientOptions, RealtimeIsOffByDefaultAndPassesThrough) {
  auto o = ValidateClientFlags(Valid());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->realtime);
  ClientFlags f = Valid();
  f.realtime = true;
  f.model = "blocking";
  o = ValidateClientFlags(f);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->realtime);
}

TEST(ClientOptions, BadFlagsGiveErrorsNamingTheFlagAndTheFix) {
  struct Case {
    const char* what;
    void (*change)(ClientFlags&);
    const char* expected;
  };
  const Case cases[] = {
      {"no port", [](ClientFlags& f) { f.port = 0; }, "--port is required"},
      {"port range", [](ClientFlags& f) { f.port = 70000; }, "--port=70000 is out of range"},
      {"model", [](ClientFlags& f) { f.model = "epoll"; }, "unknown --model='epoll': use blocking"},
      {"host", [](ClientFlags& f) { f.host = "localhost"; }, "is not an IPv4 address"},
      {"conns", [](ClientFlags& f) { f.conns = 0; }, "--conns=0 is out of range"},
      {"msg size text", [](ClientFlags& f) { f.msg_size = "big"; }, "--msg-size: 'big' is not a size"},
      {"msg size zero", [](ClientFlags& f) { f.msg_size = "0"; }, "--msg-size=0 is out of range"},
      {"msg size huge", [](ClientFlags& f) { f.msg_size = "65MiB"; }, "--msg-size=65MiB is out of range"},
      {"duration", [](ClientFlags& f) { f.duration = absl::ZeroDuration(); }, "--duration=0 must be positive"},
      {"warmup", [](ClientFlags& f) { f.warmup = absl::Seconds(-1); }, "--warmup=-1s must be between"},
      {"cpus", [](ClientFlags& f) { f.cpus = "1-0"; }, "--cpus: reversed CPU range"},
      {"cpus missing", [](ClientFlags& f) { f.cpus = "4096"; }, "--cpus: CPU 4096 does not exist"},
      {"depth", [](ClientFlags& f) { f.depth = 0; }, "--depth=0 is out of range"},
      {"rate negative", [](ClientFlags& f) { f.rate = -1; }, "--rate=-1 is out of range"},
      {"depth with rate", [](ClientFlags& f) { f.rate = 100; f.depth = 4; }, "--depth applies to the closed loop"},
      {"rings on blocking", [](ClientFlags& f) { f.model = "blocking"; f.rings = 2; }, "--rings applies to --model=uring"},
      {"rings > conns", [](ClientFlags& f) { f.conns = 2; f.rings = 3; }, "--rings=3 exceeds --conns=2"},
      {"busy poll on blocking", [](ClientFlags& f) { f.model = "blocking"; f.busy_poll = true; }, "--busy-poll applies to --model=uring"},
      {"realtime busy poll", [](ClientFlags& f) { f.realtime = true; f.busy_poll = true; }, "--realtime with --busy-poll"},
      {"io timeout", [](ClientFlags& f) { f.io_timeout = absl::ZeroDuration(); }, "--io-timeout must be positive"},
  };
  for (const Case& c : cases) {
    ClientFlags f = Valid();
    c.change(f);
    const std::string error = ErrorOf(f);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.what << ": got '" << error << "'";
  }
}

TEST(ClientOptions, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_EQ(*ParseByteSize("64K"), 65536u);
  EXPECT_EQ(*ParseByteSize("64KiB"), 65536u);
  EXPECT_EQ(*ParseByteSize("1MiB"), 1048576u);
  EXPECT_EQ(*ParseByteSize("1M"), 1048576u);
  EXPECT_EQ(*ParseByteSize("100B"), 100u);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("1.5K").ok());
  EXPECT_FALSE(ParseByteSize("1G").ok());
}

}  // namespace
}  // namespace iotax::client
