// Synthetic run records for the tests: a point's run with chosen throughput,
// latency and server CPU per request, and optionally an agent estimate.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "bench_matrix.h"
#include "run_record.h"

namespace iotax::bench::testing {

inline Setup MakeSetup(int conns = 100, Placement placement = Placement::kSeparate) {
  return Setup{"uring", conns, 512, 0, 0, placement};
}

// A finished run of `point` (repeat r): `tput` req/s over a 1 s window,
// `cpu_us` server CPU per request, p50/p99 latency in µs.
inline RunRecord MakeRun(const Point& point, int repeat, double tput, double cpu_us, double p50_us = 100,
                         double p99_us = 1000) {
  RunRecord r;
  r.point = point;
  r.repeat = repeat;
  r.key = RunSlot{point, repeat}.Key();
  r.ok = true;
  r.server_cpus = "0";
  r.client_cpus = "1";
  r.duration_s = 1;
  r.requests = static_cast<uint64_t>(tput);
  r.throughput_rps = tput;
  r.p50_us = p50_us;
  r.p99_us = p99_us;
  r.p999_us = 2 * p99_us;
  r.server_window_s = 1;
  r.server_cpu_s = cpu_us * 1e-6 * tput;
  r.server_user_s = r.server_cpu_s / 4;
  r.server_sys_s = r.server_cpu_s - r.server_user_s;
  r.server_voluntary = static_cast<uint64_t>(tput);
  r.client_cpu_s = 10e-6 * tput;
  r.server_threads = point.setup.conns + 1;
  r.server_cpu_source = "schedstat";
  return r;
}

// An agent estimate over a 1 s window for a run of `tput` req/s whose server
// used `cpu_us` per request: the parts per request in µs.
inline AgentEstimate MakeEstimate(double tput, double cpu_us, double user_us, double syscall_us, double untraced_us,
                                  double direct_us, double async_us, double syscalls_per_req) {
  AgentEstimate a;
  a.window_s = 1;
  a.cpu_s = cpu_us * 1e-6 * tput;
  a.cpu_source = "kernel";
  a.user_s = user_us * 1e-6 * tput;
  a.syscall_s = syscall_us * 1e-6 * tput;
  a.untraced_s = untraced_us * 1e-6 * tput;
  a.syscalls = static_cast<uint64_t>(syscalls_per_req * tput);
  a.direct_s = direct_us * 1e-6 * tput;
  a.async_cost_s = async_us * 1e-6 * tput;
  a.saving_s = *a.direct_s - *a.async_cost_s;
  a.saving_share = *a.saving_s / a.cpu_s;
  a.overhead_share = *a.direct_s / a.cpu_s;
  a.level = "maybe";
  a.confidence = "low";
  a.async_cost_source = "target_nonblocking_calls";
  return a;
}

}  // namespace iotax::bench::testing
