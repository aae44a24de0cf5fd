// Listening sockets for the event-loop models.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "server_options.h"
#include "socket_util.h"

namespace iotax::echo {

// Opens `count` listening sockets on options.host:options.port (non-blocking
// for the epoll loops; io_uring needs no O_NONBLOCK).
// With count > 1 each has SO_REUSEPORT, so the kernel spreads new connections
// over the threads by a hash of the 4-tuple: no shared accept queue, no
// thundering herd, no thread left idle. With --port=0 the first socket picks
// the port and the others join it.
absl::StatusOr<std::vector<net::UniqueFd>> OpenListeners(const ServerOptions& options, int count,
                                                          bool nonblocking);

}  // namespace iotax::echo
