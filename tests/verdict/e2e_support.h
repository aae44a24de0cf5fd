// Helpers for the end-to-end tests: the bundled echo servers and load
// client, and the iotax/iotaxd binaries, run as child processes with every
// wait bounded. Only PIDs started here are ever signalled.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "loopback_socket.h"
#include "subprocess.h"

namespace iotax::testing {

inline std::string Bin(const std::string& name) { return std::string(IOTAX_BIN_DIR) + "/" + name; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/iotax-verdict-test.XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() {
    if (path_ != "/tmp") std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Server {
  std::unique_ptr<Subprocess> process;
  int port = 0;
};

// iotax-echo-server --model=M --port=0 --cpus=0; the port from its first line.
inline std::optional<Server> StartServer(const std::string& model, const std::string& err_path) {
  auto p = Subprocess::Start({Bin("iotax-echo-server"), "--model=" + model, "--port=0", "--cpus=0"}, err_path);
  if (!p.ok()) return std::nullopt;
  Server s;
  s.process = std::move(*p);
  const std::optional<std::string> line = s.process->ReadLine(absl::Seconds(10));
  if (!line || !absl::StartsWith(*line, "listening on ") ||
      !absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &s.port)) {
    return std::nullopt;
  }
  return s;
}

struct Daemon {
  std::unique_ptr<Subprocess> process;
  int port = 0;
};

// iotaxd --listen=127.0.0.1:0 with `flags`; the port from its first line
// ("iotaxd listening on http://127.0.0.1:PORT/metrics").
inline std::optional<Daemon> StartIotaxd(std::vector<std::string> flags, const std::string& err_path) {
  flags.insert(flags.begin(), {Bin("iotaxd"), "--listen=127.0.0.1:0"});
  auto p = Subprocess::Start(flags, err_path);
  if (!p.ok()) return std::nullopt;
  Daemon d;
  d.process = std::move(*p);
  const std::optional<std::string> line = d.process->ReadLine(absl::Seconds(20));
  if (!line) return std::nullopt;
  const size_t colon = line->rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(line->substr(colon + 1, line->find('/', colon) - colon - 1), &d.port)) {
    return std::nullopt;
  }
  return d;
}

// Open-loop load from the io_uring client on CPU 1 (CPU 0 with one CPU).
inline std::unique_ptr<Subprocess> StartClient(int port, int conns, int rate, const std::string& duration,
                                               const std::string& err_path) {
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  auto p = Subprocess::Start({Bin("iotax-echo-client"), "--model=uring", absl::StrCat("--port=", port),
                              absl::StrCat("--conns=", conns), "--msg-size=512", absl::StrCat("--rate=", rate),
                              "--duration=" + duration, "--warmup=500ms", absl::StrCat("--cpus=", cpu), "--json",
                              "--allow-invalid"},
                             err_path);
  return p.ok() ? std::move(*p) : nullptr;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (killed at the deadline).
inline RunResult RunProgram(const std::vector<std::string>& argv, const std::string& err_path, absl::Duration timeout) {
  RunResult r;
  auto p = Subprocess::Start(argv, err_path);
  if (!p.ok()) {
    r.err = std::string(p.status().message());
    return r;
  }
  r.out = (*p)->ReadAll(timeout);
  r.exit_code = (*p)->Wait(absl::Seconds(5)).value_or(-1);
  if (r.exit_code < 0) r.exit_code = (*p)->Stop(absl::Seconds(1));
  r.err = ReadFile(err_path);
  return r;
}

// GET http://127.0.0.1:port/path; the body, or "" on any failure (5 s timeouts).
inline std::string HttpGetBody(int port, const std::string& path) {
  const int fd = ConnectLoopback(port, 5);
  if (fd < 0) return "";
  std::string raw;
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[8192];
    for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t split = raw.find("\r\n\r\n");
  if (split == std::string::npos || raw.compare(0, 12, "HTTP/1.1 200") != 0) return "";
  return raw.substr(split + 4);
}

}  // namespace iotax::testing
