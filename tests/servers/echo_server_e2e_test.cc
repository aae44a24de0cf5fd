// End-to-end tests of iotax-echo-server: the real binary, driven over real
// loopback sockets, for each IO model.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "echo_driver.h"
#include "server_process.h"

namespace iotax::testing {
namespace {

using std::chrono::milliseconds;

class EchoServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { RaiseTestFileLimit(); }

  // Starts the model under test with extra flags; fails the test if it does
  // not become ready.
  std::unique_ptr<ServerProcess> Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--model=" + GetParam(), "--port=0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args);
    auto port = server->WaitReady();
    EXPECT_TRUE(port.has_value()) << server->error();
    port_ = port.value_or(0);
    return server;
  }

  // SIGTERM, then expect a clean exit within two seconds.
  void StopCleanly(ServerProcess& server) {
    server.Signal(SIGTERM);
    ServerProcess::Exit exit = server.WaitExit(milliseconds(2000));
    EXPECT_TRUE(exit.exited) << "still running 2 s after SIGTERM; stderr: " << exit.stderr_text;
    EXPECT_EQ(exit.code, 0) << exit.stderr_text;
    EXPECT_NE(exit.stderr_text.find("server stopped:"), std::string::npos) << exit.stderr_text;
    last_stderr_ = exit.stderr_text;
  }

  uint16_t port_ = 0;
  std::string last_stderr_;
};

std::string Describe(const DriveResult& r) { return r.error; }

// The fd number, in process `pid`, of the TCP socket bound to local port
// `server_port` and connected to remote port `client_port` on loopback.
std::optional<int> FindPeerSocketFd(pid_t pid, uint16_t server_port, uint16_t client_port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::string inode;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    std::istringstream in(line);
    std::string slot, local, remote, state, queues, timer, retr, uid, timeout, ino;
    in >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> ino;
    auto port_of = [](const std::string& hex_addr) {
      return static_cast<uint16_t>(std::stoul(hex_addr.substr(hex_addr.find(':') + 1), nullptr, 16));
    };
    if (port_of(local) == server_port && port_of(remote) == client_port) {
      inode = ino;
      break;
    }
  }
  if (inode.empty()) return std::nullopt;
  const std::string want = "socket:[" + inode + "]";
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.string() == want) return std::stoi(entry.path().filename().string());
  }
  return std::nullopt;
}

TEST_P(EchoServerTest, PrintsTheReadyLineAndExitsCleanlyOnSigterm) {
  auto server = Start();
  EXPECT_EQ(server->ready_line(), "listening on 127.0.0.1:" + std::to_string(port_));
  StopCleanly(*server);
}

TEST_P(EchoServerTest, EchoesMessagesFromOneByteToOneMebibyte) {
  auto server = Start();
  for (size_t bytes : {size_t{1}, size_t{512}, size_t{64 * 1024}, size_t{1024 * 1024}}) {
    DriveSpec spec;
    spec.message_bytes = bytes;
    spec.messages = bytes >= 64 * 1024 ? 3 : 20;
    DriveResult r = DriveEcho(port_, spec);
    ASSERT_TRUE(r.ok) << bytes << " B messages: " << Describe(r);
    EXPECT_EQ(r.bytes_verified, bytes * spec.messages);
  }
  StopCleanly(*server);
  // Four connections were served and every byte was counted.
  EXPECT_NE(last_stderr_.find("4 connections"), std::string::npos) << last_stderr_;
}

// Without TCP_NODELAY, Nagle plus the client's delayed ACK stall
// multi-segment echoes by ~40 ms, but only under timing that a test cannot
// force reliably. So look at the server's own socket instead: find the fd of
// the accepted connection in /proc, copy it with pidfd_getfd, and read the
// option.
TEST_P(EchoServerTest, SetsNoDelayOnEveryConnection) {
  auto server = Start();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  char byte = 'n';
  ASSERT_EQ(send(fd, &byte, 1, 0), 1);
  ASSERT_EQ(recv(fd, &byte, 1, 0), 1);  // accepted and served by now
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);

  auto server_fd = FindPeerSocketFd(server->pid(), port_, ntohs(local.sin_port));
  ASSERT_TRUE(server_fd.has_value()) << "the server's end of the connection was not found in /proc";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, server->pid(), 0));
  ASSERT_GE(pidfd, 0) << std::strerror(errno);
  int copy = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, *server_fd, 0));
  ASSERT_GE(copy, 0) << "pidfd_getfd: " << std::strerror(errno);
  int nodelay = 0;
  socklen_t optlen = sizeof(nodelay);
  ASSERT_EQ(getsockopt(copy, IPPROTO_TCP, TCP_NODELAY, &nodelay, &optlen), 0);
  EXPECT_NE(nodelay, 0) << "TCP_NODELAY is off on the server's connection";
  close(copy);
  close(pidfd);
  close(fd);
  StopCleanly(*server);
}

TEST_P(EchoServerTest, HandlesPartialWrites) {
  auto server = Start();
  DriveSpec spec;
  spec.message_bytes = 3000;
  spec.messages = 2;
  spec.write_chunk = 7;  // the message trickles in, one 7-byte write at a time
  spec.pause = std::chrono::microseconds(200);
  DriveResult r = DriveEcho(port_, spec);
  ASSERT_TRUE(r.ok) << Describe(r);
  StopCleanly(*server);
}

TEST_P(EchoServerTest, HandlesPartialReads) {
  auto server = Start();
  DriveSpec spec;
  spec.message_bytes = 64 * 1024;
  spec.read_chunk = 3;  // the echo is drained 3 bytes at a time, slowly at first
  spec.pause = std::chrono::microseconds(0);
  DriveResult r = DriveEcho(port_, spec);
  ASSERT_TRUE(r.ok) << Describe(r);

  // A slow reader with a small receive window and a message far larger than
  // the socket buffers: the server's sends come back short or would block, and
  // it must keep the rest (or block) without losing or reordering bytes.
  DriveSpec slow;
  slow.message_bytes = 8 * 1024 * 1024;
  slow.receive_buffer = 8 * 1024;
  slow.read_chunk = 4096;
  slow.pause = std::chrono::microseconds(20);
  r = DriveEcho(port_, slow);
  ASSERT_TRUE(r.ok) << Describe(r);
  StopCleanly(*server);
}

TEST_P(EchoServerTest, ServesOneHundredConnectionsAtOnce) {
  auto server = Start();
  DriveSpec spec;
  spec.connections = 100;
  spec.message_bytes = 512;
  spec.messages = 20;
  DriveResult r = DriveEcho(port_, spec);
  ASSERT_TRUE(r.ok) << Describe(r);
  EXPECT_EQ(r.connections_done, 100);
  StopCleanly(*server);
}

TEST_P(EchoServerTest, ServesOneThousandConnectionsAtOnce) {
  auto server = Start();
  DriveSpec spec;
  spec.connections = 1000;
  spec.message_bytes = 512;
  spec.messages = 3;
  DriveResult r = DriveEcho(port_, spec);
  ASSERT_TRUE(r.ok) << Describe(r);
  EXPECT_EQ(r.connections_done, 1000);
  StopCleanly(*server);
  EXPECT_NE(last_stderr_.find("1000 connections"), std::string::npos) << last_stderr_;
}

// Clients that vanish with a reset (SO_LINGER 0), some in the middle of a
// large echo, must not disturb the others or the server.
TEST_P(EchoServerTest, SurvivesAbruptDisconnects) {
  auto server = Start();
  std::thread others([this] {
    DriveSpec spec;
    spec.connections = 10;
    spec.message_bytes = 4096;
    spec.messages = 200;
    DriveResult r = DriveEcho(port_, spec);
    EXPECT_TRUE(r.ok) << "connections served during the resets: " << Describe(r);
  });
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::vector<char> big(512 * 1024, 'r');
  for (int i = 0; i < 50; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (i % 2 == 0) {
      // Mid-echo: the server is still sending when the reset arrives.
      timeval tv{0, 100000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      (void)send(fd, big.data(), big.size(), MSG_NOSIGNAL);
    }
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
  }
  others.join();
  // Still serving new connections afterwards.
  DriveSpec after;
  after.connections = 5;
  after.messages = 10;
  DriveResult r = DriveEcho(port_, after);
  ASSERT_TRUE(r.ok) << "after the resets: " << Describe(r);
  StopCleanly(*server);
}

// A client that sends without ever reading its echo must be stopped by TCP
// flow control once the server has a bounded amount queued for it, not make
// the server buffer without limit.
TEST_P(EchoServerTest, BoundsWhatAClientThatDoesNotReadCanQueue) {
  auto server = Start();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 8 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  std::vector<char> chunk(256 * 1024, 'q');
  uint64_t accepted = 0;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(500);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      accepted += static_cast<uint64_t>(n);
    } else {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 10);
    }
  }
  // Socket buffers on both sides plus the server's bounded queue: tens of
  // MiB at most, where an unbounded server would take GBs in 500 ms.
  EXPECT_LT(accepted, uint64_t{64} << 20) << "the server kept reading from a client that never reads";
  std::printf("a non-reading client got %.1f MiB into the server\n", static_cast<double>(accepted) / (1 << 20));
  close(fd);
  StopCleanly(*server);
}

// SIGTERM with clients connected (idle, and mid-transfer with a full socket)
// still stops the server within the deadline: blocked threads are woken.
TEST_P(EchoServerTest, StopsWithConnectionsOpen) {
  auto server = Start();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    fds.push_back(fd);
  }
  // One client that sends a lot and never reads: the server blocks (or
  // queues) on its full socket.
  std::vector<char> big(4 * 1024 * 1024, 'x');
  timeval tv{0, 300000};
  setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  (void)send(fds[0], big.data(), big.size(), MSG_NOSIGNAL);
  StopCleanly(*server);
  for (int fd : fds) close(fd);
}

TEST_P(EchoServerTest, RunsHandlerWorkPerRequest) {
  // 20 one-byte requests in closed loop, each with 2 ms of handler work:
  // at least 40 ms in all, so the work really runs in the request path.
  auto server = Start({"--work-ns=2000000", "--work-bytes=65536"});
  DriveSpec spec;
  spec.message_bytes = 1;
  spec.messages = 20;
  auto start = std::chrono::steady_clock::now();
  DriveResult r = DriveEcho(port_, spec);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok) << Describe(r);
  EXPECT_GE(took, milliseconds(40));
  StopCleanly(*server);
  EXPECT_NE(last_stderr_.find("20 requests"), std::string::npos) << last_stderr_;
}

TEST_P(EchoServerTest, PapiEitherMeasuresOrSaysWhyNotOnce) {
  auto server = Start({"--papi", "--work-ns=10000"});
  DriveSpec spec;
  spec.messages = 10;
  DriveResult r = DriveEcho(port_, spec);
  ASSERT_TRUE(r.ok) << Describe(r);
  StopCleanly(*server);
  const bool measured = last_stderr_.find("PAPI handler section:") != std::string::npos;
  const size_t why = last_stderr_.find("PAPI: no hardware counters here");
  EXPECT_TRUE(measured || why != std::string::npos) << last_stderr_;
  if (why != std::string::npos) {
    EXPECT_EQ(last_stderr_.find("PAPI:", why + 1), std::string::npos) << "said more than once: " << last_stderr_;
  }
}

TEST_P(EchoServerTest, ReportsAPortInUse) {
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  std::vector<std::string> args{"--model=" + GetParam(), "--port=" + port};
  if (GetParam() != "blocking") args.push_back("--threads=2");  // SO_REUSEPORT must not share it
  ServerProcess server(args);
  ServerProcess::Exit exit = server.WaitExit(milliseconds(3000));
  close(holder);
  ASSERT_TRUE(exit.exited);
  EXPECT_NE(exit.code, 0);
  EXPECT_NE(exit.stderr_text.find("port " + port + " on 127.0.0.1 is already in use"), std::string::npos)
      << exit.stderr_text;
}

INSTANTIATE_TEST_SUITE_P(Models, EchoServerTest, ::testing::Values("blocking", "epoll", "uring"),
                         [](const auto& info) { return info.param; });

// --- model-independent checks ---

TEST(EchoServerFlags, RejectsBadFlagsWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  // The first CPU number past this machine's, from the kernel's own count.
  const std::string missing_cpu = std::to_string(sysconf(_SC_NPROCESSORS_CONF));
  const std::vector<Case> cases = {
      {{"--model=foo"}, "unknown --model 'foo': use blocking, epoll or uring"},
      {{"--port=70000"}, "--port=70000 is out of range"},
      {{"--threads=-1"}, "--threads=-1 is out of range"},
      {{"--model=blocking", "--threads=4"}, "--threads does not apply to --model=blocking"},
      {{"--cpus=0-" + missing_cpu}, "CPU " + missing_cpu + " does not exist"},
      {{"--work-ns=-5"}, "--work-ns=-5 is out of range"},
      {{"--no-such-flag"}, "unknown flag --no-such-flag"},
      {{"stray"}, "unexpected argument 'stray'"},
  };
  for (const Case& c : cases) {
    ServerProcess server(c.args);
    ServerProcess::Exit exit = server.WaitExit(milliseconds(3000));
    ASSERT_TRUE(exit.exited) << c.args[0];
    EXPECT_NE(exit.code, 0) << c.args[0];
    EXPECT_NE(exit.stderr_text.find(c.message), std::string::npos)
        << c.args[0] << " printed: " << exit.stderr_text;
  }
}

TEST(EchoServerFlags, HelpListsEveryFlagAndExitsZero) {
  ServerProcess server({"--help"});
  ServerProcess::Exit exit = server.WaitExit(milliseconds(3000));
  ASSERT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0);
}

// The uring model's single-shot path (what older kernels fall back to).
TEST(EchoServerUring, SingleShotFallbackEchoes) {
  RaiseTestFileLimit();
  ServerProcess server({"--model=uring", "--port=0", "--uring-multishot=false", "--threads=2"});
  auto port = server.WaitReady();
  ASSERT_TRUE(port.has_value()) << server.error();
  for (size_t bytes : {size_t{1}, size_t{512}, size_t{1024 * 1024}}) {
    DriveSpec spec;
    spec.connections = 20;
    spec.message_bytes = bytes;
    spec.messages = 3;
    DriveResult r = DriveEcho(*port, spec);
    ASSERT_TRUE(r.ok) << bytes << " B: " << r.error;
  }
  server.Signal(SIGINT);  // SIGINT stops it as cleanly as SIGTERM
  ServerProcess::Exit exit = server.WaitExit(milliseconds(2000));
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0) << exit.stderr_text;
}

// Several event loops share the port through SO_REUSEPORT.
TEST(EchoServerEpoll, SpreadsConnectionsOverThreads) {
  RaiseTestFileLimit();
  ServerProcess server({"--model=epoll", "--port=0", "--threads=4"});
  auto port = server.WaitReady();
  ASSERT_TRUE(port.has_value()) << server.error();
  DriveSpec spec;
  spec.connections = 200;
  spec.messages = 5;
  DriveResult r = DriveEcho(*port, spec);
  ASSERT_TRUE(r.ok) << r.error;
  server.Signal(SIGTERM);
  ServerProcess::Exit exit = server.WaitExit(milliseconds(2000));
  EXPECT_EQ(exit.code, 0) << exit.stderr_text;
}

}  // namespace
}  // namespace iotax::testing
