// Can this machine count instructions and cycles, and if not, why not and
// what to do? The kernel's answer decides (pmu_kernel_answer.h: open the
// events); PAPI (counters, presets), /proc and /sys (read under a root path so
// tests can fake them) and DMI explain why. The assessment that turns facts
// into plain words is a pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pmu_kernel_answer.h"

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
  bool hardware_pmu = false;      // instructions and cycles can be counted in hardware (the kernel's answer)
  std::vector<std::string> core_pmus;  // event sources that are a CPU's counters ("cpu", "cpu_core", "armv8_pmuv3_0")
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

// Event sources a CPU core's counters register as (x86 "cpu", hybrid
// "cpu_core"/"cpu_atom", Arm "armv8_pmuv3_0", s390 "cpum_cf"), as opposed to
// uncore, RAPL ("power"), "msr", "breakpoint" and the software sources.
bool IsCorePmuName(const std::string& name);

// Pure: facts in, verdict out. `privileged` means root or CAP_PERFMON. When
// the kernel answered (it counted, or has no counter for the events), that
// answer is `hardware_pmu`; only when it did not (refused, not asked) do sysfs
// names and PAPI stand in.
PmuCapability AssessCapability(const PapiFacts& papi, const SystemFacts& system, const KernelCounterAnswer& kernel,
                               bool privileged);

// Root or CAP_PERFMON / CAP_SYS_ADMIN in the effective set.
bool HasPerfmonPrivilege();

// ProbePapi + ReadSystemFacts + AskKernelForCounters + HasPerfmonPrivilege +
// AssessCapability: what doctor, iotaxd --check, the tracer and the page use.
PmuCapability ProbeCapability(const std::string& root = "/");

// The multi-line report `iotaxd --check` and `iotax doctor` print.
std::string FormatCapability(const PmuCapability& capability, const PapiFacts& papi, const SystemFacts& system,
                             const KernelCounterAnswer& kernel);

// All facts of this machine at once, and their assessment.
struct MachinePmu {
  PapiFacts papi;
  SystemFacts system;
  KernelCounterAnswer kernel;
  PmuCapability capability;
  std::string Format() const { return FormatCapability(capability, papi, system, kernel); }
};
MachinePmu ProbeMachinePmu(const std::string& root = "/");

}  // namespace iotax::pmu
