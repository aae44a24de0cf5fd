// Config parsing and validation: defaults, the shipped matrices, and every
// kind of bad config with the line it names and the fix it suggests.
#include "bench_config.h"

#include <gtest/gtest.h>

#include <string>

#include "bench_presets.h"

namespace iotax::bench {
namespace {

// The error message of parsing `text`, or "" when it parses.
std::string ErrorOf(const std::string& text) {
  auto c = ParseBenchConfig(text, "t.conf");
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(BenchConfig, EmptyTextGivesTheDocumentedDefaults) {
  auto c = ParseBenchConfig("# nothing but a comment\n\n", "t.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->servers, (std::vector<std::string>{"blocking", "epoll", "uring"}));
  EXPECT_EQ(c->clients, (std::vector<std::string>{"uring"}));
  EXPECT_TRUE(c->closed_loop);
  EXPECT_EQ(c->open_fractions, (std::vector<double>{0.25, 0.5, 0.75}));
  EXPECT_EQ(c->repeats, 3);
  ASSERT_TRUE(c->proof_load.has_value());
  EXPECT_DOUBLE_EQ(*c->proof_load, 0.5);
  EXPECT_EQ(c->agent, AgentMode::kProof);
  EXPECT_EQ(c->calibration.kind, CalibrationChoice::kNone);
}

TEST(BenchConfig, ReadsListsDurationsSizesAndComments) {
  auto c = ParseBenchConfig(
      "servers = uring , blocking   # trailing comment\n"
      "conns=1,10,400\n"
      "sizes = 64, 4K, 1MiB\n"
      "loads = 0.9, closed, 0.1\n"
      "work_ns = 0, 2000\n"
      "work_bytes = 0, 64K\n"
      "placements = shared\n"
      "proof_load = 0.3\n"
      "repeats = 5\n"
      "warmup = 0s\n"
      "duration = 1500ms\n"
      "agent = all\n"
      "agent_duration = 5s\n"
      "calibration = /tmp/cal.json\n"
      "seed = 42\n",
      "t.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->servers, (std::vector<std::string>{"uring", "blocking"}));
  EXPECT_EQ(c->conns, (std::vector<int>{1, 10, 400}));
  EXPECT_EQ(c->sizes, (std::vector<size_t>{64, 4096, 1 << 20}));
  EXPECT_TRUE(c->closed_loop);
  EXPECT_EQ(c->open_fractions, (std::vector<double>{0.1, 0.9}));  // sorted
  EXPECT_EQ(c->work_ns, (std::vector<int64_t>{0, 2000}));
  EXPECT_EQ(c->work_bytes, (std::vector<int64_t>{0, 65536}));
  EXPECT_EQ(c->placements, (std::vector<Placement>{Placement::kShared}));
  EXPECT_DOUBLE_EQ(*c->proof_load, 0.3);
  EXPECT_EQ(c->repeats, 5);
  EXPECT_EQ(c->warmup, absl::ZeroDuration());
  EXPECT_EQ(c->duration, absl::Milliseconds(1500));
  EXPECT_EQ(c->agent, AgentMode::kAll);
  EXPECT_EQ(c->agent_duration, absl::Seconds(5));
  EXPECT_EQ(c->calibration.kind, CalibrationChoice::kPath);
  EXPECT_EQ(c->calibration.path, "/tmp/cal.json");
  EXPECT_EQ(c->seed, 42u);
}

TEST(BenchConfig, ShippedMatricesMatchTheBuiltInPresets) {
  for (const auto& [file, preset] : {std::pair<std::string, const char*>{"default.conf", kDefaultConfigText},
                                     std::pair<std::string, const char*>{"quick.conf", kQuickConfigText}}) {
    const std::string path = std::string(IOTAX_SOURCE_DIR) + "/docs/experiments/" + file;
    auto from_file = LoadBenchConfig(path);
    ASSERT_TRUE(from_file.ok()) << from_file.status();
    auto built_in = ParseBenchConfig(preset, file);
    ASSERT_TRUE(built_in.ok()) << built_in.status();
    EXPECT_EQ(from_file->Canonical(), built_in->Canonical()) << file << " differs from the preset in bench_presets.cc";
  }
}

TEST(BenchConfig, EveryExampleInDocsExperimentsParses) {
  for (const char* file :
       {"default.conf", "quick.conf", "handler-work.conf", "message-sizes.conf", "proof-calibrated.conf"}) {
    const std::string path = std::string(IOTAX_SOURCE_DIR) + "/docs/experiments/" + file;
    auto c = LoadBenchConfig(path);
    EXPECT_TRUE(c.ok()) << file << ": " << c.status();
  }
}

TEST(BenchConfig, UnknownKeyNamesTheLineAndSuggestsTheKey) {
  const std::string e = ErrorOf("servers = uring, blocking\n\nconn = 10\n");
  EXPECT_NE(e.find("t.conf:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'conn'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'conns'"), std::string::npos) << e;
  const std::string far = ErrorOf("frobnicate = 1\n");
  EXPECT_NE(far.find("the keys are"), std::string::npos) << far;
}

TEST(BenchConfig, BadValuesNameTheLineAndTheFix) {
  struct Case {
    std::string text, must_contain;
  } cases[] = {
      {"conns = 10, ten\n", "t.conf:1: conns: 'ten' is not a whole number"},
      {"conns = 0\n", "conns: 0 is out of range: use 1 to"},
      {"sizes = 12Q\n", "sizes: '12Q' is not a size"},
      {"sizes = 128MiB\n", "out of range: use 1 byte to 64MiB"},
      {"repeats = many\n", "repeats: 'many' is not a whole number"},
      {"repeats = 1, 2\n", "repeats: takes one value, not a list"},
      {"duration = 2 seconds\n", "duration: '2 seconds' is not a duration: use e.g. 500ms"},
      {"agent_duration = 2s\n", "verdict window"},
      {"agent = sometimes\n", "agent: unknown value 'sometimes': use off, proof or all"},
      {"calibration = maybe\n", "use none, machine, run, or the path"},
      {"placements = apart\n", "unknown placement 'apart'"},
      {"clients = epoll\n", "unknown client model 'epoll': use uring or blocking"},
      {"work_ns = -5\n", "work_ns: -5 is out of range"},
      {"just some words\n", "t.conf:1: 'just some words' is not `key = value`"},
      {"= 5\n", "the key before '=' is missing"},
  };
  for (const Case& c : cases) {
    const std::string e = ErrorOf(c.text);
    EXPECT_NE(e.find(c.must_contain), std::string::npos) << "config: " << c.text << "error: " << e;
  }
}

TEST(BenchConfig, EmptyListsAndEmptyItemsAreErrors) {
  EXPECT_NE(ErrorOf("conns =\n").find("t.conf:1: conns: the list is empty"), std::string::npos);
  EXPECT_NE(ErrorOf("conns = 1,,2\n").find("an empty item"), std::string::npos);
  EXPECT_NE(ErrorOf("servers = uring,\n").find("an empty item"), std::string::npos);
  EXPECT_NE(ErrorOf("conns = 10, 10\n").find("'10' is listed twice"), std::string::npos);
}

TEST(BenchConfig, RatesAboveSaturationAreRejected) {
  const std::string e = ErrorOf("loads = closed, 0.5, 1.5\n");
  EXPECT_NE(e.find("t.conf:1: loads: 1.5 is not a fraction of the saturation"), std::string::npos) << e;
  EXPECT_NE(ErrorOf("loads = closed, 0\n").find("above 0"), std::string::npos);
  EXPECT_EQ(ErrorOf("loads = closed, 1\n"), "");  // exactly the saturation is allowed
  // The proof must stay below saturation.
  EXPECT_NE(ErrorOf("proof_load = 1\n").find("below 1"), std::string::npos);
  EXPECT_NE(ErrorOf("proof_load = 1.2\n").find("proof_load"), std::string::npos);
}

TEST(BenchConfig, UnknownModelsAreRejected) {
  const std::string e = ErrorOf("servers = blocking, nginx\n");
  EXPECT_NE(e.find("t.conf:1: servers: unknown server model 'nginx': use blocking, epoll or uring"), std::string::npos)
      << e;
}

TEST(BenchConfig, RepeatedKeyNamesBothLines) {
  const std::string e = ErrorOf("conns = 1\nsizes = 64\nconns = 2\n");
  EXPECT_NE(e.find("t.conf:3: conns: already set on line 1"), std::string::npos) << e;
}

TEST(BenchConfig, CombinationsThatCannotRunAreExplained) {
  EXPECT_NE(ErrorOf("loads = 0.5\n").find("add `closed` to loads"), std::string::npos);
  EXPECT_NE(ErrorOf("servers = blocking, epoll\n").find("add both to servers, or set proof_load = none"),
            std::string::npos);
  EXPECT_NE(ErrorOf("proof_load = none\n").find("agent = proof attaches iotaxd to the proof's runs"),
            std::string::npos);
  EXPECT_NE(ErrorOf("agent = off\ncalibration = run\n").find("agent = off"), std::string::npos);
  EXPECT_EQ(ErrorOf("servers = epoll\nproof_load = none\nagent = off\n"), "");
}

TEST(BenchConfig, HashFollowsTheEffectiveSettingsNotTheFormatting) {
  auto a = ParseBenchConfig("conns = 10, 100\n# comment\n", "a");
  auto b = ParseBenchConfig("  conns=10,100   \n", "b");
  auto c = ParseBenchConfig("conns = 10, 200\n", "c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->Hash(), b->Hash());
  EXPECT_NE(a->Hash(), c->Hash());
  EXPECT_EQ(a->Hash().size(), 16u);
  // The canonical text parses back to the same config.
  auto again = ParseBenchConfig(a->Canonical(), "canonical");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Hash(), a->Hash());
}

TEST(BenchConfig, MissingFileSaysWhereExamplesAre) {
  auto c = LoadBenchConfig("/nonexistent/x.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("docs/experiments/"), std::string::npos);
}

}  // namespace
}  // namespace iotax::bench
