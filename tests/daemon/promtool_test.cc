// promtool (from Debian's prometheus package) must accept what /metrics serves.
#include <gtest/gtest.h>

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "metrics_collector.h"
#include "metrics_route.h"
#include "synthetic_view.h"

namespace iotax {
namespace {

constexpr char kPromtool[] = "/usr/bin/promtool";

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// Feeds `text` to `promtool check metrics` on stdin.
CheckResult PromtoolCheck(const std::string& text) {
  char path[] = "/tmp/iotax_promtool_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {};
  close(fd);
  std::ofstream(path) << text;
  const std::string cmd = std::string("timeout 30 ") + kPromtool + " check metrics < " + path + " 2>&1";
  CheckResult r;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(path);
  return r;
}

std::string Render(DaemonView view) {
  auto c = std::make_shared<MetricsCollector>([view] { return view; });
  return RenderMetricsText({c});
}

class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " missing: install the Debian package prometheus (make deps)";
  }
};

TEST_F(Promtool, AcceptsTheFullSyntheticScrape) {
  const CheckResult r = PromtoolCheck(Render(testing::MakeFullView()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "promtool lint findings";
}

TEST_F(Promtool, AcceptsAScrapeWithNoTargetsYet) {
  DaemonView v = testing::MakeFullView();
  v.snapshot.targets.clear();
  for (auto& p : v.snapshot.probes) p.run_stats_valid = false;
  const CheckResult r = PromtoolCheck(Render(v));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(Promtool, AcceptsAwkwardProcessNames) {
  DaemonView v = testing::MakeFullView();
  v.snapshot.targets[0].comm = "a \"q\" \\ b";
  v.comm_watches[0].comm = "x\ny";
  const CheckResult r = PromtoolCheck(Render(v));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(Promtool, CatchesBrokenInput) {
  // The check itself must be able to fail.
  const CheckResult r = PromtoolCheck("iotax_bad{ 1\n");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace iotax
