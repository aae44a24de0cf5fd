// The capability probe: system facts read from a fake root (VM vs bare
// metal, paranoid values), the assessment in plain words, and a coherence
// check of PAPI against the kernel on this machine.
#include "pmu_capability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  // A KVM guest without a virtual PMU, like this project's machines.
  void MakeVm() {
    Write("proc/sys/kernel/perf_event_paranoid", "2\n");
    Cpuinfo(true);
    Write("sys/class/dmi/id/sys_vendor", "QEMU\n");
    Write("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
    for (const char* s : {"breakpoint", "software", "tracepoint", "uprobe"}) EventSource(s);
  }
  // A bare-metal server with a core PMU.
  void MakeBareMetal(int paranoid) {
    Write("proc/sys/kernel/perf_event_paranoid", std::to_string(paranoid) + "\n");
    Cpuinfo(false);
    Write("sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
    Write("sys/class/dmi/id/product_name", "PowerEdge R650\n");
    for (const char* s : {"cpu", "software", "tracepoint", "uncore_imc_0"}) EventSource(s);
  }
  fs::path root_;
};

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
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), true);
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
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), true);
  EXPECT_TRUE(cap.virtual_machine);
  EXPECT_THAT(cap.vm_evidence, ::testing::Not(HasSubstr("cpuinfo")));
  EXPECT_THAT(cap.vm_evidence, HasSubstr("QEMU"));
}

TEST_F(FakeRoot, BareMetalWithoutPmuBlamesTheKernel) {
  MakeBareMetal(2);
  fs::remove_all(root_ / "sys/bus/event_source/devices/cpu");
  const PmuCapability cap = AssessCapability(PapiWithoutPmu(), ReadSystemFacts(root_.string()), true);
  EXPECT_FALSE(cap.hardware_pmu);
  EXPECT_FALSE(cap.virtual_machine);
  EXPECT_EQ(cap.reason, "no_hardware_pmu");
  EXPECT_THAT(cap.hint, HasSubstr("CONFIG_PERF_EVENTS"));
}

TEST_F(FakeRoot, BareMetalWithPmuIsOk) {
  MakeBareMetal(2);
  const PmuCapability cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), true);
  EXPECT_TRUE(cap.hardware_pmu);
  EXPECT_FALSE(cap.virtual_machine);
  EXPECT_EQ(cap.hardware_counters, 11);
  EXPECT_EQ(cap.reason, "ok");
  EXPECT_THAT(cap.summary, HasSubstr("11 counters"));
  EXPECT_THAT(cap.hint, IsEmpty());
}

TEST_F(FakeRoot, ParanoidDecidesForUnprivilegedProcesses) {
  MakeBareMetal(2);
  PmuCapability cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), false);
  EXPECT_FALSE(cap.can_open_system_wide);
  EXPECT_EQ(cap.reason, "not_permitted");
  EXPECT_THAT(cap.summary, HasSubstr("perf_event_paranoid is 2"));
  EXPECT_THAT(cap.hint, HasSubstr("CAP_PERFMON"));

  for (int allowed : {0, -1}) {
    MakeBareMetal(allowed);
    cap = AssessCapability(PapiWithPmu(), ReadSystemFacts(root_.string()), false);
    EXPECT_TRUE(cap.can_open_system_wide) << allowed;
    EXPECT_EQ(cap.reason, "ok") << allowed;
  }
}

TEST_F(FakeRoot, PmuWithoutGenericPresetsAsksForNativeNames) {
  MakeBareMetal(0);
  PapiFacts papi = PapiWithPmu();
  papi.has_total_instructions = false;
  const PmuCapability cap = AssessCapability(papi, ReadSystemFacts(root_.string()), true);
  EXPECT_EQ(cap.reason, "no_instructions_or_cycles");
  EXPECT_THAT(cap.summary, HasSubstr("PAPI_TOT_INS"));
  EXPECT_THAT(cap.hint, HasSubstr("--pmu-events="));
}

TEST_F(FakeRoot, ReportListsEveryFact) {
  MakeVm();
  const PapiFacts papi = PapiWithoutPmu();
  const SystemFacts sys = ReadSystemFacts(root_.string());
  const std::string text = FormatCapability(AssessCapability(papi, sys, true), papi, sys);
  EXPECT_THAT(text, HasSubstr("hardware PMU:         no (vm_without_pmu)"));
  EXPECT_THAT(text, HasSubstr("hardware counters:    0"));
  EXPECT_THAT(text, HasSubstr("libpfm4 no default PMU found"));
  EXPECT_THAT(text, HasSubstr("perf_event_paranoid:  2"));
  EXPECT_THAT(text, HasSubstr("virtual machine:      yes"));
  EXPECT_THAT(text, HasSubstr("What to do: "));
}

// On the real machine PAPI and the kernel must agree: no core PMU in sysfs
// means PAPI has no counters and no instruction/cycle presets.
TEST(ProbeCapability, PapiAgreesWithTheKernelHere) {
  const PapiFacts papi = ProbePapi();
  ASSERT_TRUE(papi.initialized) << papi.init_error;
  const SystemFacts sys = ReadSystemFacts("/");
  const PmuCapability cap = AssessCapability(papi, sys, true);
  const bool kernel_cpu_pmu = fs::exists("/sys/bus/event_source/devices/cpu") ||
                              fs::exists("/sys/bus/event_source/devices/cpu_core");
  if (!kernel_cpu_pmu && papi.hardware_counters == 0) {
    EXPECT_FALSE(cap.hardware_pmu);
    EXPECT_FALSE(papi.has_total_instructions);
    EXPECT_FALSE(papi.has_total_cycles);
    EXPECT_THAT(cap.hint, ::testing::Not(IsEmpty()));
  } else {
    EXPECT_TRUE(cap.hardware_pmu);
  }
  if (sys.cpuinfo_hypervisor_flag) {
    EXPECT_TRUE(cap.virtual_machine);
    EXPECT_THAT(cap.vm_evidence, HasSubstr("hypervisor flag"));
  }
}

}  // namespace
}  // namespace iotax::pmu
