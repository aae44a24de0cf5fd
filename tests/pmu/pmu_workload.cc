// A workload whose user-mode segments are known in advance, for the tier-3
// (PMU) tests. Run by tests/pmu through pmu_child.h:
//
//   pmu_workload [--segment-ns=L1,L2,..] [--segments=K] [--blocking=N]
//                [--nonblocking=M] [--threads=T] [--preempt-ms=P] [--cpu=C]
//                [--spin-ms=S]
//
// Protocol on stdin/stdout (the test drives both ends):
//   child: "ready <tid>\n", then blocks reading one byte of stdin ("go");
//   phases, in this order, each optional:
//     segments: for each L, K times: busy-wait L ns on the vDSO clock (no
//               syscall), then getppid() — K after-syscall segments of ~L ns;
//     spin:     S ms of pure user work with a getppid() every ~200 us;
//     blocking: N times: write "a" to stdout, then read 1 byte of stdin,
//               which the test writes 1 ms after it saw the "a" — N reads
//               that block;
//     nonblocking: M getppid() calls back to back;
//     threads:  T threads that each call getppid() once and return;
//     preempt:  two threads pinned to CPU C, each spinning P ms of wall time
//               with no syscall, so each is preempted by the other;
//   child: "nonblocking_ns_per_call X\n" (the mean wall time of one getppid()
//   above, when M > 0), "done\n", then blocks reading one byte of stdin
//   ("exit"), exits 0.
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint64_t MonoNs() {  // vDSO: no kernel entry
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::_Exit(2);
}

void WriteAll(const char* s) {
  const size_t n = std::strlen(s);
  if (write(1, s, n) != static_cast<ssize_t>(n)) Die("write stdout");
}

void ReadByte() {
  char c;
  if (read(0, &c, 1) != 1) Die("read stdin");
}

std::atomic<uint64_t> sink{0};

void BusyWaitNs(uint64_t ns) {
  const uint64_t end = MonoNs() + ns;
  uint64_t x = 1;
  while (MonoNs() < end) x = x * 6364136223846793005ull + 1;
  sink.fetch_add(x, std::memory_order_relaxed);
}

int g_cpu = 0;
uint64_t g_preempt_ns = 0;

void* Spinner(void*) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(g_cpu, &set);
  // Before the spin: from here on, no syscall until the thread returns.
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die("sched_setaffinity");
  BusyWaitNs(g_preempt_ns);
  return nullptr;
}

void* OneSyscall(void*) {
  syscall(SYS_getppid);
  return nullptr;
}

std::vector<uint64_t> ParseList(const char* s) {
  std::vector<uint64_t> v;
  while (*s) {
    char* end = nullptr;
    v.push_back(std::strtoull(s, &end, 10));
    if (end == s) break;
    s = *end == ',' ? end + 1 : end;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint64_t> segment_ns;
  long segments = 0, blocking = 0, nonblocking = 0, threads = 0, spin_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    auto val = [&](const char* flag) -> const char* {
      const size_t n = std::strlen(flag);
      return std::strncmp(a, flag, n) == 0 ? a + n : nullptr;
    };
    if (const char* v = val("--segment-ns=")) segment_ns = ParseList(v);
    else if (const char* v = val("--segments=")) segments = std::atol(v);
    else if (const char* v = val("--blocking=")) blocking = std::atol(v);
    else if (const char* v = val("--nonblocking=")) nonblocking = std::atol(v);
    else if (const char* v = val("--threads=")) threads = std::atol(v);
    else if (const char* v = val("--preempt-ms=")) g_preempt_ns = std::strtoull(v, nullptr, 10) * 1000000ull;
    else if (const char* v = val("--cpu=")) g_cpu = std::atoi(v);
    else if (const char* v = val("--spin-ms=")) spin_ms = std::atol(v);
    else {
      std::fprintf(stderr, "pmu_workload: unknown argument %s\n", a);
      return 2;
    }
  }

  char line[64];
  std::snprintf(line, sizeof(line), "ready %ld\n", static_cast<long>(syscall(SYS_gettid)));
  WriteAll(line);
  ReadByte();  // go

  for (uint64_t len : segment_ns) {
    for (long k = 0; k < segments; ++k) {
      BusyWaitNs(len);
      syscall(SYS_getppid);
    }
  }
  if (spin_ms > 0) {
    const uint64_t end = MonoNs() + static_cast<uint64_t>(spin_ms) * 1000000ull;
    while (MonoNs() < end) {
      BusyWaitNs(200000);
      syscall(SYS_getppid);
    }
  }
  for (long i = 0; i < blocking; ++i) {
    WriteAll("a");
    ReadByte();
  }
  if (nonblocking > 0) {
    const uint64_t t0 = MonoNs();
    for (long i = 0; i < nonblocking; ++i) syscall(SYS_getppid);
    std::snprintf(line, sizeof(line), "nonblocking_ns_per_call %.1f\n",
                  static_cast<double>(MonoNs() - t0) / static_cast<double>(nonblocking));
    WriteAll(line);
  }
  for (long i = 0; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, OneSyscall, nullptr) != 0) Die("pthread_create");
    pthread_join(t, nullptr);
  }
  if (g_preempt_ns > 0) {
    pthread_t t[2];
    for (pthread_t& x : t) {
      if (pthread_create(&x, nullptr, Spinner, nullptr) != 0) Die("pthread_create");
    }
    for (pthread_t& x : t) pthread_join(x, nullptr);
  }

  WriteAll("done\n");
  ReadByte();  // exit
  return 0;
}
