// `iotax diff` as a user runs it: two folded files in, a table out, the
// differential flame graph and difffolded text written; bad input is one
// line that says what is wrong.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "run_command.h"

namespace iotax::testing {
namespace {

const std::string kIotax = std::string(IOTAX_BIN_DIR) + "/iotax";

class DiffCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("iotax_diff_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  std::filesystem::path dir_;
};

TEST_F(DiffCli, TableSvgAndDiffFoldedPerRequest) {
  const std::string before = Write("blocking.folded",
                                   "worker-1;serve;read;schedule 600\nworker-2;serve;read;schedule 400\n"
                                   "worker-1;serve;write 300\n");
  const std::string after = Write("uring.folded", "loop-0;run;io_uring_enter 200\nloop-0;run;serve;write 280\n");
  const std::string svg = (dir_ / "diff.svg").string();
  const std::string folded = (dir_ / "diff.folded").string();
  const CommandResult r = RunCommand(kIotax + " diff " + before + " " + after +
                                     " --requests=1000,1000 --merge-pools --svg=" + svg + " --folded=" + folded);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "per request")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "read\n")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "-100%")) << r.output;  // read is gone
  EXPECT_TRUE(absl::StrContains(r.output, "new")) << r.output;    // io_uring_enter is new
  const std::string svg_text = Read(svg);
  EXPECT_TRUE(absl::StrContains(svg_text, "</svg>")) << svg_text.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(svg_text, "io_uring_enter"));
  // Pools merged before comparing: worker-1 and worker-2 are one stack.
  EXPECT_TRUE(absl::StrContains(Read(folded), "worker;serve;read;schedule 1 0\n")) << Read(folded);
}

TEST_F(DiffCli, BadInputIsOneLineWithTheFix) {
  const std::string good = Write("a.folded", "a;b 1\n");
  const std::string bad = Write("bad.folded", "a;b 1\nno count here\n");
  CommandResult r = RunCommand(kIotax + " diff " + good + " " + (dir_ / "missing.folded").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "cannot read")) << r.output;
  r = RunCommand(kIotax + " diff " + good + " " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "bad.folded: line 2")) << r.output;
  r = RunCommand(kIotax + " diff " + good);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "expected two folded-stack files")) << r.output;
  r = RunCommand(kIotax + " diff " + good + " " + good + " --normalize=requests");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--requests=BEFORE,AFTER")) << r.output;
  r = RunCommand(kIotax + " diff --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--svg")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--coalesce")) << r.output;
}

}  // namespace
}  // namespace iotax::testing
