// The config expanded into points and the order they run in. A point is one
// measured situation (server, client, connections, size, work, placement,
// load, agent attached or not); it runs `repeats` times. Ids are stable
// strings built from the parameters, so a resumed run finds its points again.
//
// Phases run in order, because later ones need earlier results:
//   unloaded   1 connection, closed loop: the round trip that slowdown divides by
//   closed     the closed loop at each conns: throughput, and each model's saturation
//   open       open loop at fractions of that model's saturation
//   proof      open loop at proof_load x the blocking server's saturation, for the
//              blocking and io_uring servers, without and with iotaxd attached
// Within a phase, points that differ only in the server model form a group;
// a group runs repeat by repeat, the models alternating inside each repeat,
// so a change in the machine's load hits every model alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_config.h"

namespace iotax::bench {

enum class Phase { kUnloaded, kClosed, kOpen, kProof };
const char* PhaseName(Phase p);

// Everything about a point but the server model and the load: the
// "configuration" the proof reports one row for.
struct Setup {
  std::string client;
  int conns = 0;
  size_t size = 0;
  int64_t work_ns = 0;
  int64_t work_bytes = 0;
  Placement placement = Placement::kSeparate;

  // e.g. "uring-client.c100.s512.w0.separate" (work_bytes only when set).
  std::string Id() const;
  // Short human label, e.g. "100 conns, 512 B, separate".
  std::string Label() const;
  // The same setup with 1 connection (the unloaded round trip's key).
  Setup Unloaded() const;
  bool operator==(const Setup&) const = default;
};

struct Point {
  Phase phase = Phase::kClosed;
  std::string server;
  Setup setup;
  // kOpen: of this server's saturation; kProof: of the blocking server's.
  double fraction = 0;
  bool agent = false;

  // e.g. "blocking.uring-client.c100.s512.w0.separate.open0.5+agent".
  std::string Id() const;
};

// One execution: a point and its repeat number (0-based).
struct RunSlot {
  Point point;
  int repeat = 0;
  std::string Key() const;  // Id() + "#" + repeat
};

// CPU lists for a placement on a machine with `online_cpus` CPUs; separate
// needs at least 2.
struct CpuPlan {
  std::string server;  // e.g. "0"
  std::string client;  // e.g. "1"
};
CpuPlan PlanCpus(Placement placement, int online_cpus);

// Every run, in execution order.
std::vector<RunSlot> ExpandMatrix(const BenchConfig& config);

// The setups of the config (client x conns x sizes x work x placements), in order.
std::vector<Setup> ExpandSetups(const BenchConfig& config);

}  // namespace iotax::bench
