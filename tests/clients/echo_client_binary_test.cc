// iotax-echo-client as a program: --help, bad flags (exit 2 with a clear
// message), a --json run against the in-process echo server, server down,
// a busy CPU under the client with and without --realtime.
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cpu_list.h"
#include "test_echo_server.h"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the client with `args`, bounded by a 60 s timeout.
Outcome RunClient(const std::string& args) {
  char out_path[] = "/tmp/iotax-client-test-out-XXXXXX";
  char err_path[] = "/tmp/iotax-client-test-err-XXXXXX";
  close(mkstemp(out_path));
  close(mkstemp(err_path));
  const std::string cmd = absl::StrCat("timeout 60 ", IOTAX_BIN_DIR, "/iotax-echo-client ", args, " >", out_path,
                                       " 2>", err_path);
  const int status = std::system(cmd.c_str());
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = ReadFile(out_path);
  o.err = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  return o;
}

// The number after "key": in a flat JSON text.
double JsonNumber(const std::string& json, const std::string& key) {
  const size_t at = json.find(absl::StrCat("\"", key, "\":"));
  if (at == std::string::npos) return -1;
  size_t start = at + key.size() + 3;
  size_t end = json.find_first_of(",}", start);
  double v = -1;
  EXPECT_TRUE(absl::SimpleAtod(json.substr(start, end - start), &v)) << key;
  return v;
}

TEST(EchoClientBinary, HelpExplainsEveryFlag) {
  const Outcome o = RunClient("--help");
  EXPECT_EQ(o.exit_code, 0);
  const std::string text = o.out + o.err;
  for (const char* flag : {"model", "host", "port", "conns", "msg-size", "duration", "warmup", "cpus", "depth", "rate",
                           "rings", "busy-poll", "realtime", "seed", "io-timeout", "max-schedule-lag", "json",
                           "allow-invalid"}) {
    EXPECT_NE(text.find(absl::StrCat("--", flag)), std::string::npos) << flag;
  }
  EXPECT_NE(text.find("Poisson"), std::string::npos);
}

TEST(EchoClientBinary, BadFlagsExitTwoWithAClearMessage) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c : {Case{"", "--port is required"},
                        Case{"--port=1 --model=threads", "unknown --model='threads'"},
                        Case{"--port=1 --msg-size=huge", "--msg-size: 'huge' is not a size"},
                        Case{"--port=1 --rate=100 --depth=2", "--depth applies to the closed loop only"},
                        Case{"--port=1 --conns=-3", "--conns=-3 is out of range"},
                        Case{"--port=1 --no-such-flag", "unknown flag --no-such-flag"},
                        Case{"--port=1 stray", "unexpected argument 'stray'"}}) {
    const Outcome o = RunClient(c.args);
    EXPECT_EQ(o.exit_code, 2) << c.args;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << c.args << ": " << o.err;
  }
}

TEST(EchoClientBinary, JsonRunAgainstAnEchoServer) {
  iotax::testing::TestEchoServer server;
  const Outcome o = RunClient(absl::StrCat("--port=", server.port(),
                                           " --model=uring --conns=4 --msg-size=1K --duration=300ms "
                                           "--warmup=100ms --json"));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << "one JSON line: " << o.out;
  EXPECT_NE(o.out.find("\"model\":\"uring\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"valid\":true"), std::string::npos) << o.out;
  EXPECT_EQ(JsonNumber(o.out, "msg_size"), 1024);
  EXPECT_EQ(JsonNumber(o.out, "conns"), 4);
  EXPECT_EQ(JsonNumber(o.out, "errors"), 0);
  EXPECT_GT(JsonNumber(o.out, "requests"), 0);
  EXPECT_GT(JsonNumber(o.out, "throughput_rps"), 0);
  EXPECT_GT(JsonNumber(o.out, "p99"), 0);
  EXPECT_GT(JsonNumber(o.out, "bytes_verified"), 0);
}

TEST(EchoClientBinary, HumanTableAgainstAnEchoServer) {
  iotax::testing::TestEchoServer server;
  const Outcome o = RunClient(absl::StrCat("--port=", server.port(),
                                           " --model=blocking --conns=2 --rate=500 --duration=300ms --max-schedule-lag=50ms"));
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("open loop"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("send lag"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("VALID"), std::string::npos) << o.out;
}

TEST(EchoClientBinary, ServerDownExitsOneAndSaysWhy) {
  // Find a port nobody listens on: bind one, and close it.
  int port = 0;
  {
    iotax::testing::TestEchoServer probe;
    port = probe.port();
  }
  const Outcome o = RunClient(absl::StrCat("--port=", port, " --duration=100ms"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find(absl::StrCat("connection to 127.0.0.1:", port,
                                    " refused: is the server running on that port?")),
            std::string::npos)
      << o.err;
}

// A thread that spins on one CPU at ordinary priority until destroyed: other
// work on the client's CPU, as a tracer or a build is on a shared machine.
class CpuHog {
 public:
  explicit CpuHog(int cpu)
      : thread_([this, cpu] {
          pinned_ = iotax::net::PinCurrentThread({cpu}).ok();
          started_ = true;
          while (!stop_.load(std::memory_order_relaxed)) {
          }
        }) {
    while (!started_) std::this_thread::yield();
  }
  ~CpuHog() {
    stop_ = true;
    thread_.join();
  }
  bool pinned() const { return pinned_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> pinned_{false};
  std::thread thread_;
};

// The cause of send lag on a shared machine, and its cure: an open-loop
// client sharing its CPU with a busy thread waits for that CPU (its JSON says
// how long); with --realtime it preempts the thread, barely waits, and keeps
// its schedule better.
TEST(EchoClientBinary, ReportsWaitingForABusyCpuAndRealtimeAvoidsIt) {
  sched_param fifo{};
  fifo.sched_priority = 1;
  if (sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) {
    GTEST_SKIP() << "SCHED_FIFO is not allowed here (needs root or CAP_SYS_NICE), so --realtime cannot run";
  }
  sched_param normal{};
  ASSERT_EQ(sched_setscheduler(0, SCHED_OTHER, &normal), 0);

  iotax::testing::TestEchoServer server;
  CpuHog hog(0);
  ASSERT_TRUE(hog.pinned());
  const std::string args = absl::StrCat("--port=", server.port(),
                                        " --model=uring --conns=10 --rate=5000 --cpus=0 --duration=500ms "
                                        "--warmup=100ms --json --allow-invalid");
  const Outcome shared = RunClient(args);
  const Outcome realtime = RunClient(args + " --realtime");
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  ASSERT_EQ(realtime.exit_code, 0) << realtime.err;
  EXPECT_NE(shared.out.find("\"realtime\":false"), std::string::npos) << shared.out;
  EXPECT_NE(realtime.out.find("\"realtime\":true"), std::string::npos) << realtime.out;
  const double shared_wait = JsonNumber(shared.out, "client_runqueue_wait_s");
  const double realtime_wait = JsonNumber(realtime.out, "client_runqueue_wait_s");
  // Measured on a 2-CPU VM: about 22 % of the window shared (p99 send lag 3.4-3.6 ms), 0.2 % real-time.
  EXPECT_GT(shared_wait, 0.05 * 0.5) << shared.out;
  EXPECT_GE(realtime_wait, 0) << realtime.out;
  EXPECT_LT(realtime_wait, shared_wait / 4) << realtime.out;
  auto lag_p99 = [](const std::string& json) {
    const size_t at = json.find("\"schedule_lag_ns\":");
    return at == std::string::npos ? -1 : JsonNumber(json.substr(at), "p99");
  };
  EXPECT_LT(lag_p99(realtime.out), lag_p99(shared.out)) << shared.out << "\n" << realtime.out;
}

}  // namespace
