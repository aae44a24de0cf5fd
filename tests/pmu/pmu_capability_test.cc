// The capability probe: system facts read from fixture roots (Intel and AMD
// VMs, bare metal with and without a PMU, hybrid, Arm), the kernel's answer
// deciding, the assessment in plain words, and on this machine: what the
// product concludes is what the kernel answers when asked.
#include "pmu_capability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace iotax::pmu {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("iotax_pmu_cap_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void EventSource(const std::string& name) { fs::create_directories(root_ / "sys/bus/event_source/devices" / name); }
  void Cpuinfo(bool hypervisor) {
    std::string flags = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep";
    if (hypervisor) flags += " hypervisor";
    Write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n" + flags + " lahf_lm\n\nprocessor\t: 1\n" +
                              flags + "\n");
  }
  // One machine's /proc and /sys as iotax reads them.
  void MakeMachine(int paranoid, bool hypervisor_flag, const std::string& dmi_vendor, const std::string& dmi_product,
                   const std::vector<std::string>& event_sources) {
    Write("proc/sys/kernel/perf_event_paranoid", std::to_string(paranoid) + "\n");
    Cpuinfo(hypervisor_flag);
    Write("sys/class/dmi/id/sys_vendor", dmi_vendor + "\n");
    Write("sys/class/dmi/id/product_name", dmi_product + "\n");
    for (const std::string& s : event_sources) EventSource(s);
  }
  // A KVM guest without a virtual PMU, like this project's machines.
  void MakeVm() {
    MakeMachine(2, true, "QEMU", "Standard PC (Q35 + ICH9, 2009)", {"breakpoint", "software", "tracepoint", "uprobe"});
  }
  // A bare-metal server with a core PMU.
  void MakeBareMetal(int paranoid) {
    MakeMachine(paranoid, false, "Dell Inc.", "PowerEdge R650", {"cpu", "software", "tracepoint", "uncore_imc_0"});
  }
  fs::path root_;
};

KernelCounterAnswer KernelCounts() {
  KernelCounterAnswer k;
  k.asked = true;
  return k;
}

KernelCounterAnswer KernelHasNoCounter() {
  KernelCounterAnswer k;
  k.asked = true;
  k.instructions_errno = ENOENT;
  k.cycles_errno = ENOENT;
  return k;
}

PapiFacts PapiWithoutPmu() {
  PapiFacts p;
  p.initialized = true;
  p.hardware_counters = 0;
  p.perf_component_error = "Error libpfm4 no default PMU found";
  p.libpfm_pmus = {"perf", "perf_raw"};
  return p;
}

PapiFacts PapiWithPmu() {
  PapiFacts p;
  p.initialized = true;
  p.hardware_counters = 11;
  p.has_total_instructions = true;
  p.has_total_cycles = true;
  p.libpfm_pmus = {"perf", "perf_raw", "icx"};
  return p;
}

TEST_F(FakeRoot, ReadsVmFacts) {
  MakeVm();
  const SystemFacts f = ReadSystemFacts(root_.string());
  EXPECT_EQ(f.perf_event_paranoid, 2);
  EXPECT_TRUE(f.cpuinfo_hypervisor_flag);
  EXPECT_EQ(f.dmi_sys_vendor, "QEMU");
  EXPECT_EQ(f.dmi_product_name, "Standard PC (Q35 + ICH9, 2009)");
  EXPECT_THAT(f.event_sources, ElementsAre("breakpoint", "software", "tracepoint", "uprobe"));
}

TEST_F(FakeRoot, ReadsBareMetalFacts) {
  MakeBareMetal(-1);
  const SystemFacts f = ReadSystemFacts(root_.string());
  EXPECT_EQ(f.perf_event_paranoid, -1);
  EXPECT_FALSE(f.cpuinfo_hypervisor_flag);
  EXPECT_THAT(f.event_sources, ::testing::Contains("cpu"));
}

TEST_F(FakeRoot, MissingFilesAreEmptyNotErrors) {
  const SystemFacts f = ReadSystemFacts(root_.string());
  EXPECT_EQ(f.perf_event_paranoid, std::nullopt);
  EXPECT_FALSE(f.cpuinfo_hypervisor_flag);
  EXPECT_THAT(f.dmi_sys_vendor, IsEmpty());
  EXPECT_THAT(f.event_sources, IsEmpty());
}

TEST_F(FakeRoot, VmWithoutPmuSaysSoAndWhatToDo) {
  MakeVm();
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), KernelHasNoCounter(), true);
  EXPECT_FALSE(cap.hardware_pmu);
  EXPECT_EQ(cap.hardware_counters, 0);
  EXPECT_TRUE(cap.virtual_machine);
  EXPECT_THAT(cap.vm_evidence, HasSubstr("hypervisor flag in /proc/cpuinfo"));
  EXPECT_THAT(cap.vm_evidence, HasSubstr("QEMU"));
  EXPECT_EQ(cap.reason, "vm_without_pmu");
  EXPECT_THAT(cap.summary, HasSubstr("No hardware PMU"));
  EXPECT_THAT(cap.summary, HasSubstr("virtual machine"));
  EXPECT_THAT(cap.summary, HasSubstr("everything else works"));
  EXPECT_THAT(cap.hint, HasSubstr("virtual PMU"));
  EXPECT_THAT(cap.hint, HasSubstr("--pmu-events=cpu-clock,task-clock"));
  EXPECT_EQ(cap.perf_event_paranoid, 2);
  EXPECT_TRUE(cap.can_open_system_wide);  // privileged
}

TEST_F(FakeRoot, VmDetectedFromDmiAlone) {
  MakeVm();
  Cpuinfo(false);  // some hypervisors hide the cpuid bit
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), KernelHasNoCounter(), true);
  EXPECT_TRUE(cap.virtual_machine);
  EXPECT_THAT(cap.vm_evidence, ::testing::Not(HasSubstr("cpuinfo")));
  EXPECT_THAT(cap.vm_evidence, HasSubstr("QEMU"));
}

TEST_F(FakeRoot, BareMetalWithoutPmuBlamesTheKernel) {
  MakeBareMetal(2);
  fs::remove_all(root_ / "sys/bus/event_source/devices/cpu");
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), KernelHasNoCounter(), true);
  EXPECT_FALSE(cap.hardware_pmu);
  EXPECT_FALSE(cap.virtual_machine);
  EXPECT_EQ(cap.reason, "no_hardware_pmu");
  EXPECT_THAT(cap.hint, HasSubstr("CONFIG_PERF_EVENTS"));
}

TEST_F(FakeRoot, BareMetalWithPmuIsOk) {
  MakeBareMetal(2);
  const PmuCapability cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), KernelCounts(), true);
  EXPECT_TRUE(cap.hardware_pmu);
  EXPECT_FALSE(cap.virtual_machine);
  EXPECT_EQ(cap.hardware_counters, 11);
  EXPECT_EQ(cap.reason, "ok");
  EXPECT_THAT(cap.summary, HasSubstr("11 counters"));
  EXPECT_THAT(cap.hint, IsEmpty());
}

TEST_F(FakeRoot, ParanoidDecidesForUnprivilegedProcesses) {
  MakeBareMetal(2);
  PmuCapability cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), KernelCounts(), false);
  EXPECT_FALSE(cap.can_open_system_wide);
  EXPECT_EQ(cap.reason, "not_permitted");
  EXPECT_THAT(cap.summary, HasSubstr("perf_event_paranoid is 2"));
  EXPECT_THAT(cap.hint, HasSubstr("CAP_PERFMON"));

  for (int allowed : {0, -1}) {
    MakeBareMetal(allowed);
    cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), KernelCounts(), false);
    EXPECT_TRUE(cap.can_open_system_wide) << allowed;
    EXPECT_EQ(cap.reason, "ok") << allowed;
  }
}

TEST_F(FakeRoot, MissingPapiPresetsDoNotOverruleTheKernel) {
  MakeBareMetal(0);
  PapiFacts papi = PapiWithPmu();
  papi.has_total_instructions = false;  // PAPI's preset table lacks it, yet the kernel counts
  const PmuCapability cap = AssessCapability(papi, ReadSystemFacts(root_.string()), KernelCounts(), true);
  EXPECT_TRUE(cap.hardware_pmu);
  EXPECT_EQ(cap.reason, "ok");
}

TEST_F(FakeRoot, CorePmuWithoutGenericEventsAsksForNativeNames) {
  MakeBareMetal(0);
  const PmuCapability cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), KernelHasNoCounter(), true);
  EXPECT_FALSE(cap.hardware_pmu);
  EXPECT_EQ(cap.reason, "no_instructions_or_cycles");
  EXPECT_THAT(cap.summary, HasSubstr("(cpu)"));
  EXPECT_THAT(cap.summary, HasSubstr("No such file or directory"));
  EXPECT_THAT(cap.hint, HasSubstr("--pmu-events="));
}

// One fixture per kind of machine: the event sources its kernel lists, its
// firmware and cpuinfo, what its kernel answers, and what iotax must say.
struct MachineKind {
  std::string name;
  std::vector<std::string> event_sources;
  bool vm;
  KernelCounterAnswer kernel;
  bool papi_counters;
  bool expect_pmu;
  std::string expect_reason;
  std::vector<std::string> expect_core;
};

void PrintTo(const MachineKind& m, std::ostream* os) { *os << m.name; }

class MachineKinds : public FakeRoot, public ::testing::WithParamInterface<MachineKind> {};

TEST_P(MachineKinds, KernelAnswerDecidesAndSysfsExplains) {
  const MachineKind& m = GetParam();
  MakeMachine(2, m.vm, m.vm ? "QEMU" : "Supermicro", m.vm ? "Standard PC (i440FX + PIIX, 1996)" : "SYS-1029P",
              m.event_sources);
  const PapiFacts papi = m.papi_counters ? PapiWithPmu() : PapiWithoutPmu();
  const SystemFacts sys = ReadSystemFacts(root_.string());
  const PmuCapability cap = AssessCapability(papi, sys, m.kernel, true);
  EXPECT_EQ(cap.hardware_pmu, m.expect_pmu) << cap.summary;
  EXPECT_EQ(cap.reason, m.expect_reason) << cap.summary;
  EXPECT_EQ(cap.core_pmus, m.expect_core);
  EXPECT_EQ(cap.virtual_machine, m.vm);
  EXPECT_EQ(cap.hint.empty(), m.expect_reason == "ok") << cap.hint;
  const std::string text = FormatCapability(cap, papi, sys, m.kernel);
  EXPECT_THAT(text, HasSubstr(absl::StrCat("(", m.expect_reason, ")")));
  EXPECT_THAT(text, HasSubstr("kernel's answer:      " + m.kernel.Describe()));
}

KernelCounterAnswer KernelRefuses() {
  KernelCounterAnswer k;
  k.asked = true;
  k.instructions_errno = EACCES;
  k.cycles_errno = EACCES;
  return k;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, MachineKinds,
    ::testing::Values(
        // The Intel VMs here: RAPL ("power"), msr, breakpoint, uprobe, and no
        // core PMU ("no PMU driver, software events only").
        MachineKind{"intel_vm", {"breakpoint", "msr", "power", "software", "tracepoint", "uprobe"}, true,
                    KernelHasNoCounter(), false, false, "vm_without_pmu", {}},
        MachineKind{"amd_vm", {"breakpoint", "msr", "software", "tracepoint", "uprobe"}, true, KernelHasNoCounter(),
                    false, false, "vm_without_pmu", {}},
        MachineKind{"vm_with_virtual_pmu", {"cpu", "msr", "software", "tracepoint"}, true, KernelCounts(), true, true,
                    "ok", {"cpu"}},
        MachineKind{"bare_metal", {"cpu", "msr", "power", "software", "tracepoint", "uncore_imc_0"}, false,
                    KernelCounts(), true, true, "ok", {"cpu"}},
        MachineKind{"bare_metal_no_driver", {"msr", "power", "software", "tracepoint"}, false, KernelHasNoCounter(),
                    false, false, "no_hardware_pmu", {}},
        MachineKind{"hybrid", {"cpu_atom", "cpu_core", "msr", "power", "software", "tracepoint"}, false,
                    KernelCounts(), true, true, "ok", {"cpu_atom", "cpu_core"}},
        MachineKind{"arm", {"armv8_pmuv3_0", "software", "tracepoint"}, false, KernelCounts(), true, true, "ok",
                    {"armv8_pmuv3_0"}},
        MachineKind{"arm_without_generic_events", {"armv8_pmuv3_0", "software", "tracepoint"}, false,
                    KernelHasNoCounter(), false, false, "no_instructions_or_cycles", {"armv8_pmuv3_0"}},
        // The kernel refused to answer: sysfs guesses, and "power" is no guess.
        MachineKind{"intel_vm_kernel_refused", {"breakpoint", "msr", "power", "software", "tracepoint", "uprobe"},
                    true, KernelRefuses(), false, false, "vm_without_pmu", {}},
        MachineKind{"bare_metal_kernel_refused", {"cpu", "software", "tracepoint"}, false, KernelRefuses(), true,
                    true, "ok", {"cpu"}}),
    [](const ::testing::TestParamInfo<MachineKind>& info) { return info.param.name; });

TEST(CorePmuNames, RaplMsrAndSoftwareSourcesAreNotCpuCounters) {
  for (const char* name : {"power", "msr", "breakpoint", "uprobe", "kprobe", "software", "tracepoint",
                           "uncore_imc_0", "amd_iommu_0", "intel_pt"}) {
    EXPECT_FALSE(IsCorePmuName(name)) << name;
  }
  for (const char* name : {"cpu", "cpu_core", "cpu_atom", "armv8_pmuv3_0", "armv8_cortex_a72", "cpum_cf"}) {
    EXPECT_TRUE(IsCorePmuName(name)) << name;
  }
}

TEST(KernelAnswer, DescribesEachEvent) {
  EXPECT_EQ(KernelCounterAnswer{}.Describe(), "not asked");
  EXPECT_TRUE(KernelCounterAnswer{}.Undecided());
  EXPECT_TRUE(KernelCounts().Counts());
  EXPECT_TRUE(KernelHasNoCounter().Absent());
  EXPECT_TRUE(KernelRefuses().Undecided());
  KernelCounterAnswer half = KernelCounts();
  half.cycles_errno = EOPNOTSUPP;
  EXPECT_TRUE(half.Absent());
  EXPECT_THAT(half.Describe(), HasSubstr("instructions: opened; cycles: "));
}

TEST_F(FakeRoot, ReportListsEveryFact) {
  MakeVm();
  const PapiFacts papi = PapiWithoutPmu();
  const SystemFacts sys = ReadSystemFacts(root_.string());
  const std::string text = FormatCapability(AssessCapability(papi, sys, KernelHasNoCounter(), true), papi, sys,
                                            KernelHasNoCounter());
  EXPECT_THAT(text, HasSubstr("hardware PMU:         no (vm_without_pmu)"));
  EXPECT_THAT(text, HasSubstr("kernel's answer:      instructions: No such file or directory"));
  EXPECT_THAT(text, HasSubstr("hardware counters:    0"));
  EXPECT_THAT(text, HasSubstr("libpfm4 no default PMU found"));
  EXPECT_THAT(text, HasSubstr("perf_event_paranoid:  2"));
  EXPECT_THAT(text, HasSubstr("virtual machine:      yes"));
  EXPECT_THAT(text, HasSubstr("no CPU core PMU among them"));
  EXPECT_THAT(text, HasSubstr("What to do: "));
}

// On the real machine the product concludes what the kernel answers: the
// expectation comes from opening the events here, never from this VM's kind.
TEST(ProbeCapability, TheKernelAnswerDecidesHere) {
  const MachinePmu m = ProbeMachinePmu();
  ASSERT_TRUE(m.kernel.asked);
  // Ask again, independently of the code under test.
  const KernelCounterAnswer again = AskKernelForCounters();
  EXPECT_EQ(m.kernel.Counts(), again.Counts());
  if (again.Counts()) {
    EXPECT_TRUE(m.capability.hardware_pmu) << m.capability.summary;
  } else if (again.Absent()) {
    EXPECT_FALSE(m.capability.hardware_pmu) << m.capability.summary;
    EXPECT_THAT((std::vector<std::string>{"vm_without_pmu", "no_hardware_pmu", "no_instructions_or_cycles"}),
                ::testing::Contains(m.capability.reason));
    EXPECT_THAT(m.capability.hint, ::testing::Not(IsEmpty()));
    EXPECT_EQ(m.capability.reason == "no_instructions_or_cycles", !m.capability.core_pmus.empty());
  }
  if (m.system.cpuinfo_hypervisor_flag) {
    EXPECT_TRUE(m.capability.virtual_machine);
    EXPECT_THAT(m.capability.vm_evidence, HasSubstr("hypervisor flag"));
  }
  EXPECT_THAT(m.Format(), HasSubstr("kernel's answer:      " + again.Describe()));
}

}  // namespace
}  // namespace iotax::pmu
