#include "machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "child_process.h"
#include "pmu_kernel_answer.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

std::string ParseCpuModel(const std::string& cpuinfo, bool* hypervisor) {
  std::string model;
  *hypervisor = false;
  for (absl::string_view line : absl::StrSplit(cpuinfo, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (key == "model name" && model.empty()) model = std::string(value);
    if (key == "flags") {
      for (absl::string_view flag : absl::StrSplit(value, ' ')) {
        if (flag == "hypervisor") *hypervisor = true;
      }
    }
  }
  return model.empty() ? "unknown CPU" : model;
}

double LoadAverage1() {
  double v = NAN;
  const std::string s = ReadText("/proc/loadavg");
  std::vector<std::string> f = absl::StrSplit(s, ' ');
  if (f.empty() || !absl::SimpleAtod(f[0], &v)) return NAN;
  return v;
}

json CollectMachineInfo(const std::string& bin_dir) {
  json m;
  utsname u{};
  uname(&u);
  m["kernel"] = absl::StrCat(u.sysname, " ", u.release);
  m["kernel_version"] = u.version;
  m["arch"] = u.machine;
  m["hostname"] = u.nodename;
  bool hypervisor = false;
  m["cpu_model"] = ParseCpuModel(ReadText("/proc/cpuinfo"), &hypervisor);
  m["virtual_machine"] = hypervisor;
  m["online_cpus"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  m["memory_bytes"] = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  // The kernel's answer, as the agent decides it (probes/pmu_kernel_answer.h).
  m["hardware_pmu"] = iotax::pmu::AskKernelForCounters().Counts();
  m["load_average_1m_at_start"] = LoadAverage1();
  m["clock_ticks_per_second"] = sysconf(_SC_CLK_TCK);
  m["compiler"] = __VERSION__;
  json versions;
  auto version_of = [&](const std::string& prog) {
    auto out = RunAndCapture({absl::StrCat(bin_dir, "/", prog), "--version"}, absl::Seconds(5));
    versions[prog] = out.ok() ? FirstLine(*out) : absl::StrCat("unknown (", out.status().message(), ")");
  };
  version_of("iotaxd");
  version_of("iotax");
  json packages;
  for (const char* pkg : {"liburing2", "libbpf1", "gnuplot-nox", "libabsl20220623", "nlohmann-json3-dev"}) {
    auto out = RunAndCapture({"/usr/bin/dpkg-query", "-W", "-f=${Version}", pkg}, absl::Seconds(5));
    packages[pkg] = out.ok() ? FirstLine(*out) : "not installed";
  }
  m["versions"] = versions;
  m["packages"] = packages;
  m["bin_dir"] = bin_dir;
  return m;
}

std::string MachineLine(const json& m) {
  const double gib = static_cast<double>(m.value("memory_bytes", uint64_t{0})) / (1u << 30);
  return absl::StrFormat("%s, %s (%d CPUs%s), %.0f GiB, %s", m.value("kernel", "?"), m.value("cpu_model", "?"),
                         m.value("online_cpus", 0), m.value("virtual_machine", false) ? ", virtual machine" : "", gib,
                         m.value("hardware_pmu", false) ? "hardware PMU" : "no hardware PMU");
}

}  // namespace iotax::bench
