// What the hardening tests share: run a program (optionally with a chosen
// PID, for PID reuse), start iotaxd and read its port, scrape /metrics and
// read samples, send raw HTTP, list the BPF objects a process holds. Every
// wait has a deadline; only processes started here are ever signalled.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "loopback_socket.h"
#include "metrics_text.h"

namespace iotax::hardening {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline const std::string kIotaxd = std::string(IOTAX_BIN_DIR) + "/iotaxd";
inline const std::string kFaultTarget = IOTAX_FAULT_TARGET;
inline const std::string kExecImage = IOTAX_FAULT_EXEC_IMG;

// A child with stdout and stderr captured. With `want_pid` > 0 it is created
// with that PID (clone3 set_tid; root only), or not at all if it is taken.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv, pid_t want_pid = 0) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      return;
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (want_pid > 0) {
      clone_args ca{};
      ca.exit_signal = SIGCHLD;
      pid_t tid = want_pid;
      ca.set_tid = reinterpret_cast<uint64_t>(&tid);
      ca.set_tid_size = 1;
      pid_ = static_cast<pid_t>(syscall(SYS_clone3, &ca, sizeof(ca)));
    } else {
      pid_ = fork();
    }
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid_ < 0) pid_ = -1;
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Process() {
    Kill(SIGKILL);
    Wait(5s);
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }

  void Kill(int sig) {
    if (pid_ > 0 && !status_) kill(pid_, sig);
  }

  // Exit code (128 + signal when killed), or nullopt at the deadline.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (pid_ > 0 && !status_) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(5ms);
    }
    return status_;
  }

  std::optional<std::string> ReadStdoutLine(std::chrono::milliseconds timeout) {
    return ReadLine(out_, out_buf_, nullptr, timeout);
  }

  // Reads stderr until a line contains `text` (also in lines read before).
  bool WaitForStderr(const std::string& text, std::chrono::milliseconds timeout) {
    if (absl::StrContains(err_text_, text)) return true;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      auto line = ReadLine(err_, err_buf_, &err_text_, left);
      if (!line) return false;
      if (absl::StrContains(*line, text)) return true;
    }
  }

  // All of stderr read so far plus whatever arrives within `timeout`.
  std::string Stderr(std::chrono::milliseconds timeout = 200ms) {
    while (ReadLine(err_, err_buf_, &err_text_, timeout)) {
    }
    return err_text_ + err_buf_;
  }

 private:
  static std::optional<std::string> ReadLine(int fd, std::string& buf, std::string* log,
                                             std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (size_t nl = buf.find('\n'); nl != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (log != nullptr) *log += line + "\n";
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || fd < 0) return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buf.append(chunk, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string out_buf_, err_buf_, err_text_;
  std::optional<int> status_;
};

// Reads iotaxd's first stdout line ("iotaxd listening on http://127.0.0.1:PORT/metrics").
inline int DaemonPort(Process& daemon) {
  auto line = daemon.ReadStdoutLine(30s);
  if (!line) return 0;
  const std::string prefix = "iotaxd listening on http://127.0.0.1:";
  if (!absl::StartsWith(*line, prefix)) return 0;
  int port = 0;
  const std::string rest = line->substr(prefix.size());
  return absl::SimpleAtoi(rest.substr(0, rest.find('/')), &port) ? port : 0;
}

inline std::vector<std::string> DaemonArgs(std::vector<std::string> extra) {
  std::vector<std::string> argv = {kIotaxd, "--listen=127.0.0.1:0", "--interval=100ms", "--calibration=none"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

struct HttpReply {
  int status = 0;  // 0: no parsable reply
  std::string head;
  std::string body;
  std::string raw;
};

using ::iotax::testing::ConnectLoopback;

// Sends `request` as is, ends the sending side, and reads the reply until the server closes.
inline HttpReply RawHttp(int port, const std::string& request, int timeout_s = 10) {
  HttpReply reply;
  const int fd = ConnectLoopback(port, timeout_s);
  if (fd < 0) return reply;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413/431) and close before reading it all
    sent += static_cast<size_t>(n);
  }
  // Nothing more comes: a server still waiting for a body it was promised sees EOF.
  shutdown(fd, SHUT_WR);
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t split = reply.raw.find("\r\n\r\n");
  // "HTTP/x.y NNN": civetweb echoes the request's version, even a bad one.
  if (split == std::string::npos || !absl::StartsWith(reply.raw, "HTTP/") || reply.raw.size() < 12 ||
      reply.raw[8] != ' ')
    return reply;
  int status = 0;
  if (reply.raw.size() >= 12 && absl::SimpleAtoi(reply.raw.substr(9, 3), &status)) reply.status = status;
  reply.head = reply.raw.substr(0, split);
  reply.body = reply.raw.substr(split + 4);
  return reply;
}

inline HttpReply Get(int port, const std::string& path, int timeout_s = 10) {
  return RawHttp(port, "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", timeout_s);
}

inline std::string Metrics(int port) { return Get(port, "/metrics").body; }

using testing::Sample;

inline std::string Series(const std::string& name, int pid, const std::string& comm, const std::string& extra = "") {
  return absl::StrCat(name, "{pid=\"", pid, "\",comm=\"", comm, "\"", extra, "}");
}

// Scrapes until `pred` holds on the body or `timeout` passes; returns the last body.
inline std::string ScrapeUntil(int port, const std::function<bool(const std::string&)>& pred,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string body;
  do {
    body = Metrics(port);
    if (pred(body)) return body;
    std::this_thread::sleep_for(100ms);
  } while (Clock::now() < deadline);
  return body;
}

// BPF objects (programs, links, maps) process `pid` holds, from its fdinfo.
struct BpfObjects {
  std::set<int> progs, links, maps;
  bool empty() const { return progs.empty() && links.empty() && maps.empty(); }
};

inline BpfObjects BpfObjectsHeldBy(int pid) {
  BpfObjects held;
  const std::string dir = absl::StrCat("/proc/", pid, "/fdinfo");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return held;
  while (dirent* e = readdir(d)) {
    std::ifstream in(dir + "/" + e->d_name);
    std::string line;
    bool is_link = false;
    int prog = 0;
    while (std::getline(in, line)) {
      int id = 0;
      auto value = [&](const char* key) {
        return absl::StartsWith(line, key) &&
               absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(std::string(key).size())), &id);
      };
      if (value("link_id:")) {
        held.links.insert(id);
        is_link = true;
      } else if (value("prog_id:")) {
        prog = id;
      } else if (value("map_id:")) {
        held.maps.insert(id);
      }
    }
    if (prog > 0) held.progs.insert(prog);
    (void)is_link;
  }
  closedir(d);
  return held;
}

inline std::string Shell(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// Which of `ids` the kernel still knows, asking bpftool ("prog", "link" or "map").
inline std::set<int> StillLoaded(const std::string& kind, const std::set<int>& ids) {
  std::set<int> left;
  for (int id : ids) {
    if (!Shell(absl::StrCat("timeout 10 bpftool ", kind, " show id ", id, " 2>/dev/null")).empty()) left.insert(id);
  }
  return left;
}

// Waits (the kernel frees on the last reference, sometimes after an RCU
// grace period) until none of `held` is loaded; returns what is left.
inline BpfObjects WaitUnloaded(const BpfObjects& held, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  BpfObjects left = held;
  for (;;) {
    left.progs = StillLoaded("prog", left.progs);
    left.links = StillLoaded("link", left.links);
    left.maps = StillLoaded("map", left.maps);
    if (left.empty() || Clock::now() >= deadline) return left;
    std::this_thread::sleep_for(200ms);
  }
}

// Resident set size of `pid` in bytes (VmRSS), 0 when unknown.
inline uint64_t RssBytes(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, "VmRSS:")) {
      uint64_t kb = 0;
      v = absl::StripAsciiWhitespace(v);
      if (absl::ConsumeSuffix(&v, " kB") && absl::SimpleAtoi(v, &kb)) return kb * 1024;
    }
  }
  return 0;
}

}  // namespace iotax::hardening

namespace iotax::hardening {

// Entries in the BPF hash map named `name` among the maps process `pid`
// holds, or -1 when there is no such map. With BTF, bpftool prints one
// `"key": ...` per entry; without, a last line "Found N elements".
inline int MapEntries(int pid, const std::string& name) {
  for (int id : BpfObjectsHeldBy(pid).maps) {
    const std::string show = Shell(absl::StrCat("timeout 10 bpftool map show id ", id, " 2>/dev/null"));
    if (!absl::StrContains(show, absl::StrCat(" name ", name, " "))) continue;
    const std::string dump = Shell(absl::StrCat("timeout 10 bpftool map dump id ", id, " 2>/dev/null"));
    if (const size_t at = dump.rfind("Found "); at != std::string::npos) {
      int n = -1;
      return absl::SimpleAtoi(dump.substr(at + 6, dump.find(' ', at + 6) - at - 6), &n) ? n : -1;
    }
    int n = 0;
    for (size_t at = dump.find("\"key\":"); at != std::string::npos; at = dump.find("\"key\":", at + 1)) ++n;
    return n;
  }
  return -1;
}

}  // namespace iotax::hardening
