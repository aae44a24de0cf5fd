// Running iotax-bench as a program from the tests: a temporary directory,
// the program's exit code and output, results.json, and the point ids of a
// matrix (from --dry-run).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "child_process.h"
#include "nlohmann/json.hpp"

namespace iotax::bench::testing {

using json = nlohmann::json;

inline const std::string kBench = std::string(IOTAX_BIN_DIR) + "/iotax-bench";

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

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline Outcome RunBench(const std::vector<std::string>& args, const std::string& err_path, absl::Duration timeout) {
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

inline json ReadJson(const std::string& path) { return json::parse(ReadFile(path), nullptr, false); }

// Point ids of a matrix, from --dry-run (one run key per line).
inline std::set<std::string> PointIds(const std::vector<std::string>& matrix_args) {
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

}  // namespace iotax::bench::testing
