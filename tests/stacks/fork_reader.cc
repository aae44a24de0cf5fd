// A target that forks after it is attached: prints "ready", waits for
// SIGUSR1, then forks a child that blocks in read() on a pipe the parent
// writes a byte to every 20 ms (so each block ends and its off-CPU time is
// counted), in a function of its own: ChildBlocksInRead. Exits after
// --seconds (default 10); the child dies with it (PR_SET_PDEATHSIG).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

__attribute__((noinline)) void ChildBlocksInRead(int fd) {
  char byte;
  while (read(fd, &byte, 1) == 1) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atoi(argv[i] + 10);
  }
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);
  const timespec limit{seconds, 0};
  if (sigtimedwait(&usr1, nullptr, &limit) != SIGUSR1) return 1;

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(pipe_fds[1]);
    ChildBlocksInRead(pipe_fds[0]);
    _exit(0);
  }
  close(pipe_fds[0]);
  std::printf("forked %d\n", child);
  std::fflush(stdout);
  for (int i = 0; i < seconds * 50; ++i) {
    const timespec tick{0, 20'000'000};
    nanosleep(&tick, nullptr);
    if (write(pipe_fds[1], "x", 1) != 1) break;
  }
  close(pipe_fds[1]);  // the child's read sees the end and it exits
  waitpid(child, nullptr, 0);
  return 0;
}
