#include "shutdown_signal.h"

#include <poll.h>

#include <thread>

#include <gtest/gtest.h>

namespace iotax::echo {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST(ShutdownSignal, RequestStopWakesWaitAndStaysReadable) {
  auto s = ShutdownSignal::CreateWithoutSignals();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE((*s)->stop_requested());
  EXPECT_FALSE(Readable((*s)->stop_fd()));
  std::thread stopper([&] { (*s)->RequestStop(); });
  EXPECT_EQ((*s)->Wait(), 0);
  stopper.join();
  EXPECT_TRUE((*s)->stop_requested());
  // Every loop watching the fd sees the stop, however many look.
  EXPECT_TRUE(Readable((*s)->stop_fd()));
  EXPECT_TRUE(Readable((*s)->stop_fd()));
}

}  // namespace
}  // namespace iotax::echo
