#include "pmu_capability.h"

#include <dirent.h>
#include <papi.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "capabilities.h"
#include "pmu_events.h"

namespace iotax::pmu {
namespace {

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

bool CpuinfoHasHypervisorFlag(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // x86 lists features on "flags"; the hypervisor bit is cpuid 1.ECX[31].
    if (!absl::StartsWith(line, "flags")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    for (absl::string_view flag : absl::StrSplit(absl::string_view(line).substr(colon + 1), ' ', absl::SkipEmpty())) {
      if (flag == "hypervisor") return true;
    }
    return false;  // every CPU lists the same flags
  }
  return false;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// Strings that DMI firmware tables of common hypervisors carry.
bool DmiLooksVirtual(absl::string_view vendor, absl::string_view product) {
  const std::string v = absl::AsciiStrToLower(vendor);
  const std::string p = absl::AsciiStrToLower(product);
  for (absl::string_view needle : {"qemu", "kvm", "vmware", "xen", "innotek", "virtualbox", "parallels",
                                   "bochs", "bhyve", "cloud hypervisor", "firecracker"}) {
    if (absl::StrContains(v, needle) || absl::StrContains(p, needle)) return true;
  }
  // Hyper-V: vendor "Microsoft Corporation", product "Virtual Machine".
  if (absl::StrContains(v, "microsoft") && absl::StrContains(p, "virtual machine")) return true;
  // Cloud VMs name themselves; their bare-metal shapes end in ".metal".
  if (p == "google compute engine" || (absl::StrContains(v, "amazon") && !absl::StrContains(p, "metal"))) {
    return true;
  }
  return false;
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

PapiFacts ProbePapi() {
  static std::once_flag once;
  static PapiFacts facts;
  std::call_once(once, [] {
    facts.libpfm_pmus = DetectedPmus();
    const int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT) {
      facts.init_error = rc < 0 ? PAPI_strerror(rc) : absl::StrCat("PAPI library version mismatch (", rc, ")");
      return;
    }
    facts.initialized = true;
    const int cidx = PAPI_get_component_index("perf_event");
    if (cidx >= 0) {
      if (const PAPI_component_info_t* ci = PAPI_get_component_info(cidx)) {
        if (ci->disabled != 0) {
          facts.perf_component_error = ci->disabled_reason[0] != '\0' ? ci->disabled_reason : "disabled";
        }
      }
      facts.hardware_counters = std::max(0, PAPI_num_cmp_hwctrs(cidx));
    } else {
      facts.perf_component_error = "PAPI was built without its perf_event component";
    }
    facts.has_total_instructions = PAPI_query_event(PAPI_TOT_INS) == PAPI_OK;
    facts.has_total_cycles = PAPI_query_event(PAPI_TOT_CYC) == PAPI_OK;
    if (const PAPI_hw_info_t* hw = PAPI_get_hardware_info()) {
      facts.virtualized = hw->virtualized != 0;
      facts.virtual_vendor = std::string(absl::StripAsciiWhitespace(hw->virtual_vendor_string));
      facts.cpu = std::string(absl::StripAsciiWhitespace(absl::StrCat(hw->vendor_string, " ", hw->model_string)));
    }
    // No PAPI_shutdown: it would pfm_terminate the libpfm4 that event encoding shares.
  });
  return facts;
}

SystemFacts ReadSystemFacts(const std::string& root) {
  const std::string base = root == "/" ? "" : root;
  SystemFacts facts;
  int paranoid = 0;
  const std::string p = ReadTrimmed(base + "/proc/sys/kernel/perf_event_paranoid");
  if (absl::SimpleAtoi(p, &paranoid)) facts.perf_event_paranoid = paranoid;
  facts.cpuinfo_hypervisor_flag = CpuinfoHasHypervisorFlag(base + "/proc/cpuinfo");
  facts.dmi_sys_vendor = ReadTrimmed(base + "/sys/class/dmi/id/sys_vendor");
  facts.dmi_product_name = ReadTrimmed(base + "/sys/class/dmi/id/product_name");
  facts.event_sources = ListDir(base + "/sys/bus/event_source/devices");
  return facts;
}

bool IsCorePmuName(const std::string& name) {
  // Not "power": on x86 that is RAPL, an energy meter with no instructions or
  // cycles (the Intel VMs here list it and have no core PMU).
  return name == "cpu" || absl::StartsWith(name, "cpu_") || absl::StartsWith(name, "armv") ||
         absl::StartsWith(name, "arm_cortex") || name == "cpum_cf" || absl::StartsWith(name, "riscv") ||
         absl::StartsWith(name, "apple_");
}

bool HasPerfmonPrivilege() { return caps::MayMonitorPerformance(caps::Current()); }

PmuCapability AssessCapability(const PapiFacts& papi, const SystemFacts& system, const KernelCounterAnswer& kernel,
                               bool privileged) {
  PmuCapability cap;
  cap.perf_event_paranoid = system.perf_event_paranoid;
  cap.hardware_counters = papi.initialized ? papi.hardware_counters : 0;

  std::vector<std::string> evidence;
  if (system.cpuinfo_hypervisor_flag) evidence.push_back("hypervisor flag in /proc/cpuinfo");
  if (DmiLooksVirtual(system.dmi_sys_vendor, system.dmi_product_name)) {
    evidence.push_back(absl::StrCat("DMI says \"", system.dmi_sys_vendor, " ", system.dmi_product_name, "\""));
  }
  if (papi.virtualized) {
    evidence.push_back(absl::StrCat("PAPI detects a hypervisor",
                                    papi.virtual_vendor.empty() ? "" : absl::StrCat(" (", papi.virtual_vendor, ")")));
  }
  cap.virtual_machine = !evidence.empty();
  cap.vm_evidence = absl::StrJoin(evidence, "; ");

  for (const std::string& s : system.event_sources) {
    if (IsCorePmuName(s)) cap.core_pmus.push_back(s);
  }
  // The kernel decides; sysfs and PAPI guess only when it gave no answer.
  if (kernel.Counts()) {
    cap.hardware_pmu = true;
  } else if (kernel.Absent()) {
    cap.hardware_pmu = false;
  } else {
    cap.hardware_pmu = !cap.core_pmus.empty() || cap.hardware_counters > 0;
  }
  cap.can_open_system_wide =
      privileged || (system.perf_event_paranoid.has_value() && *system.perf_event_paranoid <= 0);

  const std::string paranoid_text =
      system.perf_event_paranoid ? absl::StrCat(*system.perf_event_paranoid) : std::string("unknown");
  const std::string standins = absl::StrCat(
      "To exercise the IPC path without a PMU, run with --pmu-events=", kSoftwareStandInEvents,
      " (software clocks stand in for instructions and cycles: the numbers are times, not IPC).");
  const std::string kernel_said =
      kernel.asked ? absl::StrCat("perf_event_open says ", kernel.Describe()) : std::string("the kernel was not asked");
  const std::string sources =
      system.event_sources.empty() ? std::string("none") : absl::StrJoin(system.event_sources, ", ");

  if (kernel.Absent() && !cap.core_pmus.empty()) {
    // A core PMU is registered but has no generic mapping for the events
    // (some Arm and embedded PMUs): native names may still work.
    cap.reason = "no_instructions_or_cycles";
    cap.summary = absl::StrCat("The kernel registered a CPU PMU (", absl::StrJoin(cap.core_pmus, ", "),
                               ") but cannot count the generic instructions and cycles events (", kernel_said, ").");
    cap.hint = "Name this CPU's own events with --pmu-events=<instructions event>,<cycles event> "
               "(libpfm4's showevtinfo lists them).";
  } else if (!cap.hardware_pmu) {
    cap.reason = cap.virtual_machine ? "vm_without_pmu" : "no_hardware_pmu";
    cap.summary = absl::StrCat(
        "No hardware PMU: the kernel cannot count instructions or cycles here (", kernel_said,
        "); none of its event sources (", sources, ") is a CPU's counters, and PAPI found ", cap.hardware_counters,
        " hardware counters",
        papi.perf_component_error.empty() ? "" : absl::StrCat(" (PAPI: ", papi.perf_component_error, ")"), ". ",
        cap.virtual_machine ? absl::StrCat("This is a virtual machine (", cap.vm_evidence, ") whose hypervisor "
                                           "does not expose a virtual PMU. ")
                            : "",
        "IPC, the recovery curve and the indirect cost per syscall are unavailable; everything else works.");
    cap.hint = cap.virtual_machine
                   ? absl::StrCat("Give the guest a virtual PMU (libvirt: <pmu state='on'/> with host-passthrough "
                                  "CPU; QEMU: -cpu host,pmu=on; VMware: \"virtualize CPU performance counters\"; "
                                  "Hyper-V/cloud: a bare-metal or PMU-enabled instance type). ",
                                  standins)
                   : absl::StrCat("Check that the kernel has CONFIG_PERF_EVENTS and the CPU's PMU driver, and look "
                                  "for \"Performance Events\" in dmesg. ",
                                  standins);
  } else if (!cap.can_open_system_wide) {
    cap.reason = "not_permitted";
    cap.summary = absl::StrCat("A hardware PMU exists",
                               kernel.Counts() ? "" : absl::StrCat(" by its event sources (", sources, "; ", kernel_said, ")"),
                               ", but this process may not open system-wide counters "
                               "(perf_event_paranoid is ", paranoid_text, " and it lacks CAP_PERFMON).");
    cap.hint = "Run iotaxd as root, grant it CAP_PERFMON, or `sysctl -w kernel.perf_event_paranoid=0`.";
  } else {
    cap.reason = "ok";
    cap.summary = absl::StrCat(
        "Hardware PMU available",
        cap.core_pmus.empty() ? "" : absl::StrCat(" (", absl::StrJoin(cap.core_pmus, ", "), ")"),
        kernel.Counts() ? ": the kernel counts instructions and cycles"
                        : absl::StrCat(" by its event sources; the kernel gave no answer (", kernel_said, ")"),
        papi.initialized ? absl::StrCat("; PAPI sees ", cap.hardware_counters, " counters") : "",
        cap.virtual_machine ? " (inside a VM with a virtual PMU)" : "", ".");
  }
  return cap;
}

PmuCapability ProbeCapability(const std::string& root) { return ProbeMachinePmu(root).capability; }

MachinePmu ProbeMachinePmu(const std::string& root) {
  MachinePmu m;
  m.papi = ProbePapi();
  m.system = ReadSystemFacts(root);
  m.kernel = AskKernelForCounters();
  m.capability = AssessCapability(m.papi, m.system, m.kernel, HasPerfmonPrivilege());
  return m;
}

std::string FormatCapability(const PmuCapability& cap, const PapiFacts& papi, const SystemFacts& system,
                             const KernelCounterAnswer& kernel) {
  std::string out;
  absl::StrAppend(&out, "PMU capability\n");
  absl::StrAppend(&out, "  hardware PMU:         ", YesNo(cap.hardware_pmu), " (", cap.reason, ")\n");
  absl::StrAppend(&out, "  kernel's answer:      ", kernel.Describe(), "\n");
  absl::StrAppend(&out, "  hardware counters:    ", cap.hardware_counters,
                  papi.initialized ? "" : absl::StrCat(" (PAPI failed to start: ", papi.init_error, ")"),
                  papi.perf_component_error.empty() ? "" : absl::StrCat(" (PAPI perf_event: ", papi.perf_component_error, ")"),
                  "\n");
  absl::StrAppend(&out, "  PAPI presets:         PAPI_TOT_INS ", YesNo(papi.has_total_instructions), ", PAPI_TOT_CYC ",
                  YesNo(papi.has_total_cycles), "\n");
  if (!papi.cpu.empty()) absl::StrAppend(&out, "  CPU:                  ", papi.cpu, "\n");
  absl::StrAppend(&out, "  virtual machine:      ", YesNo(cap.virtual_machine),
                  cap.vm_evidence.empty() ? "" : absl::StrCat(" (", cap.vm_evidence, ")"), "\n");
  absl::StrAppend(&out, "  perf_event_paranoid:  ",
                  cap.perf_event_paranoid ? absl::StrCat(*cap.perf_event_paranoid) : std::string("unreadable"),
                  cap.can_open_system_wide ? " (system-wide counters allowed for this process)"
                                           : " (system-wide counters NOT allowed for this process)",
                  "\n");
  absl::StrAppend(&out, "  kernel event sources: ", absl::StrJoin(system.event_sources, ", "),
                  cap.core_pmus.empty() ? " (no CPU core PMU among them)"
                                        : absl::StrCat(" (CPU core PMU: ", absl::StrJoin(cap.core_pmus, ", "), ")"),
                  "\n");
  absl::StrAppend(&out, "  libpfm4 PMUs:         ", absl::StrJoin(papi.libpfm_pmus, ", "), "\n");
  absl::StrAppend(&out, "\n", cap.summary, "\n");
  if (!cap.hint.empty()) absl::StrAppend(&out, "What to do: ", cap.hint, "\n");
  return out;
}

}  // namespace iotax::pmu
