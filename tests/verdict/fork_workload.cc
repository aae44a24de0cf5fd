// A prefork-like traced program for the service tests: a parent that keeps
// --children sleeping children and, with --churn, forks a short-lived worker
// every 5 ms (it computes for about 0.2 ms, sleeps 1 ms, computes again and
// exits) and reaps it, the way a prefork server replaces its children.
// Children die with the parent (PR_SET_PDEATHSIG); the parent exits by
// itself after --seconds, so a test that dies never leaves them running long.
//   fork_workload [--name=COMM] [--children=N] [--churn] [--seconds=N]
// Prints "ready N" once the N sleeping children run.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile unsigned long sink = 0;

void Compute(std::chrono::microseconds how_long) {
  const auto end = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 1000; ++i) sink = sink + static_cast<unsigned long>(i);
  }
}

void SleepMs(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

// In the child: die with the parent, then run `body` and exit.
template <typename Body>
pid_t Spawn(Body body) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(0);  // the parent is already gone
  body();
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string name;
  int children = 0;
  bool churn = false;
  int seconds = 60;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--name=", 7) == 0) name = argv[i] + 7;
    if (std::strncmp(argv[i], "--children=", 11) == 0) children = std::atoi(argv[i] + 11);
    if (std::strcmp(argv[i], "--churn") == 0) churn = true;
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atoi(argv[i] + 10);
  }
  if (!name.empty()) prctl(PR_SET_NAME, name.c_str());  // children inherit it

  int started = 0;
  for (int i = 0; i < children; ++i) {
    if (Spawn([] {
          for (;;) pause();
        }) > 0) {
      ++started;
    }
  }
  std::printf("ready %d\n", started);
  std::fflush(stdout);

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (churn) {
      Spawn([] {
        Compute(std::chrono::microseconds(200));
        SleepMs(1);
        Compute(std::chrono::microseconds(200));
      });
      // Reap every worker that is done (the sleeping children never are).
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
    SleepMs(5);
  }
  return 0;
}
