// Can this machine count instructions and cycles, and if not, why not and
// what to do? Facts come from PAPI (counters, presets) and from /proc and
// /sys (read under a root path so tests can fake them); the assessment that
// turns facts into plain words is a pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace iotax::pmu {

// What PAPI says about the CPU's counters.
struct PapiFacts {
  bool initialized = false;
  std::string init_error;            // why PAPI_library_init failed
  int hardware_counters = 0;         // counters of the perf_event component
  std::string perf_component_error;  // why PAPI disabled its perf_event component ("" when enabled)
  bool has_total_instructions = false;  // PAPI_TOT_INS available
  bool has_total_cycles = false;        // PAPI_TOT_CYC available
  bool virtualized = false;             // PAPI's own hypervisor detection (cpuid)
  std::string virtual_vendor;           // e.g. "KVMKVMKVM"
  std::string cpu;                      // vendor and model, e.g. "AuthenticAMD AMD EPYC"
  std::vector<std::string> libpfm_pmus; // PMUs libpfm4 (PAPI's event library) detected
};

// Runs PAPI once per process (PAPI_library_init is global) and reports.
PapiFacts ProbePapi();

// What the kernel and firmware say, read under `root` ("/" normally).
struct SystemFacts {
  std::optional<int> perf_event_paranoid;  // /proc/sys/kernel/perf_event_paranoid
  bool cpuinfo_hypervisor_flag = false;    // "hypervisor" in the flags of /proc/cpuinfo
  std::string dmi_sys_vendor;              // /sys/class/dmi/id/sys_vendor ("" when absent)
  std::string dmi_product_name;            // /sys/class/dmi/id/product_name
  std::vector<std::string> event_sources;  // /sys/bus/event_source/devices/*
};

SystemFacts ReadSystemFacts(const std::string& root = "/");

struct PmuCapability {
  bool hardware_pmu = false;      // instructions and cycles can be counted in hardware
  int hardware_counters = 0;
  bool virtual_machine = false;
  std::string vm_evidence;        // what gave the VM away, e.g. "hypervisor flag in /proc/cpuinfo; DMI vendor QEMU"
  std::optional<int> perf_event_paranoid;
  bool can_open_system_wide = false;  // privileged, or paranoid <= 0
  std::string reason;             // short, stable, for metrics: "ok", "no_hardware_pmu", "vm_without_pmu",
                                  // "no_instructions_or_cycles", "not_permitted"
  std::string summary;            // one paragraph in plain words
  std::string hint;               // what to do; "" when nothing is missing
};

// Pure: facts in, verdict out. `privileged` means root or CAP_PERFMON.
PmuCapability AssessCapability(const PapiFacts& papi, const SystemFacts& system, bool privileged);

// Root or CAP_PERFMON / CAP_SYS_ADMIN in the effective set.
bool HasPerfmonPrivilege();

// ProbePapi + ReadSystemFacts + HasPerfmonPrivilege + AssessCapability.
PmuCapability ProbeCapability(const std::string& root = "/");

// The multi-line report `iotaxd --check` and `iotax doctor` print.
std::string FormatCapability(const PmuCapability& capability, const PapiFacts& papi, const SystemFacts& system);

}  // namespace iotax::pmu
