// iotax doctor: can this machine run iotax, and what to fix if not.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "calibration_store.h"
#include "iotax_commands.h"
#include "pmu_capability.h"
#include "system_check.h"
#include "tracer.h"

namespace iotax {
namespace {

struct Check {
  std::string name;
  enum State { kOk, kMissing, kOptional } state = kOk;
  std::string detail;  // what was found
  std::string fix;     // what to do ("" when ok)
};

const char* StateWord(Check::State s) {
  switch (s) {
    case Check::kOk: return "ok";
    case Check::kMissing: return "MISSING";
    case Check::kOptional: return "optional";
  }
  return "";
}

}  // namespace

int RunDoctor(const cli::DoctorOptions& options) {
  std::vector<Check> checks;
  const std::vector<PrerequisiteItem> items = CheckPrerequisites();
  for (const PrerequisiteItem& item : items) {
    if (item.name == "privileges") {
      checks.push_back({"privileges", item.ok ? Check::kOk : Check::kMissing, item.ok ? item.detail : "not root, no CAP_BPF+CAP_PERFMON",
                        item.ok ? "" : "run iotax as root (sudo iotax ...) or grant CAP_BPF and CAP_PERFMON"});
    } else if (item.name == "btf") {
      checks.push_back({"kernel BTF", item.ok ? Check::kOk : Check::kMissing, item.ok ? item.detail : "missing",
                        item.ok ? "" : "use a kernel built with CONFIG_DEBUG_INFO_BTF=y"});
    }
  }

  // The probes: only attempted when the prerequisites hold.
  PmuStatus pmu;
  bool tracer_ok = false;
  if (MissingPrerequisite("doctor").empty()) {
    TracerOptions tracer_options;
    tracer_options.pmu_events = options.pmu_events;
    auto tracer = Tracer::Create(tracer_options);
    if (tracer.ok()) {
      tracer_ok = true;
      int up = 0, total = 0;
      std::string down;
      for (const ProbeStatus& p : (*tracer)->Probes()) {
        ++total;
        if (p.up) {
          ++up;
        } else {
          absl::StrAppend(&down, down.empty() ? "" : "; ", p.name, ": ", p.error);
        }
      }
      checks.push_back({"BPF probes", up == total && total > 0 ? Check::kOk : Check::kMissing,
                        absl::StrCat(up, " of ", total, " attached"),
                        down.empty() ? "" : absl::StrCat("fix the probes that failed (", down, ")")});
      pmu = (*tracer)->Read().pmu;
    } else {
      checks.push_back({"BPF probes", Check::kMissing, "the tracer could not load", std::string(tracer.status().message())});
    }
  } else {
    checks.push_back({"BPF probes", Check::kMissing, "not attempted", "fix the lines above first"});
  }

  // Tier 3: optional; the verdict says the indirect part is missing without it.
  const pmu::PmuCapability capability = pmu::ProbeCapability();
  if (tracer_ok && pmu.up) {
    checks.push_back({"PMU (tier 3)", Check::kOk,
                      absl::StrCat("counting ", pmu.instructions_event, " and ", pmu.cycles_event,
                                   pmu.software_standins ? " (software stand-ins)" : ""),
                      ""});
  } else {
    // The tracer's reason when it tried and failed otherwise (a busy counter,
    // say), so doctor, the report and iotax_pmu_info name the same one.
    const bool tracer_differs = tracer_ok && !pmu.reason.empty() && pmu.reason != capability.reason;
    checks.push_back({"PMU (tier 3)", Check::kOptional,
                      tracer_differs ? absl::StrCat(pmu.reason, ": ", pmu.detail)
                                     : absl::StrCat(capability.reason, ": ", capability.summary),
                      absl::StrCat(capability.hint.empty()
                                       ? ""
                                       : absl::StrCat(absl::StripSuffix(capability.hint, "."), "; "),
                                   "without it the verdict reports the indirect cost (cache and TLB refills) as "
                                   "missing, so overhead and saving are lower bounds")});
  }

  // Calibration: optional, makes the async cost a measurement.
  const std::string path = options.calibration_path.empty() ? DefaultCalibrationPath() : options.calibration_path;
  const MachineIdentity machine = CurrentMachine();
  CalibrationLookup lookup = LoadCalibration(path, machine.Key());
  if (lookup.calibration) {
    checks.push_back({"calibration", Check::kOk,
                      absl::StrCat(path, ", ", lookup.calibration->points.size(), " load levels, ",
                                   lookup.calibration->created_at),
                      ""});
  } else {
    checks.push_back({"calibration", Check::kOptional, lookup.note,
                      "run `sudo iotax calibrate` (about a minute) so the async cost is measured on this machine"});
  }
  const std::string bin = ExecutableDir();
  const bool servers = access((bin + "/iotax-echo-server").c_str(), X_OK) == 0 &&
                       access((bin + "/iotax-echo-client").c_str(), X_OK) == 0;
  checks.push_back({"bundled servers", servers ? Check::kOk : Check::kOptional,
                    servers ? absl::StrCat(bin, "/iotax-echo-server, iotax-echo-client") : absl::StrCat("not in ", bin),
                    servers ? "" : "build them (make build) or pass --bin-dir to iotax calibrate"});

  std::cout << "iotax doctor: " << machine.Key() << "\n\n";
  for (const Check& c : checks) {
    std::cout << absl::StrFormat("  %-16s %-8s %s\n", c.name, StateWord(c.state), c.detail);
  }
  std::vector<const Check*> required, optional;
  for (const Check& c : checks) {
    if (c.state == Check::kMissing) required.push_back(&c);
    if (c.state == Check::kOptional) optional.push_back(&c);
  }
  std::cout << "\n";
  if (required.empty()) {
    std::cout << "Ready: `iotax report --pid PID` and iotaxd can run here.\n";
  } else {
    std::cout << "Not ready. What to fix:\n";
    int n = 1;
    for (const Check* c : required) std::cout << "  " << n++ << ". " << c->name << ": " << c->fix << "\n";
  }
  if (!optional.empty()) {
    std::cout << (required.empty() ? "Optional, for better answers:\n" : "Optional:\n");
    for (const Check* c : optional) std::cout << "  - " << c->name << ": " << c->fix << "\n";
  }
  return required.empty() ? 0 : 1;
}

}  // namespace iotax
