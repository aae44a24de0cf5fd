// A foreign server (servers/foreign) under a closed-loop load, measured by
// `iotax report --json`: what the foreign-server end-to-end tests share.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "e2e_support.h"
#include "nlohmann/json.hpp"

namespace iotax::testing {

// The foreign server `program` pinned to CPU 0 (by taskset, as one would pin
// a server found in the wild), with `flags`; its port from its first line
// ("port N"), 0 on failure.
inline int StartForeignServer(const TempDir& dir, const std::string& program, const std::vector<std::string>& flags,
                              std::unique_ptr<Subprocess>* server) {
  std::vector<std::string> argv = {"/usr/bin/taskset", "-c", "0", Bin(program), "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto started = Subprocess::Start(argv, dir.File("server.err"));
  if (!started.ok()) return 0;
  *server = std::move(*started);
  const std::optional<std::string> line = (*server)->ReadLine(absl::Seconds(10));
  int port = 0;
  if (!line || !absl::StartsWith(*line, "port ") || !absl::SimpleAtoi(line->substr(5), &port)) return 0;
  return port;
}

// A closed-loop load of `conns` connections, one 512 B request in flight
// each, the client on the other CPU, and `iotax report --json` with
// `target` (--pid=..., --comm=...) over 4 s of it; the load outlasts the
// report's window generously (attaching took up to 20 s in the sanitized
// build) and is stopped as soon as the report is done. The report's first
// target, or a failure.
inline nlohmann::json ReportUnderLoad(const TempDir& dir, const std::vector<std::string>& target, int port,
                                      int conns) {
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  auto client = Subprocess::Start({Bin("iotax-echo-client"), "--model=uring", absl::StrCat("--port=", port),
                                   absl::StrCat("--conns=", conns), "--msg-size=512", "--duration=90s",
                                   "--warmup=500ms", absl::StrCat("--cpus=", cpu), "--json", "--allow-invalid"},
                                  dir.File("client.err"));
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nlohmann::json();
  absl::SleepFor(absl::Milliseconds(1500));  // connected and warmed up
  std::vector<std::string> argv = {Bin("iotax"), "report"};
  argv.insert(argv.end(), target.begin(), target.end());
  argv.insert(argv.end(), {"--duration=4s", "--json", "--calibration=none"});
  const RunResult r = RunProgram(argv, dir.File("iotax.err"), absl::Seconds(60));
  const bool load_outlasted_report = !(*client)->Wait(absl::Milliseconds(1)).has_value();
  (*client)->Stop(absl::Seconds(2));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(load_outlasted_report) << "the load ended before iotax report's window did";
  const nlohmann::json report = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(report.is_discarded()) << r.out << r.err;
  if (r.exit_code != 0 || report.is_discarded() || !load_outlasted_report) return nlohmann::json();
  return report["targets"][0];
}

}  // namespace iotax::testing
