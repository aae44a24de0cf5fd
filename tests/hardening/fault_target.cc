// A target that misbehaves on cue, for the fault tests: it exits, crashes,
// execs another program, churns threads, holds 10,000 idle threads, or forks
// a bounded crowd of children. Every mode prints "ready" on stdout when it is
// set up, then waits for SIGUSR1 before it does its act (so iotaxd can be
// attached first), prints what it did, and waits for SIGUSR1 again before the
// next step or SIGTERM to end. Plain POSIX, no test framework.
//
//   fault_target MODE [--name=COMM] [--threads=N] [--rate=PER_S] [--children=N]
//                     [--image=PATH] [--from-thread]
//   modes: busy     syscalls in a loop until SIGTERM (the exec image, the reuse process)
//          exit     on cue: exit(0)
//          crash    on cue: SIGSEGV (a real null dereference)
//          exec     on cue: execv(--image, {image, "busy"}) (from a second thread with --from-thread)
//          churn    on cue: create and end --threads threads at --rate per second
//          idle     create --threads idle threads at start; on cue: end and join them
//          fork     on cue: fork --children children that stay alive; on the next cue they exit
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string mode;
  std::string name;
  long threads = 0;
  long rate = 1000;
  long children = 0;
  std::string image;
  bool from_thread = false;
};

sigset_t g_signals;  // SIGUSR1 and SIGTERM, blocked in every thread

void Say(const std::string& line) {
  std::string out = line + "\n";
  (void)!write(1, out.data(), out.size());
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "fault_target: %s\n", why.c_str());
  std::exit(2);
}

// Waits for SIGUSR1 (returns) or SIGTERM (exits 0).
void WaitForCue() {
  for (;;) {
    int sig = 0;
    if (sigwait(&g_signals, &sig) != 0) continue;
    if (sig == SIGTERM) std::exit(0);
    if (sig == SIGUSR1) return;
  }
}

// A few cheap syscalls, so the target shows up in the counters.
void Syscalls(int n) {
  for (int i = 0; i < n; ++i) (void)syscall(SYS_getppid);
}

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void SleepNs(uint64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000ull), static_cast<long>(ns % 1000000000ull)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

pthread_attr_t SmallStack() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  return attr;
}

[[noreturn]] void Busy() {
  // Syscalls plus short sleeps: traced, cheap for the machine. SIGTERM ends it.
  signal(SIGUSR1, SIG_IGN);
  pthread_sigmask(SIG_UNBLOCK, &g_signals, nullptr);
  for (;;) {
    Syscalls(100);
    SleepNs(1000000);
  }
}

void* ChurnThread(void*) {
  (void)syscall(SYS_getppid);
  return nullptr;
}

// Creates `total` short-lived threads at `rate` per second, at most 64 alive
// at once; every one is joined. Returns how many were created.
long Churn(long total, long rate) {
  pthread_attr_t attr = SmallStack();
  std::vector<pthread_t> alive;
  const uint64_t start = NowNs();
  long created = 0;
  while (created < total) {
    // Pace: thread i starts no earlier than start + i / rate.
    const uint64_t due = start + static_cast<uint64_t>(created) * 1000000000ull / static_cast<uint64_t>(rate);
    const uint64_t now = NowNs();
    if (due > now) SleepNs(due - now);
    pthread_t t;
    const int err = pthread_create(&t, &attr, ChurnThread, nullptr);
    if (err != 0) Die(std::string("pthread_create: ") + std::strerror(err));
    alive.push_back(t);
    ++created;
    if (alive.size() >= 64) {
      for (pthread_t a : alive) pthread_join(a, nullptr);
      alive.clear();
    }
  }
  for (pthread_t a : alive) pthread_join(a, nullptr);
  return created;
}

// Idle threads block on a pipe until it is closed.
int g_idle_pipe[2] = {-1, -1};

void* IdleThread(void*) {
  char c;
  while (read(g_idle_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  return nullptr;
}

void* ExecThread(void* arg) {
  const std::string* image = static_cast<const std::string*>(arg);
  char* argv[] = {const_cast<char*>(image->c_str()), const_cast<char*>("busy"), nullptr};
  execv(image->c_str(), argv);
  Die(std::string("execv ") + *image + ": " + std::strerror(errno));
}

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) Die("usage: fault_target MODE [flags] (see the source)");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* prefix) -> const char* {
      const size_t n = std::strlen(prefix);
      return a.compare(0, n, prefix) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--name=")) {
      o.name = v;
    } else if (const char* v = value("--threads=")) {
      o.threads = std::atol(v);
    } else if (const char* v = value("--rate=")) {
      o.rate = std::atol(v);
    } else if (const char* v = value("--children=")) {
      o.children = std::atol(v);
    } else if (const char* v = value("--image=")) {
      o.image = v;
    } else if (a == "--from-thread") {
      o.from_thread = true;
    } else {
      Die("unknown flag " + a);
    }
  }
  if (o.rate <= 0) Die("--rate must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (!o.name.empty()) prctl(PR_SET_NAME, o.name.c_str(), 0, 0, 0);
  sigemptyset(&g_signals);
  sigaddset(&g_signals, SIGUSR1);
  sigaddset(&g_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &g_signals, nullptr);

  if (o.mode == "busy") {
    Say("ready");
    Busy();
  }
  if (o.mode == "idle") {
    if (pipe2(g_idle_pipe, O_CLOEXEC) != 0) Die("pipe2 failed");
    pthread_attr_t attr = SmallStack();
    std::vector<pthread_t> threads(static_cast<size_t>(o.threads));
    for (pthread_t& t : threads) {
      const int err = pthread_create(&t, &attr, IdleThread, nullptr);
      if (err != 0) Die(std::string("pthread_create: ") + std::strerror(err));
    }
    Say("ready " + std::to_string(threads.size()));
    WaitForCue();
    close(g_idle_pipe[1]);  // every reader sees EOF and returns
    for (pthread_t t : threads) pthread_join(t, nullptr);
    Say("joined " + std::to_string(threads.size()));
    for (;;) WaitForCue();
  }
  Say("ready");
  if (o.mode == "churn") {
    WaitForCue();
    const uint64_t start = NowNs();
    const long created = Churn(o.threads, o.rate);
    Say("churned " + std::to_string(created) + " in " + std::to_string((NowNs() - start) / 1000000) + " ms");
    for (;;) WaitForCue();
  }
  if (o.mode == "exit") {
    WaitForCue();
    Syscalls(1000);
    std::exit(0);
  }
  if (o.mode == "crash") {
    WaitForCue();
    Syscalls(1000);
    signal(SIGSEGV, SIG_DFL);
    *static_cast<volatile int*>(nullptr) = 1;
    return 3;
  }
  if (o.mode == "exec") {
    if (o.image.empty()) Die("exec needs --image=PATH");
    // A second thread that is alive during the exec, so de_thread has work.
    pthread_attr_t attr = SmallStack();
    if (pipe2(g_idle_pipe, O_CLOEXEC) != 0) Die("pipe2 failed");
    pthread_t idle;
    pthread_create(&idle, &attr, IdleThread, nullptr);
    WaitForCue();
    Syscalls(1000);
    if (o.from_thread) {
      pthread_t t;
      pthread_create(&t, &attr, ExecThread, const_cast<std::string*>(&o.image));
      for (;;) pause();
    }
    ExecThread(const_cast<std::string*>(&o.image));
  }
  if (o.mode == "fork") {
    int release[2];
    if (pipe2(release, O_CLOEXEC) != 0) Die("pipe2 failed");
    WaitForCue();
    std::vector<pid_t> kids;
    for (long i = 0; i < o.children; ++i) {
      const pid_t pid = fork();
      if (pid < 0) Die(std::string("fork: ") + std::strerror(errno));
      if (pid == 0) {
        close(release[1]);
        char c;
        while (read(release[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      kids.push_back(pid);
    }
    Say("forked " + std::to_string(kids.size()));
    WaitForCue();
    close(release[1]);
    for (pid_t k : kids) waitpid(k, nullptr, 0);
    Say("reaped " + std::to_string(kids.size()));
    for (;;) WaitForCue();
  }
  Die("unknown mode " + o.mode);
}
