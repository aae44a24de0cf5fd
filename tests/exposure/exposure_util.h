// Helpers for the exposure tests: a raw HTTP request with any headers (no
// library between test and server), running a shell command with a time
// bound, and a scratch directory that removes itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "loopback_socket.h"
#include "run_command.h"

namespace iotax::testing {

struct RawReply {
  bool connected = false;
  std::string text;  // everything the server sent before closing
  // The status of an "HTTP/1.x NNN" reply, 0 when the reply is not HTTP.
  int status() const {
    if (text.size() < 12 || (text.compare(0, 9, "HTTP/1.1 ") != 0 && text.compare(0, 9, "HTTP/1.0 ") != 0)) return 0;
    return std::atoi(text.substr(9, 3).c_str());
  }
};

// Sends `request` as is to 127.0.0.1:port and reads until the server closes
// (5 s receive timeout).
inline RawReply SendRaw(int port, const std::string& request) {
  RawReply reply;
  const int fd = ConnectLoopback(port, 5);
  if (fd < 0) return reply;
  reply.connected = true;
  (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[8192];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

// GET `path` over plain HTTP with an optional Authorization header value.
inline RawReply Get(int port, const std::string& path, const std::string& authorization = "") {
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
  return SendRaw(port, request + "\r\n");
}

// Runs `command` with sh, bounded by `timeout` (coreutils timeout).
inline CommandResult RunShell(const std::string& command, int timeout_seconds = 20) {
  return RunCommand("sh -c '" + command + "'", timeout_seconds);
}

class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/iotax_exposure_XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

// A self-signed EC certificate for 127.0.0.1 and its key, made by the
// openssl command as an operator would. False when openssl failed.
inline bool MakeSelfSignedCert(const ScratchDir& dir, const std::string& name, std::string* cert, std::string* key) {
  *cert = dir.path() + "/" + name + ".crt";
  *key = dir.path() + "/" + name + ".key";
  return RunShell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
             *key + " -out " + *cert)
             .exit_code == 0;
}

// An auth-file line USER:HASH with the hash from `openssl passwd -6`.
inline std::string AuthLine(const std::string& user, const std::string& password) {
  CommandResult r = RunShell("printf %s " + password + " | openssl passwd -6 -stdin");
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == '\r')) r.output.pop_back();
  return user + ":" + r.output + "\n";
}

}  // namespace iotax::testing
