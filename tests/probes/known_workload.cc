// A workload whose syscalls, blocking and run-queue waits are known in
// advance, for checking the tracer (and for comparing with strace -c -f).
//
//   known_workload GO_FILE [N] [SLEEP_MS] [SPIN_MS] [CPU]
//
// Protocol: it prepares everything, writes "ready\n" to stdout, then spins in
// user mode (no syscall in flight, so an attaching tracer or strace starts on
// a clean boundary) until the first byte of GO_FILE, which it has mapped,
// becomes 'g'. Then, with a fixed and timing-independent sequence of syscalls:
//   1. N blocking 1-byte reads of a pipe that a feeder thread writes after
//      sleeping SLEEP_MS before each byte (every read blocks once);
//   2. N 1-byte reads of a pipe already holding N bytes (none blocks);
//   3. two threads pinned to CPU, each spinning for about SPIN_MS of CPU
//      time, so each waits in the run queue for about as long.
// It prints what it measured itself ("key value" lines) and exits.
//
// Every wait whose syscall count would depend on timing is avoided:
// pthread_join is only called after pthread_tryjoin_np (no syscall) saw the
// thread gone, and the main thread waits for spinners with one poll() per
// thread instead of a blocking read (so the read class holds exactly the
// blocking reads of phase 1 as blocked calls).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

int g_n = 50;
int g_sleep_ms = 10;
int g_spin_ms = 200;
int g_cpu = 0;
uint64_t g_spin_iters = 0;  // calibrated: loop iterations per SPIN_MS of CPU

int g_feed[2];       // phase 1
int g_full[2];       // phase 2
int g_done[2][2];    // phase 3: one pipe per spinner

uint64_t NowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::_Exit(2);
}

// Pure user-mode work; `sink` keeps the compiler from removing it.
std::atomic<uint64_t> sink{0};
void Spin(uint64_t iters) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint64_t i = 0; i < iters; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  sink.fetch_add(x, std::memory_order_relaxed);
}

uint64_t CalibrateItersPerMs() {
  constexpr uint64_t kProbe = 2000000;
  uint64_t best = ~0ull;
  for (int i = 0; i < 5; ++i) {  // best of five: the least disturbed run
    const uint64_t t0 = NowNs(CLOCK_THREAD_CPUTIME_ID);
    Spin(kProbe);
    const uint64_t dt = NowNs(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (dt < best) best = dt;
  }
  return kProbe * 1000000ull / (best == 0 ? 1 : best);
}

// Waits for a thread that has already done its last visible work, without a
// syscall: pthread_join would futex-wait or not depending on timing.
void JoinExited(pthread_t t) {
  while (pthread_tryjoin_np(t, nullptr) != 0) {
    __builtin_ia32_pause();
  }
}

void* Feeder(void*) {
  const timespec delay{g_sleep_ms / 1000, (g_sleep_ms % 1000) * 1000000L};
  for (int i = 0; i < g_n; ++i) {
    nanosleep(&delay, nullptr);
    if (write(g_feed[1], "x", 1) != 1) Die("feeder write");
  }
  return nullptr;
}

struct SpinResult {
  int index;
  uint64_t wall_ns;
  uint64_t cpu_ns;
};

void* Spinner(void* arg) {
  auto* r = static_cast<SpinResult*>(arg);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(g_cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die("sched_setaffinity");
  const uint64_t wall0 = NowNs(CLOCK_MONOTONIC);  // vDSO: no syscall
  const uint64_t cpu0 = NowNs(CLOCK_THREAD_CPUTIME_ID);
  Spin(g_spin_iters);
  r->cpu_ns = NowNs(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  r->wall_ns = NowNs(CLOCK_MONOTONIC) - wall0;
  if (write(g_done[r->index][1], "d", 1) != 1) Die("spinner write");
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s GO_FILE [N] [SLEEP_MS] [SPIN_MS] [CPU]\n", argv[0]);
    return 2;
  }
  if (argc > 2) g_n = std::atoi(argv[2]);
  if (argc > 3) g_sleep_ms = std::atoi(argv[3]);
  if (argc > 4) g_spin_ms = std::atoi(argv[4]);
  if (argc > 5) g_cpu = std::atoi(argv[5]);
  if (g_n <= 0 || g_n > 4096 || g_sleep_ms < 0 || g_spin_ms < 0) {
    std::fprintf(stderr, "N must be 1..4096, times non-negative\n");
    return 2;
  }

  // --- preparation (before "go": none of this is measured) ---
  const int go_fd = open(argv[1], O_RDONLY);
  if (go_fd < 0) Die("open GO_FILE");
  auto* go = static_cast<volatile char*>(mmap(nullptr, 1, PROT_READ, MAP_SHARED, go_fd, 0));
  if (go == MAP_FAILED) Die("mmap GO_FILE");
  if (pipe(g_feed) != 0 || pipe(g_full) != 0 || pipe(g_done[0]) != 0 || pipe(g_done[1]) != 0) Die("pipe");
  static char fill[4096];
  for (int i = 0; i < g_n; ++i) fill[i] = 'f';
  if (write(g_full[1], fill, g_n) != g_n) Die("fill pipe");
  prctl(PR_SET_TIMERSLACK, 1UL);  // feeder sleeps as close to SLEEP_MS as the kernel can
  g_spin_iters = CalibrateItersPerMs() * g_spin_ms;
  // Warm up pthread_create and the stack cache, so the measured part's
  // syscalls do not depend on glibc's first-thread setup.
  pthread_t warm;
  if (pthread_create(&warm, nullptr, [](void*) -> void* { return nullptr; }, nullptr) != 0) Die("warm-up thread");
  pthread_join(warm, nullptr);
  static SpinResult results[2] = {{0, 0, 0}, {1, 0, 0}};
  char buf[16];
  static char out[1024];

  if (write(1, "ready\n", 6) != 6) Die("write ready");
  while (*go != 'g') __builtin_ia32_pause();

  // --- phase 1: every read blocks until the feeder's next byte ---
  pthread_t feeder;
  if (pthread_create(&feeder, nullptr, Feeder, nullptr) != 0) Die("feeder thread");
  uint64_t blocking_wall_ns = 0;
  for (int i = 0; i < g_n; ++i) {
    const uint64_t t0 = NowNs(CLOCK_MONOTONIC);
    if (read(g_feed[0], buf, 1) != 1) Die("blocking read");
    blocking_wall_ns += NowNs(CLOCK_MONOTONIC) - t0;
  }
  JoinExited(feeder);

  // --- phase 2: data is already there, no read blocks ---
  for (int i = 0; i < g_n; ++i) {
    if (read(g_full[0], buf, 1) != 1) Die("non-blocking read");
  }

  // --- phase 3: two spinners share one CPU ---
  pthread_t spinners[2];
  for (int i = 0; i < 2; ++i) {
    if (pthread_create(&spinners[i], nullptr, Spinner, &results[i]) != 0) Die("spinner thread");
  }
  for (int i = 0; i < 2; ++i) {
    pollfd p{g_done[i][0], POLLIN, 0};
    if (poll(&p, 1, -1) != 1) Die("poll");
    if (read(g_done[i][0], buf, 1) != 1) Die("done read");
    JoinExited(spinners[i]);
  }

  const int len = std::snprintf(
      out, sizeof(out),
      "n %d\nsleep_ms %d\nblocking_read_wall_ns %llu\n"
      "spin0_wall_ns %llu\nspin0_cpu_ns %llu\nspin1_wall_ns %llu\nspin1_cpu_ns %llu\n",
      g_n, g_sleep_ms, static_cast<unsigned long long>(blocking_wall_ns),
      static_cast<unsigned long long>(results[0].wall_ns), static_cast<unsigned long long>(results[0].cpu_ns),
      static_cast<unsigned long long>(results[1].wall_ns), static_cast<unsigned long long>(results[1].cpu_ns));
  if (write(1, out, len) != len) Die("write results");
  return 0;
}
