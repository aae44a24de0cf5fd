// Small TCP helpers shared by the echo servers, clients and the bench runner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace iotax::net {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Binds and listens on host:port (port 0 picks a free one). A port in use is
// reported as such, with the fix in the message.
absl::StatusOr<UniqueFd> ListenTcp(const std::string& host, uint16_t port, int backlog,
                                   bool reuse_port = false);

// Connects (blocking) to host:port and sets TCP_NODELAY.
absl::StatusOr<UniqueFd> ConnectTcp(const std::string& host, uint16_t port);

// The local port a socket is bound to.
absl::StatusOr<uint16_t> LocalPort(int fd);

// Disables Nagle: without it multi-segment echoes stall ~40 ms on delayed ACK.
absl::Status SetNoDelay(int fd);
absl::Status SetNonBlocking(int fd);

// Blocking helpers that loop over short reads/writes and EINTR.
// ReadFull returns the bytes read: fewer than `len` only at EOF.
absl::StatusOr<size_t> ReadFull(int fd, void* buf, size_t len);
absl::Status WriteAll(int fd, const void* buf, size_t len);

}  // namespace iotax::net
