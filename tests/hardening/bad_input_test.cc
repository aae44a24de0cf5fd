// Bad input: PIDs that name nothing traceable, bad flags and values, a port
// in use (one line on stderr that says what to do, and the right exit
// status), and malformed or oversized HTTP requests (the right status code,
// no crash, and the daemon answers normally afterwards).
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_join.h"
#include "harness.h"
#include "require.h"

namespace iotax::hardening {
namespace {

struct Outcome {
  std::optional<int> status;
  std::string err;
};

Outcome RunIotaxd(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kIotaxd};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv);
  Outcome o;
  o.status = p.Wait(20s);
  o.err = p.Stderr(500ms);
  return o;
}

int FreePid() {
  int pid = 32767;
  while (access(absl::StrCat("/proc/", pid).c_str(), F_OK) == 0) --pid;
  return pid;
}

// One line, "iotaxd: ...", that contains `says`.
void ExpectOneLine(const Outcome& o, int status, const std::string& says, const std::string& what) {
  EXPECT_EQ(o.status, status) << what << ": " << o.err;
  EXPECT_TRUE(absl::StartsWith(o.err, "iotaxd: ")) << what << ": " << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << what << ": " << o.err;
  EXPECT_TRUE(absl::StrContains(o.err, says)) << what << ": " << o.err;
}

TEST(BadInput, PidsThatNameNothingTraceable) {
  IOTAX_REQUIRE_BPF();
  const int free_pid = FreePid();
  ExpectOneLine(RunIotaxd({absl::StrCat("--pid=", free_pid)}), 1,
                absl::StrCat("no process with PID ", free_pid, ": check the PID"), "nonexistent");
  ExpectOneLine(RunIotaxd({"--pid=99999999"}), 1, "no process with PID 99999999", "beyond pid_max");
  for (const char* bad : {"--pid=0", "--pid=-1", "--pid=abc", "--pid=12x", "--pid=99999999999999"}) {
    ExpectOneLine(RunIotaxd({bad}), 2, "is not a process ID: pass a positive number such as --pid=1234", bad);
  }
  ExpectOneLine(RunIotaxd({"--pid=2"}), 1, "is a kernel thread", "kthreadd");
  // A zombie: exited, not yet reaped.
  Process zombie({"/bin/true"});
  for (auto deadline = Clock::now() + 10s; Clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
    std::ifstream stat(absl::StrCat("/proc/", zombie.pid(), "/stat"));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (absl::StrContains(text, ") Z ")) break;
  }
  ExpectOneLine(RunIotaxd({absl::StrCat("--pid=", zombie.pid())}), 1, "has already exited (it is a zombie)", "zombie");
}

TEST(BadInput, BadFlagsAndValuesExitTwoWithOneLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"--bogus"},
      {"--pid"},
      {"--pid="},
      {"--comm="},
      {},
      {"--pid=1", "--listen=nope"},
      {"--pid=1", "--listen=127.0.0.1:70000"},
      {"--pid=1", "--listen=127.0.0.1:-1"},
      {"--pid=1", "--interval=x"},
      {"--pid=1", "--interval=0"},
      {"--pid=1", "--interval=-1s"},
      {"--pid=1", "--window=banana"},
      {"--pid=1", "--verdict-window=0"},
      {"--pid=1", "--follow-children=maybe"},
      {"stray"},
  };
  for (const auto& args : cases) {
    const Outcome o = RunIotaxd(args);
    const std::string what = args.empty() ? "(no flags)" : absl::StrJoin(args, " ");
    EXPECT_EQ(o.status, 2) << what << ": " << o.err;
    EXPECT_TRUE(absl::StartsWith(o.err, "iotaxd: ")) << what << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << what << ": " << o.err;
    EXPECT_TRUE(absl::StrContains(o.err, "--") || absl::StrContains(o.err, "help"))
        << what << " names no fix: " << o.err;
  }
}

TEST(BadInput, PortInUseSaysSoAndExitsOne) {
  IOTAX_REQUIRE_BPF();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  Process target({kFaultTarget, "busy"});
  ASSERT_TRUE(target.ReadStdoutLine(20s).has_value());
  const Outcome o = RunIotaxd({absl::StrCat("--pid=", target.pid()), absl::StrCat("--listen=127.0.0.1:", port)});
  close(fd);
  ExpectOneLine(o, 1, absl::StrCat("127.0.0.1:", port, " is already in use"), "port in use");
  EXPECT_TRUE(absl::StrContains(o.err, "--listen=")) << o.err;
}

TEST(BadInput, MalformedAndOversizedHttpRequests) {
  IOTAX_REQUIRE_BPF();
  Process target({kFaultTarget, "busy", "--name=ft_http"});
  ASSERT_TRUE(target.ReadStdoutLine(20s).has_value());
  Process daemon(DaemonArgs({absl::StrCat("--pid=", target.pid())}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();

  const std::string big(100 * 1024, 'a');
  struct Case {
    std::string what;
    std::string request;
    std::vector<int> statuses;  // accepted answers; 0 = the server may just close
  };
  const std::vector<Case> cases = {
      {"garbage", "\x01\x02\xff\xfe garbage\r\n\r\n", {400, 0}},
      {"no version", "GET /metrics\r\n\r\n", {400, 505, 0}},
      {"bad version", "GET /metrics HTTP/9.9\r\n\r\n", {505}},
      {"unknown path", "GET /nope HTTP/1.0\r\n\r\n", {404}},
      {"path traversal", "GET /../../etc/passwd HTTP/1.0\r\n\r\n", {400, 404}},
      {"POST", "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", {405}},
      {"DELETE", "DELETE /metrics HTTP/1.0\r\n\r\n", {405}},
      {"unknown method", "BREW /metrics HTTP/1.0\r\n\r\n", {400, 405, 501}},
      {"huge path", "GET /" + big + " HTTP/1.0\r\n\r\n", {400, 404, 413, 414, 431, 0}},
      {"huge header", "GET /metrics HTTP/1.0\r\nX-Big: " + big + "\r\n\r\n", {400, 413, 431, 0}},
      {"many headers",
       "GET /metrics HTTP/1.0\r\n" +
           [] {
             std::string h;
             for (int i = 0; i < 200; ++i) absl::StrAppend(&h, "X-", i, ": v\r\n");
             return h;
           }() +
           "\r\n",
       {200, 400, 431}},
      {"huge body claimed", "POST /metrics HTTP/1.0\r\nContent-Length: 99999999999\r\n\r\nabc", {400, 405, 413}},
      {"bad query", "GET /api/series?seconds=-5&seconds=abc&%zz HTTP/1.0\r\n\r\n", {200, 400}},
      {"huge query", "GET /api/series?seconds=" + big + " HTTP/1.0\r\n\r\n", {200, 400, 413, 414, 431, 0}},
      {"bad query metrics", "GET /metrics?name[]=%00 HTTP/1.0\r\n\r\n", {200, 400}},
      {"NUL in path", std::string("GET /met\0rics HTTP/1.0\r\n\r\n", 27), {400, 404}},
  };
  for (const Case& c : cases) {
    const auto t0 = Clock::now();
    const HttpReply r = RawHttp(port, c.request, 15);
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_TRUE(std::find(c.statuses.begin(), c.statuses.end(), r.status) != c.statuses.end())
        << c.what << ": got " << r.status << " " << r.raw.substr(0, 200);
    std::printf("%-20s -> %d %s (%.2f s)\n", c.what.c_str(), r.status, r.head.substr(0, r.head.find('\r')).c_str(),
                took);
    // After each one, the daemon still answers a plain scrape.
    ASSERT_EQ(Get(port, "/healthz").status, 200) << "after " << c.what;
  }
  // Half a request, then the client goes away.
  const int fd = ConnectLoopback(port);
  ASSERT_GE(fd, 0);
  send(fd, "GET /met", 8, MSG_NOSIGNAL);
  close(fd);
  const HttpReply ok = Get(port, "/metrics");
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(absl::StrContains(ok.body, Series("iotax_target_up", target.pid(), "ft_http") + " 1"));
  EXPECT_FALSE(daemon.Wait(0ms).has_value()) << "iotaxd crashed: " << daemon.Stderr();
}

}  // namespace
}  // namespace iotax::hardening
