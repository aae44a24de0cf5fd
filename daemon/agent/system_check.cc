#include "system_check.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capabilities.h"

namespace iotax {

bool HasBpfPrivileges() { return caps::MayTrace(caps::Current()); }

std::vector<PrerequisiteItem> CheckPrerequisites(const SystemPaths& paths, bool privileged) {
  std::vector<PrerequisiteItem> items;
  items.push_back({"privileges", privileged, true,
                   privileged ? "root, CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN"
                              : "needs root or CAP_BPF+CAP_PERFMON to load BPF programs: run iotaxd with sudo"});
  const bool btf = access(paths.btf.c_str(), R_OK) == 0;
  items.push_back({"btf", btf, true,
                   btf ? paths.btf
                       : absl::StrCat("kernel BTF is missing (", paths.btf,
                                      "): iotaxd needs a kernel built with CONFIG_DEBUG_INFO_BTF=y")});
  std::ifstream in(paths.bpf_stats_enabled);
  int enabled = 0;
  const bool readable = static_cast<bool>(in >> enabled);
  items.push_back({"bpf_stats", readable && enabled != 0, false,
                   !readable ? absl::StrCat(paths.bpf_stats_enabled, " not readable: BPF run-time stats unavailable")
                   : enabled ? "kernel.bpf_stats_enabled=1: BPF run time is exported"
                             : "kernel.bpf_stats_enabled=0: pass --bpf-stats to export BPF run time"});
  return items;
}

std::optional<std::string> FirstMissingPrerequisite(const std::vector<PrerequisiteItem>& items) {
  for (const PrerequisiteItem& i : items) {
    if (i.required && !i.ok) return i.detail;
  }
  return std::nullopt;
}

std::string FormatCheckReport(const std::vector<PrerequisiteItem>& items, const absl::Status& tracer_status,
                              const std::vector<ProbeStatus>& probes) {
  size_t width = 10;
  for (const ProbeStatus& p : probes) width = std::max(width, p.name.size());
  for (const PrerequisiteItem& i : items) width = std::max(width, i.name.size());
  std::string out;
  for (const PrerequisiteItem& i : items) {
    const char* state = i.ok ? "ok" : (i.required ? "MISSING" : "off");
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-7s  %s\n", static_cast<int>(width), i.name, state, i.detail));
  }
  if (!tracer_status.ok()) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-7s  %s\n", static_cast<int>(width), "tracer", "FAILED",
                                          std::string(tracer_status.message())));
  }
  int up = 0;
  for (const ProbeStatus& p : probes) {
    up += p.up ? 1 : 0;
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-7s  %s\n", static_cast<int>(width), p.name, p.up ? "up" : "DOWN",
                                          p.up ? "attached" : p.error));
  }
  const int code = CheckExitCode(items, tracer_status, probes);
  if (!tracer_status.ok()) {
    absl::StrAppend(&out, "the tracer could not start: fix the first line marked MISSING or FAILED above\n");
    return out;
  }
  absl::StrAppend(&out, code == 0 ? absl::StrCat("all ", up, " probes attached: iotaxd can run here\n")
                                  : absl::StrCat(up, " of ", probes.size(),
                                                 " probes attached: iotaxd runs with what works, or refuses with --strict\n"));
  return out;
}

int CheckExitCode(const std::vector<PrerequisiteItem>& items, const absl::Status& tracer_status,
                  const std::vector<ProbeStatus>& probes) {
  if (FirstMissingPrerequisite(items).has_value() || !tracer_status.ok() || probes.empty()) return 1;
  for (const ProbeStatus& p : probes) {
    if (!p.up) return 1;
  }
  return 0;
}

}  // namespace iotax
