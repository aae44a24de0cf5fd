#include "process_limits.h"

#include <sys/resource.h>

#include <cerrno>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace iotax::echo {

absl::StatusOr<long> RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return absl::ErrnoToStatus(errno, "getrlimit(RLIMIT_NOFILE)");
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return absl::ErrnoToStatus(errno, "setrlimit(RLIMIT_NOFILE)");
  }
  return static_cast<long>(lim.rlim_cur);
}

std::string BacklogWarning(int backlog, const std::string& somaxconn_path) {
  std::ifstream in(somaxconn_path);
  long somaxconn = 0;
  if (!(in >> somaxconn) || somaxconn <= 0 || backlog <= somaxconn) return "";
  return absl::StrCat("listen backlog ", backlog, " is capped by net.core.somaxconn=", somaxconn,
                      ": connection bursts above ", somaxconn,
                      " may be dropped; raise it with sysctl -w net.core.somaxconn=", backlog);
}

}  // namespace iotax::echo
