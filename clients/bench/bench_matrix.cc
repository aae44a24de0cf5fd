#include "bench_matrix.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::bench {

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kUnloaded:
      return "unloaded";
    case Phase::kClosed:
      return "closed";
    case Phase::kOpen:
      return "open";
    case Phase::kProof:
      return "proof";
  }
  return "?";
}

std::string Setup::Id() const {
  std::string id = absl::StrCat(client, "-client.c", conns, ".s", size, ".w", work_ns);
  if (work_bytes > 0) absl::StrAppend(&id, ".ws", work_bytes);
  absl::StrAppend(&id, ".", PlacementName(placement));
  return id;
}

std::string Setup::Label() const {
  std::string size_text = size % 1024 == 0 ? absl::StrCat(size / 1024, " KiB") : absl::StrCat(size, " B");
  std::string out = absl::StrCat(conns, conns == 1 ? " conn, " : " conns, ", size_text);
  if (work_ns > 0) absl::StrAppend(&out, ", work ", work_ns, " ns");
  if (work_bytes > 0) absl::StrAppend(&out, " over ", work_bytes, " B");
  absl::StrAppend(&out, ", ", PlacementName(placement));
  if (client != "uring") absl::StrAppend(&out, ", ", client, " client");
  return out;
}

Setup Setup::Unloaded() const {
  Setup s = *this;
  s.conns = 1;
  return s;
}

std::string Point::Id() const {
  std::string load;
  switch (phase) {
    case Phase::kUnloaded:
      load = "unloaded";
      break;
    case Phase::kClosed:
      load = "closed";
      break;
    case Phase::kOpen:
      load = absl::StrFormat("open%g", fraction);
      break;
    case Phase::kProof:
      load = absl::StrFormat("proof%g", fraction);
      break;
  }
  return absl::StrCat(server, ".", setup.Id(), ".", load, agent ? "+agent" : "");
}

std::string RunSlot::Key() const { return absl::StrCat(point.Id(), "#", repeat); }

CpuPlan PlanCpus(Placement placement, int online_cpus) {
  const int half = std::max(1, online_cpus / 2);
  auto range = [](int lo, int hi) {  // [lo, hi)
    return hi - lo == 1 ? absl::StrCat(lo) : absl::StrCat(lo, "-", hi - 1);
  };
  CpuPlan plan;
  plan.server = range(0, half);
  plan.client = placement == Placement::kSeparate ? range(half, std::max(half + 1, online_cpus)) : plan.server;
  return plan;
}

std::vector<Setup> ExpandSetups(const BenchConfig& c) {
  std::vector<Setup> out;
  for (Placement placement : c.placements) {
    for (const std::string& client : c.clients) {
      for (size_t size : c.sizes) {
        for (int64_t work_ns : c.work_ns) {
          for (int64_t work_bytes : c.work_bytes) {
            for (int conns : c.conns) {
              out.push_back(Setup{client, conns, size, work_ns, work_bytes, placement});
            }
          }
        }
      }
    }
  }
  return out;
}

namespace {

// A group runs repeat-major: r0 of every point, then r1, ...
void AddGroup(const std::vector<Point>& group, int repeats, std::vector<RunSlot>* out) {
  for (int r = 0; r < repeats; ++r) {
    for (const Point& p : group) out->push_back(RunSlot{p, r});
  }
}

}  // namespace

std::vector<RunSlot> ExpandMatrix(const BenchConfig& c) {
  const std::vector<Setup> setups = ExpandSetups(c);
  std::vector<RunSlot> out;

  std::vector<Setup> unloaded;
  for (const Setup& s : setups) {
    const Setup u = s.Unloaded();
    if (std::find(unloaded.begin(), unloaded.end(), u) == unloaded.end()) unloaded.push_back(u);
  }
  for (const Setup& u : unloaded) {
    std::vector<Point> group;
    for (const std::string& server : c.servers) group.push_back(Point{Phase::kUnloaded, server, u, 0, false});
    AddGroup(group, c.repeats, &out);
  }

  // Closed loop: every setup needs it (saturation), even with `closed` left
  // out of loads (validation requires it whenever something depends on it).
  if (c.closed_loop) {
    for (const Setup& s : setups) {
      std::vector<Point> group;
      for (const std::string& server : c.servers) group.push_back(Point{Phase::kClosed, server, s, 0, false});
      AddGroup(group, c.repeats, &out);
    }
  }

  for (const Setup& s : setups) {
    for (double f : c.open_fractions) {
      std::vector<Point> group;
      for (const std::string& server : c.servers) {
        group.push_back(Point{Phase::kOpen, server, s, f, false});
        if (c.agent == AgentMode::kAll) group.push_back(Point{Phase::kOpen, server, s, f, true});
      }
      AddGroup(group, c.repeats, &out);
    }
  }

  if (c.proof_load) {
    for (const Setup& s : setups) {
      std::vector<Point> group;
      for (const char* server : {"blocking", "uring"})
        group.push_back(Point{Phase::kProof, server, s, *c.proof_load, false});
      if (c.agent != AgentMode::kOff) {
        for (const char* server : {"blocking", "uring"}) {
          group.push_back(Point{Phase::kProof, server, s, *c.proof_load, true});
        }
      }
      AddGroup(group, c.repeats, &out);
    }
  }
  return out;
}

}  // namespace iotax::bench
