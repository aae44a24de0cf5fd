// The deployment files in dashboards/deploy, offline: systemd accepts the
// unit without a warning and it grants exactly CAP_BPF and CAP_PERFMON to a
// non-root user with no_new_privs; the Kubernetes manifests parse and agree
// with each other and with the unit (check_manifests.py). Whether those
// capabilities are enough, and each needed, is deploy_privileges_test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "dashboard_files.h"
#include "run_command.h"

namespace iotax::dashboards {

using testing::CommandResult;
using testing::RunCommand;
using testing::HaveProgram;
namespace {

// Key=value lines of a unit file ("Key" -> values in order).
std::multimap<std::string, std::string> UnitSettings(const std::string& text) {
  std::multimap<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string One(const std::multimap<std::string, std::string>& s, const std::string& key) {
  EXPECT_EQ(s.count(key), 1u) << key;
  auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

TEST(SystemdUnit, VerifiesWithoutWarnings) {
  if (!HaveProgram("systemd-analyze")) GTEST_SKIP() << "systemd-analyze missing (Debian package systemd)";
  // verify insists that ExecStart exists: point it at the built iotaxd.
  const std::string unit = ReadFile(SourcePath(kSystemdUnit));
  ASSERT_NE(unit.find("ExecStart=/usr/local/bin/iotaxd "), std::string::npos);
  char dir[] = "/tmp/iotax_unit_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/iotaxd.service";
  std::ofstream(path) << absl::StrReplaceAll(unit, {{"/usr/local/bin/iotaxd", std::string(IOTAX_BIN_DIR) + "/iotaxd"}});
  const CommandResult r = RunCommand("systemd-analyze verify " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "systemd ignores settings it does not understand, with a warning";
  // And the check can fail: an unknown setting is reported.
  std::ofstream(path, std::ios::app) << "ProtectSystem=sometimes\n";
  EXPECT_NE(RunCommand("systemd-analyze verify " + path).output, "");
  unlink(path.c_str());
  rmdir(dir);
}

TEST(SystemdUnit, RunsUnprivilegedWithExactlyBpfAndPerfmon) {
  const auto s = UnitSettings(ReadFile(SourcePath(kSystemdUnit)));
  EXPECT_EQ(One(s, "DynamicUser"), "yes");
  EXPECT_EQ(s.count("User"), 0u) << "a transient user, never root";
  EXPECT_EQ(One(s, "AmbientCapabilities"), "CAP_BPF CAP_PERFMON");
  EXPECT_EQ(One(s, "CapabilityBoundingSet"), "CAP_BPF CAP_PERFMON");
  EXPECT_EQ(One(s, "NoNewPrivileges"), "yes");
  EXPECT_EQ(One(s, "ProtectSystem"), "strict");
  EXPECT_EQ(One(s, "SystemCallFilter"), "@system-service bpf perf_event_open");
  // These would break iotaxd (docs/deployment.md says why).
  EXPECT_EQ(s.count("PrivateUsers"), 0u);
  EXPECT_EQ(s.count("ProtectProc"), 0u);
  EXPECT_EQ(s.count("ProcSubset"), 0u);
  EXPECT_NE(One(s, "ExecStart").find("$IOTAXD_ARGS"), std::string::npos);
}

TEST(KubernetesManifests, ParseAndAgree) {
  if (RunCommand("python3 -c 'import yaml'", 20).exit_code != 0) {
    GTEST_SKIP() << "python3 with the yaml module missing (Debian package python3-yaml)";
  }
  const std::string script = std::string(IOTAX_SOURCE_DIR) + "/tests/dashboards/check_manifests.py";
  const CommandResult r = RunCommand("python3 " + script + " " + SourcePath(kDaemonSet) + " " +
                                     SourcePath(kServiceMonitor) + " " + SourcePath(kSystemdUnit));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(KubernetesManifests, TheCheckerCatchesADaemonSetWithoutHostPid) {
  if (RunCommand("python3 -c 'import yaml'", 20).exit_code != 0) GTEST_SKIP() << "python3-yaml missing";
  char dir[] = "/tmp/iotax_ds_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/daemonset.yaml";
  std::ofstream(path) << absl::StrReplaceAll(ReadFile(SourcePath(kDaemonSet)), {{"hostPID: true", "hostPID: false"}});
  const std::string script = std::string(IOTAX_SOURCE_DIR) + "/tests/dashboards/check_manifests.py";
  const CommandResult r =
      RunCommand("python3 " + script + " " + path + " " + SourcePath(kServiceMonitor) + " " + SourcePath(kSystemdUnit));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("hostPID"), std::string::npos) << r.output;
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace iotax::dashboards
