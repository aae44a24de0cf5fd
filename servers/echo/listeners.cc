#include "listeners.h"

#include "absl/strings/str_cat.h"

namespace iotax::echo {

absl::StatusOr<std::vector<net::UniqueFd>> OpenListeners(const ServerOptions& options, int count,
                                                          bool nonblocking) {
  std::vector<net::UniqueFd> out;
  uint16_t port = options.port;
  const bool reuse_port = count > 1;
  if (reuse_port && port != 0) {
    // Sockets with SO_REUSEPORT silently share a port with any other such
    // socket of the same user: check first that nobody holds it.
    auto probe = net::ListenTcp(options.host, port, 1, false);
    if (!probe.ok()) return probe.status();
  }
  for (int i = 0; i < count; ++i) {
    auto fd = net::ListenTcp(options.host, port, options.backlog, reuse_port);
    if (!fd.ok()) return fd.status();
    if (nonblocking) {
      if (auto s = net::SetNonBlocking(fd->get()); !s.ok()) return s;
    }
    if (i == 0) {
      auto bound = net::LocalPort(fd->get());
      if (!bound.ok()) return bound.status();
      port = *bound;
    }
    out.push_back(std::move(*fd));
  }
  return out;
}

}  // namespace iotax::echo
