// results.json: atomic rewrites, run records that survive the round trip,
// and the resume rules (same config: continue; changed config: refuse with
// both hashes, or start over with --force).
#include "results_store.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "fake_runs.h"

namespace iotax::bench {
namespace {

using testing::MakeEstimate;
using testing::MakeRun;
using testing::MakeSetup;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/iotax-bench-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(absl::StrCat("rm -rf '", path_, "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

BenchConfig Config(const std::string& text = "conns = 10\n") {
  auto c = ParseBenchConfig(text, "t.conf");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ResultsStore, RunRecordSurvivesTheJsonRoundTrip) {
  RunRecord r = MakeRun(Point{Phase::kProof, "blocking", MakeSetup(), 0.5, true}, 2, 12345, 17.5, 80, 900);
  r.offered_rate = 12000;
  r.valid = false;
  r.invalid_reasons = {"fell behind"};
  r.agent = MakeEstimate(12345, 17.5, 2, 14, 1.5, 4, 1, 2);
  r.agent->reasons = {"a reason"};
  r.agent->metric_saving_ratio = 0.17;
  auto back = RunRecord::FromJson(r.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->key, r.key);
  EXPECT_EQ(back->point.Id(), r.point.Id());
  EXPECT_EQ(back->repeat, 2);
  EXPECT_DOUBLE_EQ(back->offered_rate, 12000);
  EXPECT_DOUBLE_EQ(back->throughput_rps, 12345);
  EXPECT_NEAR(back->ServerCpuPerRequestUs(), 17.5, 1e-9);
  EXPECT_FALSE(back->valid);
  ASSERT_TRUE(back->agent.has_value());
  EXPECT_DOUBLE_EQ(*back->agent->saving_share, *r.agent->saving_share);
  EXPECT_EQ(back->agent->reasons, r.agent->reasons);
  EXPECT_DOUBLE_EQ(*back->agent->metric_saving_ratio, 0.17);
  EXPECT_NEAR(*back->SyscallsPerRequest(), 2, 1e-9);
  // A record whose key does not match its parameters is rejected.
  nlohmann::json j = r.ToJson();
  j["conns"] = 7;
  EXPECT_FALSE(RunRecord::FromJson(j).ok());
}

TEST(ResultsStore, CommittedAgentEstimatesReadBackToTheSameJson) {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/experiments/default/results.json");
  ASSERT_TRUE(in) << "docs/experiments/default/results.json";
  const nlohmann::json results = nlohmann::json::parse(in);
  int estimates = 0;
  for (const nlohmann::json& run : results.at("runs")) {
    if (!run.contains("agent") || !run["agent"].is_object()) continue;
    EXPECT_EQ(AgentEstimate::FromJson(run["agent"]).ToJson(), run["agent"]) << run.value("key", "");
    ++estimates;
  }
  EXPECT_GT(estimates, 0);
  // Keys missing from an older file keep their defaults.
  const AgentEstimate sparse = AgentEstimate::FromJson({{"cpu_s", 1.5}, {"saving_share", nullptr}});
  EXPECT_DOUBLE_EQ(sparse.cpu_s, 1.5);
  EXPECT_FALSE(sparse.saving_share.has_value());
  EXPECT_FALSE(sparse.untraced_s.has_value());
  EXPECT_TRUE(sparse.reasons.empty());
}

TEST(ResultsStore, EveryAddRewritesTheFileAtomically) {
  TempDir dir;
  auto store = ResultsStore::Create(dir.path(), Config(), nlohmann::json{{"online_cpus", 2}}, false);
  ASSERT_TRUE(store.ok()) << store.status();
  const Point p{Phase::kClosed, "uring", MakeSetup(10), 0, false};
  ASSERT_TRUE(store->Add(MakeRun(p, 0, 1000, 5)).ok());
  EXPECT_EQ(Files(dir.path()), (std::vector<std::string>{"results.json"}));  // no .tmp left behind
  auto resumed = ResultsStore::Resume(dir.path(), Config(), nlohmann::json{}, false);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->runs().size(), 1u);
  EXPECT_NE(resumed->Find(RunSlot{p, 0}.Key()), nullptr);
  EXPECT_EQ(resumed->Find(RunSlot{p, 1}.Key()), nullptr);
  EXPECT_EQ(resumed->machine().value("online_cpus", 0), 2);  // the first invocation's machine
}

TEST(ResultsStore, FailedRunsAreNotFinishedAndGetReplaced) {
  TempDir dir;
  auto store = ResultsStore::Create(dir.path(), Config(), {}, false);
  ASSERT_TRUE(store.ok());
  const Point p{Phase::kClosed, "uring", MakeSetup(10), 0, false};
  RunRecord failed = MakeRun(p, 0, 0, 0);
  failed.ok = false;
  failed.error = "boom";
  ASSERT_TRUE(store->Add(failed).ok());
  EXPECT_EQ(store->Find(failed.key), nullptr);
  ASSERT_TRUE(store->Add(MakeRun(p, 0, 1000, 5)).ok());
  EXPECT_NE(store->Find(failed.key), nullptr);
  EXPECT_EQ(store->runs().size(), 1u);
}

TEST(ResultsStore, ANewRunRefusesADirectoryWithResults) {
  TempDir dir;
  ASSERT_TRUE(ResultsStore::Create(dir.path(), Config(), {}, false).ok());
  auto again = ResultsStore::Create(dir.path(), Config(), {}, false);
  ASSERT_FALSE(again.ok());
  const std::string msg(again.status().message());
  EXPECT_NE(msg.find("already holds results"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--resume"), std::string::npos) << msg;
  // --force moves the old file aside.
  ASSERT_TRUE(ResultsStore::Create(dir.path(), Config(), {}, true).ok());
  const auto files = Files(dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], "results.json");
  EXPECT_EQ(files[1].rfind("results.json.old-", 0), 0u);
}

TEST(ResultsStore, AChangedConfigIsRefusedUnlessForced) {
  TempDir dir;
  auto store = ResultsStore::Create(dir.path(), Config("conns = 10\n"), {}, false);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->Add(MakeRun(Point{Phase::kClosed, "uring", MakeSetup(10), 0, false}, 0, 1000, 5)).ok());
  const BenchConfig changed = Config("conns = 20\n");
  auto refused = ResultsStore::Resume(dir.path(), changed, {}, false);
  ASSERT_FALSE(refused.ok());
  const std::string msg(refused.status().message());
  EXPECT_NE(msg.find("the config changed"), std::string::npos) << msg;
  EXPECT_NE(msg.find(Config("conns = 10\n").Hash()), std::string::npos) << msg;
  EXPECT_NE(msg.find(changed.Hash()), std::string::npos) << msg;
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  auto forced = ResultsStore::Resume(dir.path(), changed, {}, true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_TRUE(forced->runs().empty());  // started over
  EXPECT_EQ(forced->config_hash(), changed.Hash());
}

TEST(ResultsStore, ResumeNeedsResultsAndReadableJson) {
  TempDir dir;
  auto none = ResultsStore::Resume(dir.path(), Config(), {}, false);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(std::string(none.status().message()).find("holds no results.json"), std::string::npos);
  std::ofstream(dir.path() + "/results.json") << "{\"runs\": [";
  auto truncated = ResultsStore::Resume(dir.path(), Config(), {}, false);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(std::string(truncated.status().message()).find("not valid JSON"), std::string::npos);
  EXPECT_TRUE(ResultsStore::Resume(dir.path(), Config(), {}, true).ok());
}

TEST(ResultsStore, StoredConfigTextParsesBackToTheSameConfig) {
  TempDir dir;
  const BenchConfig c = Config("conns = 3, 30\nrepeats = 2\n");
  ASSERT_TRUE(ResultsStore::Create(dir.path(), c, {}, false).ok());
  auto text = ResultsStore::StoredConfigText(dir.path());
  ASSERT_TRUE(text.ok()) << text.status();
  auto back = ParseBenchConfig(*text, "stored");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Hash(), c.Hash());
}

}  // namespace
}  // namespace iotax::bench
