// Futex waits told apart by what they wait for (issue 15, thread pools): a
// condition-variable hand-off between two threads is queue waits
// (FUTEX_WAIT_BITSET), each woken by the other thread's wake call; a
// contended mutex is lock waits (FUTEX_WAIT), never queue waits. And the
// other sign of a hand-off, an epoll_ctl for another thread's epoll.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cpu_workload_client.h"
#include "require.h"
#include "tracer.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;

struct FutexWindow {
  FutexStats futex;
  uint64_t futex_blocked = 0;  // every blocked futex call
};

// Traces `args` of cpu_workload for a second (after 300 ms to settle).
absl::StatusOr<FutexWindow> Measure(const std::vector<std::string>& args) {
  absl::StatusOr<testing::ChildProcess> child = testing::StartCpuWorkload(args);
  if (!child.ok()) return child.status();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
  if (!tracer.ok()) return tracer.status();
  if (absl::Status s = (*tracer)->AddTarget(child->pid()); !s.ok()) return s;
  std::this_thread::sleep_for(300ms);
  const TargetStats a = (*tracer)->Read().targets.at(0).stats;
  std::this_thread::sleep_for(1s);
  const TargetStats b = (*tracer)->Read().targets.at(0).stats;
  constexpr int kFutex = static_cast<int>(SyscallClass::kFutex);
  FutexWindow w;
  w.futex = {b.futex.queue_blocked - a.futex.queue_blocked,
             b.futex.queue_blocked_oncpu_ns - a.futex.queue_blocked_oncpu_ns, b.futex.woken - a.futex.woken,
             b.futex.wake_calls - a.futex.wake_calls, b.futex.wake_oncpu_ns - a.futex.wake_oncpu_ns};
  w.futex_blocked = b.classes[kFutex].blocked_calls - a.classes[kFutex].blocked_calls;
  std::printf("%s: blocked futex calls %lu, queue waits blocked %lu (%.2f us on CPU each), woken by its own wakes "
              "%lu in %lu wake calls\n",
              args[0].c_str(), static_cast<unsigned long>(w.futex_blocked),
              static_cast<unsigned long>(w.futex.queue_blocked),
              w.futex.queue_blocked > 0 ? w.futex.queue_blocked_oncpu_ns / 1e3 / w.futex.queue_blocked : 0.0,
              static_cast<unsigned long>(w.futex.woken), static_cast<unsigned long>(w.futex.wake_calls));
  return w;
}

TEST(TracerFutex, HandOffsAreQueueWaitsWokenByTheProcessItself) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<FutexWindow> w = Measure({"handoff", "200"});
  ASSERT_TRUE(w.ok()) << w.status();
  // Two hand-offs per round, a round every 200 µs and more.
  ASSERT_GT(w->futex.queue_blocked, 200u) << "the hand-offs hardly ran (machine overloaded?)";
  EXPECT_LE(w->futex.queue_blocked, w->futex_blocked);
  // Every blocked futex wait (a queue wait, or the mutex a woken waiter
  // finds still held) was ended by one of the process's own wake calls; only
  // those at the window's edges can be unpaired.
  EXPECT_NEAR(static_cast<double>(w->futex.woken), static_cast<double>(w->futex_blocked),
              0.05 * static_cast<double>(w->futex_blocked) + 2);
  EXPECT_GT(w->futex.queue_blocked_oncpu_ns, 0u);
  EXPECT_GT(w->futex.wake_calls, 0u);
  // A woken waiter may find the mutex still held by its waker (a lock
  // wait), but the hand-offs are the most of it.
  EXPECT_LT(w->futex_blocked - w->futex.queue_blocked, w->futex.queue_blocked);
}

// epoll_ctl told apart by who calls it (issue 14, thread pools): a thread
// that waits in epoll re-arms for its own loop (poll_ctl); a thread that
// never does re-arms for another thread's wait (poll_rearm), as a pool's
// worker hands a connection back to its dispatcher.
TEST(TracerFutex, ReArmsForAnotherThreadsEpollAreToldFromALoopsOwn) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<testing::ChildProcess> child = testing::StartCpuWorkload({"rearm", "300"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(child->pid()).ok());
  std::this_thread::sleep_for(300ms);
  const TargetStats a = (*tracer)->Read().targets.at(0).stats;
  std::this_thread::sleep_for(1s);
  const TargetStats b = (*tracer)->Read().targets.at(0).stats;
  const auto calls = [&](SyscallClass c) {
    return b.classes[static_cast<int>(c)].calls - a.classes[static_cast<int>(c)].calls;
  };
  const uint64_t own = calls(SyscallClass::kPollCtl), rearms = calls(SyscallClass::kPollRearm);
  const uint64_t polls = calls(SyscallClass::kPoll);
  std::printf("epoll_wait %lu, epoll_ctl of the polling thread %lu, of the other thread %lu\n",
              static_cast<unsigned long>(polls), static_cast<unsigned long>(own),
              static_cast<unsigned long>(rearms));
  // A round every 300 µs and more (the sleep's timer slack included).
  ASSERT_GT(polls, 200u) << "the loop hardly ran (machine overloaded?)";
  // One re-arm per epoll_wait in the polling thread, in the same round.
  EXPECT_NEAR(static_cast<double>(own), static_cast<double>(polls), 2);
  // The other thread re-arms twice per round, at the same pace of sleeps.
  EXPECT_NEAR(static_cast<double>(rearms), 2.0 * static_cast<double>(polls), 0.3 * 2.0 * static_cast<double>(polls));
}

TEST(TracerFutex, AContendedMutexIsLockWaitsNotHandOffs) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<FutexWindow> w = Measure({"contend", "4"});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_GT(w->futex_blocked, 50u) << "four threads on one mutex held 50 µs at a time must block on it";
  EXPECT_EQ(w->futex.queue_blocked, 0u) << "a mutex is a lock, not a queue";
}

}  // namespace
}  // namespace iotax
