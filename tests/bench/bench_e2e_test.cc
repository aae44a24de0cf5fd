// iotax-bench as a program: command-line errors, an unprivileged matrix
// without the agent, and the quick matrix with iotaxd attached, interrupted
// with SIGINT after its first run and resumed to the end.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "child_process.h"
#include "nlohmann/json.hpp"
#include "require.h"

namespace {

using iotax::bench::ChildProcess;
using nlohmann::json;

const std::string kBench = std::string(IOTAX_BIN_DIR) + "/iotax-bench";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/iotax-bench-e2e-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(absl::StrCat("rm -rf '", path_, "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

Outcome RunBench(const std::vector<std::string>& args, const std::string& err_path, absl::Duration timeout) {
  std::vector<std::string> argv = {kBench};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start(argv, err_path);
  EXPECT_TRUE(child.ok()) << child.status();
  Outcome o;
  if (!child.ok()) return o;
  o.out = (*child)->ReadAll(timeout);
  o.code = (*child)->Wait(absl::Seconds(5)).value_or(-1);
  if ((*child)->running()) (*child)->Stop(absl::Seconds(1));
  o.err = ReadFile(err_path);
  return o;
}

json ReadJson(const std::string& path) { return json::parse(ReadFile(path), nullptr, false); }

// Point ids of a matrix, from --dry-run (one run key per line).
std::set<std::string> PointIds(const std::vector<std::string>& matrix_args) {
  TempDir tmp;
  std::vector<std::string> args = matrix_args;
  args.push_back("--dry-run");
  const Outcome o = RunBench(args, tmp.path() + "/err", absl::Seconds(20));
  EXPECT_EQ(o.code, 0) << o.err;
  std::set<std::string> ids;
  for (absl::string_view line : absl::StrSplit(o.out, '\n')) {
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) ids.insert(std::string(line.substr(0, hash)));
  }
  return ids;
}

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

TEST(BenchE2e, QuickMatrixInterruptedAfterTheFirstRunThenResumed) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const std::string out = dir.path() + "/quick";
  const std::string results_path = out + "/results.json";

  // Start, and interrupt as soon as the first run is saved.
  auto child = ChildProcess::Start({kBench, "--quick", "--out", out}, dir.path() + "/first.err");
  ASSERT_TRUE(child.ok()) << child.status();
  size_t saved = 0;
  for (int i = 0; i < 600 && saved == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json j = ReadJson(results_path);
    if (j.is_object() && j.contains("runs")) saved = j["runs"].size();
  }
  ASSERT_GE(saved, 1u) << ReadFile(dir.path() + "/first.err");
  kill((*child)->pid(), SIGINT);
  const std::optional<int> code = (*child)->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130) << ReadFile(dir.path() + "/first.err");
  const std::string first_err = ReadFile(dir.path() + "/first.err");
  EXPECT_NE(first_err.find("continue with: iotax-bench --resume"), std::string::npos) << first_err;
  const json partial = ReadJson(results_path);
  ASSERT_TRUE(partial.is_object());
  const size_t kept = partial["runs"].size();
  const std::set<std::string> ids = PointIds({"--quick"});
  ASSERT_EQ(ids.size(), 20u);
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 20u) << "SIGINT should stop the run early";
  EXPECT_FALSE(partial["complete"].get<bool>());
  const std::string first_key = partial["runs"][0]["key"];
  const std::string first_started = partial["runs"][0]["started_at"];

  // Resume: only the rest runs.
  const Outcome resumed = RunBench({"--resume", out}, dir.path() + "/second.err", absl::Seconds(110));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(absl::StrCat(kept, " of 20 runs already done")), std::string::npos) << resumed.err;

  const json results = ReadJson(results_path);
  ASSERT_TRUE(results.is_object());
  EXPECT_TRUE(results["complete"].get<bool>());
  ASSERT_EQ(results["runs"].size(), 20u);
  std::set<std::string> points;
  int attached = 0;
  for (const json& r : results["runs"]) {
    EXPECT_TRUE(r["ok"].get<bool>()) << r["key"] << ": " << r["error"];
    points.insert(r["point_id"].get<std::string>());
    if (r["key"] == first_key) {
      EXPECT_EQ(r["started_at"], first_started) << "a finished run was redone";
    }
    if (r["agent_attached"].get<bool>()) {
      ++attached;
      ASSERT_TRUE(r["agent"].is_object()) << r.dump();
      EXPECT_FALSE(r["agent"]["level"].get<std::string>().empty());
      EXPECT_GT(r["agent"]["window_s"].get<double>(), 1.0);
      EXPECT_GT(r["per_request"]["syscalls"].get<double>(), 0.1);
      // The Prometheus export was read too.
      EXPECT_FALSE(r["agent"]["metric_verdict_level"].is_null());
    }
  }
  EXPECT_EQ(points, ids);
  EXPECT_EQ(attached, 4);

  // Every point in the CSV and the report; a proof row per placement; plots.
  const std::string csv = ReadFile(out + "/results.csv");
  const std::string md = ReadFile(out + "/report.md");
  for (const std::string& id : ids) EXPECT_NE(csv.find(id + ","), std::string::npos) << id;
  EXPECT_NE(md.find("## Prediction vs actual"), std::string::npos);
  EXPECT_NE(md.find("| 20 conns, 512 B, separate"), std::string::npos);
  EXPECT_NE(md.find("| 20 conns, 512 B, shared"), std::string::npos);
  EXPECT_NE(md.find("Median |error|"), std::string::npos);
  EXPECT_EQ(results["summary"]["proof"]["rows"].size(), 2u);
  const std::string svg = ReadFile(out + "/plots/proof.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos) << "gnuplot did not render plots/proof.svg";
  EXPECT_NE(ReadFile(out + "/plots/throughput_vs_conns_uring-client_c0_s512_w0_separate.svg").find("<svg"),
            std::string::npos);
}

}  // namespace
