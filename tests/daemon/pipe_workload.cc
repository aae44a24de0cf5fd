// A small traced program for iotaxd's end-to-end tests: a writer thread
// sleeps 2 ms and writes two 64-byte messages into a pipe; the main thread
// reads 64 bytes at a time, so about half its reads block (sync: a pipe, blocked)
// and half find data waiting (sync, not blocked). Exits by itself after
// --seconds, so a test that dies never leaves it running for long.
//   pipe_workload [--name=COMM] [--seconds=N]
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  std::string name;
  int seconds = 60;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--name=", 7) == 0) name = argv[i] + 7;
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atoi(argv[i] + 10);
  }
  if (!name.empty()) prctl(PR_SET_NAME, name.c_str());

  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    char msg[128] = {};
    const timespec pause{0, 2'000'000};
    while (!stop) {
      nanosleep(&pause, nullptr);
      if (write(fds[1], msg, sizeof(msg)) != static_cast<ssize_t>(sizeof(msg))) break;
    }
    close(fds[1]);
  });
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buf[64];
  while (std::chrono::steady_clock::now() < deadline) {
    if (read(fds[0], buf, sizeof(buf)) <= 0) break;
  }
  stop = true;
  // Drain so the writer is never stuck on a full pipe.
  while (read(fds[0], buf, sizeof(buf)) > 0) {
  }
  writer.join();
  return 0;
}
