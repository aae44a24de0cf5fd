// One verdict for a whole service, end to end (root + BPF): the real
// `iotax report --comm` on a prefork-like workload whose children come and
// go during the window, and on one with more processes than any per-process
// limit could hold. Each workload has a name of its own (its PID in it), so
// nothing else on the machine joins the service.
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "e2e_support.h"
#include "nlohmann/json.hpp"
#include "require.h"
#include "test_cgroup.h"

namespace iotax::testing {
namespace {

using nlohmann::json;

std::string UniqueComm(const char* what) { return absl::StrCat(what, getpid() % 100000); }

// The workload started and its sleeping children running, or nullptr.
std::unique_ptr<Subprocess> StartForkWorkload(const std::string& comm, int children, bool churn,
                                              const std::string& err_path) {
  std::vector<std::string> argv = {IOTAX_FORK_WORKLOAD, "--name=" + comm, absl::StrCat("--children=", children),
                                   "--seconds=60"};
  if (churn) argv.push_back("--churn");
  auto p = Subprocess::Start(argv, err_path);
  if (!p.ok()) return nullptr;
  // Forking a thousand children takes well under a second; generous for ASan on a loaded machine.
  const std::optional<std::string> line = (*p)->ReadLine(absl::Seconds(60));
  if (!line || *line != absl::StrCat("ready ", children)) return nullptr;
  return std::move(*p);
}

TEST(ServiceE2E, ReportOnAForkingServiceIsOneVerdictThatCountsProcessesThatCameAndWent) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const std::string comm = UniqueComm("iotaxsvc");
  std::unique_ptr<Subprocess> workload = StartForkWorkload(comm, 4, /*churn=*/true, dir.File("workload.err"));
  ASSERT_NE(workload, nullptr) << ReadFile(dir.File("workload.err"));

  const RunResult r = RunProgram({Bin("iotax"), "report", "--comm=" + comm, "--duration=3s", "--calibration=none"},
                                 dir.File("err"), absl::Seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("iotax report, "), 0u) << r.out;
  // One verdict, for the service, not one per process.
  size_t verdicts = 0;
  for (size_t at = r.out.find("Verdict: "); at != std::string::npos; at = r.out.find("Verdict: ", at + 1)) ++verdicts;
  EXPECT_EQ(verdicts, 1u) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "Service (every process named " + comm + ")")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "0.0% ± 0.0%")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "(0 IO calls")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.err, "zombie")) << r.err;

  const RunResult j = RunProgram({Bin("iotax"), "report", "--comm=" + comm, "--duration=3s", "--calibration=none",
                                  "--json"},
                                 dir.File("err_json"), absl::Seconds(60));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json report = json::parse(j.out);
  ASSERT_EQ(report.at("targets").size(), 1u) << j.out;
  const json& service = report.at("targets")[0].at("service");
  ASSERT_TRUE(service.is_object()) << j.out;
  EXPECT_EQ(service.at("kind"), "comm");
  EXPECT_EQ(service.at("name"), comm);
  // A worker every 5 ms for 3 s: hundreds joined and exited; bounds far
  // below that, so a loaded machine that forks slowly still passes.
  EXPECT_GT(service.at("processes_seen").get<int>(), 1) << service.dump();
  EXPECT_GT(service.at("processes_joined").get<int>(), 10) << service.dump();
  EXPECT_GT(service.at("processes_exited").get<int>(), 10) << service.dump();
  EXPECT_GE(service.at("processes_running").get<int>(), 5) << service.dump();  // the parent and its 4 sleepers
  EXPECT_GT(report.at("targets")[0].at("cpu_seconds").get<double>(), 0) << j.out;
}

TEST(ServiceE2E, MoreThanAThousandProcessesAreTracedAsOneService) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const std::string comm = UniqueComm("iotaxbig");
  constexpr int kChildren = 1100;
  std::unique_ptr<Subprocess> workload = StartForkWorkload(comm, kChildren, /*churn=*/false, dir.File("workload.err"));
  ASSERT_NE(workload, nullptr) << ReadFile(dir.File("workload.err"));

  const RunResult r = RunProgram({Bin("iotax"), "report", "--comm=" + comm, "--duration=2s", "--calibration=none",
                                  "--json"},
                                 dir.File("err"), absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  ASSERT_EQ(report.at("targets").size(), 1u);
  const json& service = report.at("targets")[0].at("service");
  EXPECT_GE(service.at("processes_seen").get<int>(), kChildren + 1) << service.dump();
  EXPECT_GE(service.at("processes_running").get<int>(), kChildren + 1) << service.dump();
  EXPECT_GE(report.at("targets")[0].at("latency").at("threads").get<int>(), kChildren + 1) << r.out.substr(0, 2000);
}

TEST(ServiceE2E, ACgroupIsOneServiceAndWhatItsProcessesForkJoinsIt) {
  IOTAX_REQUIRE_BPF();
  TestCgroup test_cgroup("iotax-service-test");
  if (test_cgroup.path().empty()) GTEST_SKIP() << test_cgroup.why();
  const std::string& cgroup = test_cgroup.path();
  TempDir dir;
  {
    // No sleeping children: every process the cgroup has was forked inside it.
    std::unique_ptr<Subprocess> workload = StartForkWorkload(UniqueComm("iotaxcg"), 0, /*churn=*/true,
                                                             dir.File("workload.err"));
    ASSERT_NE(workload, nullptr);
    test_cgroup.Add(workload->pid());
    const RunResult r = RunProgram({Bin("iotax"), "report", "--cgroup=" + cgroup, "--duration=2s",
                                    "--calibration=none", "--json"},
                                   dir.File("err"), absl::Seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json service = json::parse(r.out).at("targets")[0].at("service");
    EXPECT_EQ(service.at("kind"), "cgroup");
    EXPECT_EQ(service.at("name"), cgroup);
    EXPECT_GE(service.at("processes_running").get<int>(), 1) << service.dump();
    EXPECT_GT(service.at("processes_joined").get<int>(), 10) << service.dump();
  }
  // The workload is gone and its children die with it; the cgroup empties.
  EXPECT_TRUE(test_cgroup.Remove()) << "could not remove " << cgroup;
}

TEST(ServiceE2E, HelpSaysWhatLimitRemainsAndHowToTraceAService) {
  TempDir dir;
  const RunResult help = RunProgram({Bin("iotax"), "report", "--help"}, dir.File("err"), absl::Seconds(10));
  EXPECT_EQ(help.exit_code, 0);
  for (const char* part : {"--comm", "--cgroup", "--service", "limited to 64"}) {
    EXPECT_TRUE(absl::StrContains(help.out, part)) << part << "\n" << help.out;
  }
}

}  // namespace
}  // namespace iotax::testing
