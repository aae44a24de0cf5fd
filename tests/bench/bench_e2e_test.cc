// iotax-bench as a program, without privileges: command-line and config
// errors, and a small matrix without the agent, which then refuses to
// overwrite its results or to resume under a changed config.
#include <gtest/gtest.h>

#include <fstream>

#include "bench_cli.h"

namespace {

using namespace iotax::bench::testing;

TEST(BenchE2e, BadConfigIsExitTwoWithTheLine) {
  TempDir dir;
  std::ofstream(dir.path() + "/bad.conf") << "servers = blocking\nloads = closed, 2\n";
  const Outcome o = RunBench({"--config", dir.path() + "/bad.conf", "--out", dir.path() + "/out"}, dir.path() + "/err",
                             absl::Seconds(20));
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("bad.conf:2: loads: 2 is not a fraction of the saturation"), std::string::npos) << o.err;
  struct stat st;
  EXPECT_NE(stat((dir.path() + "/out").c_str(), &st), 0) << "nothing is written for a bad config";
  EXPECT_EQ(RunBench({"--config", "x", "--quick"}, dir.path() + "/err", absl::Seconds(20)).code, 2);
  EXPECT_EQ(RunBench({"stray"}, dir.path() + "/err", absl::Seconds(20)).code, 2);
}

TEST(BenchE2e, RealServersChecksItsFlagsAndItsScriptIsInstalledBesideIt) {
  TempDir dir;
  const Outcome o = RunBench({"--real-servers", "--real-seconds", "2"}, dir.path() + "/err", absl::Seconds(20));
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--real-seconds must be at least 5"), std::string::npos) << o.err;
  const std::string script = std::string(IOTAX_BIN_DIR) + "/real_servers.sh";
  EXPECT_EQ(access(script.c_str(), X_OK), 0) << script << " is what --real-servers runs";
  // The script itself refuses a wrong call with its usage, before it installs anything.
  const int rc = std::system(absl::StrCat(script, " only-one-arg > ", dir.path(), "/usage 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  EXPECT_NE(ReadFile(dir.path() + "/usage").find("usage:"), std::string::npos);
}

constexpr char kNoAgentConfig[] =
    "servers = epoll, uring\nconns = 4\nloads = closed, 0.5\nplacements = separate\nproof_load = none\n"
    "agent = off\nrepeats = 1\nwarmup = 100ms\nduration = 300ms\nunloaded_duration = 200ms\n";

TEST(BenchE2e, MatrixWithoutTheAgentRunsAndRefusesToOverwrite) {
  TempDir dir;
  const std::string conf = dir.path() + "/noagent.conf";
  std::ofstream(conf) << kNoAgentConfig;
  const std::string out = dir.path() + "/out";
  const Outcome o = RunBench({"--config", conf, "--out", out}, dir.path() + "/err", absl::Seconds(90));
  ASSERT_EQ(o.code, 0) << o.err;
  const json results = ReadJson(out + "/results.json");
  ASSERT_TRUE(results.is_object());
  EXPECT_TRUE(results["complete"].get<bool>());
  ASSERT_EQ(results["runs"].size(), 6u);  // unloaded, closed, open x 2 servers
  for (const json& r : results["runs"]) {
    EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
    EXPECT_GT(r["client_measured"]["throughput_rps"].get<double>(), 0);
    // The server did real work and the client measured it, per request.
    EXPECT_GT(r["per_request"]["server_cpu_us"].get<double>(), 0.1) << r.dump();
    EXPECT_LT(r["per_request"]["server_cpu_us"].get<double>(), 10000) << r.dump();
  }
  EXPECT_NE(ReadFile(out + "/report.md").find("## All points"), std::string::npos);
  // Running again into the same directory is refused, and says how to resume.
  const Outcome again = RunBench({"--config", conf, "--out", out}, dir.path() + "/err2", absl::Seconds(20));
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  // Resuming with a changed config is refused with both hashes.
  std::ofstream(conf) << kNoAgentConfig << "seed = 9\n";
  const Outcome changed = RunBench({"--resume", out, "--config", conf}, dir.path() + "/err3", absl::Seconds(20));
  EXPECT_EQ(changed.code, 1);
  EXPECT_NE(changed.err.find("the config changed"), std::string::npos) << changed.err;
}

}  // namespace
