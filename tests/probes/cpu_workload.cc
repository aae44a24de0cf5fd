// Workloads whose CPU the kernel accounts in known ways, for checking that the
// tracer's CPU figures agree with the kernel's per-thread run time
// (tests/probes/tracer_cpu_agreement_test.cc).
//
//   cpu_workload MODE [ARG]
//
//   spin          one thread spinning in user mode, pinned to CPU 0, no syscalls
//   pingpong US   two threads pinned to CPU 0 bounce a byte over two pipes, then
//                 the first sleeps US microseconds: every round trip has two
//                 blocking reads and, when CPU 0 has nothing else to do, a
//                 wakeup of an idle CPU (interrupt and idle exit before the
//                 woken thread's sched_switch)
//   blockread US  a reader blocks in read() on a socketpair that a writer
//                 thread (not pinned) fills with 64 bytes every US microseconds
//   threads N     N threads: one spins, the rest block in pause()
//   handoff US    a thread pool of one: the main thread hands a job to a
//                 worker through a condition-variable queue and waits (on
//                 another) for it to hand the result back, then sleeps US
//                 microseconds: two blocked queue waits (FUTEX_WAIT_BITSET),
//                 each woken by the other thread, per round
//   contend N     N threads take one mutex for 50 µs of spinning, then spin
//                 10 µs outside it: contended-lock waits (FUTEX_WAIT)
//   rearm US      an epoll set watching a pipe (one-shot): the main thread
//                 polls it (epoll_wait, timeout 0) and re-arms it once per
//                 round, a worker that never polls re-arms it twice per
//                 round; each then sleeps US microseconds (epoll_ctl of a
//                 loop's own thread: poll_ctl; of another thread: poll_rearm)
//   pathwalk KIB  a writer thread sends two messages on a datagram
//                 socketpair every 300 µs; the reader reads them one by one
//                 (the first read blocks, the second finds its message
//                 waiting) and after each writes a byte to a file; after
//                 the first it also walks KIB KiB (one load per cache line):
//                 its user segments after blocked reads are longer by the
//                 walk (tests/probes/tracer_paths_test.cc). Before "ready"
//                 it prints "walk_ns N": one warm walk, timed in-process
//                 (median of 200).
//
// Prints "ready\n" once every thread runs, then works until killed.
#include <pthread.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

std::atomic<int> g_started{0};
std::atomic<uint64_t> g_sink{0};
int g_us = 200;
int g_ab[2], g_ba[2];  // pingpong pipes; g_ab also the blockread socketpair (and the rearm pipe)
int g_ep = -1;         // rearm's epoll set

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::_Exit(2);
}

void PinToCpu0() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die("sched_setaffinity");
}

void SleepUs(int us) {
  const timespec d{us / 1000000, (us % 1000000) * 1000L};
  nanosleep(&d, nullptr);
}

[[noreturn]] void Spin() {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (;;) {
    for (int i = 0; i < 1000000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    // The store alone is not enough: clang sees that nothing reads g_sink,
    // drops it, and then treats the side-effect-free endless loop as
    // unreachable (the function fell through into Die). The empty asm makes
    // the result used.
    asm volatile("" : : "r"(x) : "memory");
    g_sink.store(x, std::memory_order_relaxed);
  }
}

void* PingPongEcho(void*) {
  PinToCpu0();
  g_started++;
  char c;
  for (;;) {
    if (read(g_ab[0], &c, 1) != 1 || write(g_ba[1], &c, 1) != 1) Die("echo");
  }
}

void* BlockReadWriter(void*) {
  g_started++;
  char buf[64];
  std::memset(buf, 'w', sizeof(buf));
  for (;;) {
    SleepUs(g_us);
    if (write(g_ab[1], buf, sizeof(buf)) != static_cast<ssize_t>(sizeof(buf))) Die("writer");
  }
}

void* PairWriter(void*) {
  g_started++;
  char a = 'A', b = 'B';
  for (;;) {
    SleepUs(300);
    if (write(g_ab[1], &a, 1) != 1 || write(g_ab[1], &b, 1) != 1) Die("pair writer");
  }
}

uint64_t Walk(const volatile char* p, size_t bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes; i += 64) sum += static_cast<unsigned char>(p[i]);
  return sum;
}

uint64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

void* Sleeper(void*) {
  g_started++;
  for (;;) pause();
}

// One slot each way, guarded by one mutex: jobs to the worker, results back.
std::mutex g_mu;
std::condition_variable g_to_worker, g_to_main;
bool g_job = false, g_result = false;

void* HandoffWorker(void*) {
  g_started++;
  for (;;) {
    std::unique_lock<std::mutex> lock(g_mu);
    g_to_worker.wait(lock, [] { return g_job; });
    g_job = false;
    g_result = true;
    g_to_main.notify_one();
  }
}

// Re-arms the pipe's one-shot watch in rearm's epoll set.
void Rearm() {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  if (epoll_ctl(g_ep, EPOLL_CTL_MOD, g_ab[0], &ev) != 0) Die("epoll_ctl");
}

void* RearmWorker(void*) {
  g_started++;
  for (;;) {
    Rearm();
    Rearm();
    SleepUs(g_us);
  }
  return nullptr;
}

void SpinUs(int us) {
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

void* Contender(void*) {
  g_started++;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(g_mu);
      SpinUs(50);
    }
    SpinUs(10);
  }
}

void* Spinner(void*) {
  g_started++;
  Spin();
}

void StartThread(void* (*fn)(void*)) {
  pthread_t t;
  if (pthread_create(&t, nullptr, fn, nullptr) != 0) Die("pthread_create");
}

void Ready(int threads) {
  while (g_started.load() < threads) SleepUs(1000);
  if (write(1, "ready\n", 6) != 6) Die("write ready");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s spin | pingpong US | blockread US | threads N | handoff US | contend N | pathwalk KIB | "
                 "rearm US\n",
                 argv[0]);
    return 2;
  }
  const char* mode = argv[1];
  const int arg = argc > 2 ? std::atoi(argv[2]) : 0;
  if (std::strcmp(mode, "spin") == 0) {
    PinToCpu0();
    Ready(0);
    Spin();
  } else if (std::strcmp(mode, "pingpong") == 0) {
    g_us = arg;
    if (pipe(g_ab) != 0 || pipe(g_ba) != 0) Die("pipe");
    PinToCpu0();
    StartThread(PingPongEcho);
    Ready(1);
    char c = 'p';
    for (;;) {
      if (write(g_ab[1], &c, 1) != 1 || read(g_ba[0], &c, 1) != 1) Die("ping");
      if (g_us > 0) SleepUs(g_us);
    }
  } else if (std::strcmp(mode, "blockread") == 0) {
    g_us = arg;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, g_ab) != 0) Die("socketpair");
    StartThread(BlockReadWriter);
    Ready(1);
    char buf[64];
    for (;;) {
      if (read(g_ab[0], buf, sizeof(buf)) <= 0) Die("reader");
    }
  } else if (std::strcmp(mode, "pathwalk") == 0) {
    const size_t bytes = static_cast<size_t>(arg > 0 ? arg : 256) * 1024;
    std::vector<char> set(bytes, 1);
    std::vector<uint64_t> took;
    for (int i = 0; i < 200; ++i) {
      const uint64_t t0 = NowNs();
      g_sink += Walk(set.data(), bytes);
      took.push_back(NowNs() - t0);
    }
    std::sort(took.begin(), took.end());
    std::printf("walk_ns %llu\n", static_cast<unsigned long long>(took[took.size() / 2]));
    std::fflush(stdout);
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, g_ab) != 0) Die("socketpair");
    // A regular file (unnamed, gone at exit): a file_write, one of the path
    // classes (/dev/null is a character device, class other).
    const int file_fd = open("/tmp", O_TMPFILE | O_WRONLY, 0600);
    if (file_fd < 0) Die("O_TMPFILE in /tmp");
    StartThread(PairWriter);
    Ready(1);
    char c;
    for (;;) {
      if (read(g_ab[0], &c, 1) != 1) Die("pathwalk read");
      if (c == 'A') g_sink += Walk(set.data(), bytes);
      if (write(file_fd, &c, 1) != 1) Die("pathwalk write");
    }
  } else if (std::strcmp(mode, "threads") == 0) {
    if (arg < 1 || arg > 10000) Die("threads: N must be 1..10000");
    StartThread(Spinner);
    for (int i = 1; i < arg; ++i) StartThread(Sleeper);
    Ready(arg);
    for (;;) pause();
  } else if (std::strcmp(mode, "handoff") == 0) {
    StartThread(HandoffWorker);
    Ready(1);
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(g_mu);
        g_job = true;
        g_to_worker.notify_one();
        g_to_main.wait(lock, [] { return g_result; });
        g_result = false;
      }
      if (arg > 0) SleepUs(arg);
    }
  } else if (std::strcmp(mode, "rearm") == 0) {
    g_us = arg;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    g_ep = epoll_create1(0);
    if (g_ep < 0 || pipe(g_ab) != 0 || epoll_ctl(g_ep, EPOLL_CTL_ADD, g_ab[0], &ev) != 0) Die("epoll");
    StartThread(RearmWorker);
    Ready(1);
    for (;;) {
      epoll_event ready;
      if (epoll_wait(g_ep, &ready, 1, 0) < 0) Die("epoll_wait");
      Rearm();
      SleepUs(g_us);
    }
  } else if (std::strcmp(mode, "contend") == 0) {
    if (arg < 2 || arg > 64) Die("contend: N must be 2..64");
    for (int i = 0; i < arg; ++i) StartThread(Contender);
    Ready(arg);
    for (;;) pause();
  }
  std::fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
