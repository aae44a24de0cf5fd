#include "shutdown_signal.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace iotax::echo {

absl::StatusOr<std::unique_ptr<ShutdownSignal>> ShutdownSignal::CreateWithoutSignals() {
  std::unique_ptr<ShutdownSignal> s(new ShutdownSignal());
  s->stop_fd_ = net::UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->stop_fd_) return absl::ErrnoToStatus(errno, "eventfd for the stop signal");
  return s;
}

absl::StatusOr<std::unique_ptr<ShutdownSignal>> ShutdownSignal::Install() {
  auto s = CreateWithoutSignals();
  if (!s.ok()) return s.status();
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return absl::ErrnoToStatus(err, "pthread_sigmask(SIGINT, SIGTERM)");
  }
  (*s)->signal_fd_ = net::UniqueFd(signalfd(-1, &set, SFD_CLOEXEC));
  if (!(*s)->signal_fd_) return absl::ErrnoToStatus(errno, "signalfd(SIGINT, SIGTERM)");
  return s;
}

void ShutdownSignal::RequestStop() {
  stopped_.store(true, std::memory_order_release);
  uint64_t one = 1;
  // Cannot fail short of a counter overflow, which needs 2^64 stop requests.
  [[maybe_unused]] ssize_t n = write(stop_fd_.get(), &one, sizeof(one));
}

int ShutdownSignal::Wait() {
  pollfd fds[2] = {{stop_fd_.get(), POLLIN, 0}, {signal_fd_.get(), POLLIN, 0}};
  const nfds_t count = signal_fd_ ? 2 : 1;
  for (;;) {
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      RequestStop();  // cannot wait any more: stop rather than hang
      return 0;
    }
    if (count == 2 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info{};
      int signo = 0;
      if (read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) signo = static_cast<int>(info.ssi_signo);
      RequestStop();
      return signo;
    }
    if (fds[0].revents & POLLIN) return 0;
  }
}

}  // namespace iotax::echo
