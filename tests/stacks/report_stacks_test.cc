// iotax report --stacks on the bundled blocking echo server under load: the
// off-CPU profile's heaviest stack is the server's read path on a socket,
// the on-CPU profile has samples of the server, both flame graphs are
// drawn, and the call-site table names the read path.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "e2e_support.h"
#include "nlohmann/json.hpp"
#include "folded_stacks.h"
#include "require.h"

namespace iotax::testing {
namespace {

TEST(ReportStacks, BlockingServerBlocksInItsReadPathOnASocket) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  std::optional<Server> server = StartServer("blocking", dir.File("server.err"));
  ASSERT_TRUE(server) << ReadFile(dir.File("server.err"));
  std::unique_ptr<Subprocess> client = StartClient(server->port, 10, 5000, "8s", dir.File("client.err"));
  ASSERT_TRUE(client);
  const std::string stacks_dir = dir.File("stacks");
  const RunResult r = RunProgram({Bin("iotax"), "report", absl::StrCat("--pid=", server->process->pid()),
                                  "--duration=3s", "--stacks=" + stacks_dir},
                                 dir.File("report.err"), absl::Seconds(60));
  client->Stop(absl::Seconds(5));
  server->process->Stop(absl::Seconds(5));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  absl::StatusOr<stacks::FoldedStacks> offcpu = stacks::ParseFolded(ReadFile(stacks_dir + "/offcpu.folded"));
  ASSERT_TRUE(offcpu.ok()) << offcpu.status();
  ASSERT_FALSE(offcpu->empty()) << "no off-CPU stack; report said:\n" << r.out << r.err;
  const auto heaviest = std::max_element(offcpu->begin(), offcpu->end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_TRUE(absl::StrContains(heaviest->first, "ServeConnection")) << heaviest->first;
  EXPECT_TRUE(absl::StrContains(heaviest->first, "read (socket)")) << heaviest->first;
  EXPECT_GT(heaviest->second, 0u);

  absl::StatusOr<stacks::FoldedStacks> oncpu = stacks::ParseFolded(ReadFile(stacks_dir + "/oncpu.folded"));
  ASSERT_TRUE(oncpu.ok()) << oncpu.status();
  EXPECT_GT(stacks::TotalCount(*oncpu), 0u) << "no on-CPU sample of a server that served load";

  for (const char* svg : {"/offcpu.svg", "/oncpu.svg"}) {
    const std::string text = ReadFile(stacks_dir + svg);
    EXPECT_TRUE(absl::StrContains(text, "</svg>")) << svg;
    EXPECT_TRUE(absl::StrContains(text, "<rect")) << svg;
  }
  EXPECT_TRUE(absl::StrContains(r.out, "Where threads blocked")) << r.out;
  const std::string table = r.out.substr(r.out.find("Where threads blocked"));
  const std::string first_row = table.substr(table.find('\n', table.find("blocks")) + 1);
  EXPECT_TRUE(absl::StrContains(first_row.substr(0, first_row.find('\n')), "ServeConnection")) << table;
  EXPECT_FALSE(absl::StrContains(table, "frame pointers")) << "the bundled server keeps frame pointers:\n" << table;
}

TEST(ReportStacks, AnUnwritableDirectoryFailsBeforeMeasuring) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const RunResult r = RunProgram({Bin("iotax"), "report", absl::StrCat("--pid=", getpid()), "--duration=1s",
                                  "--stacks=/proc/iotax-cannot-write-here"},
                                 dir.File("report.err"), absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--stacks=/proc/iotax-cannot-write-here: cannot create or write")) << r.err;
  EXPECT_EQ(r.out, "");
}

// --follow-children: a process the target forks after attach has its stacks
// taken too (the kernel adds it at the fork): the child's read appears.
TEST(ReportStacks, FollowChildrenTakesTheStacksOfAChildForkedAfterAttach) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  auto target = Subprocess::Start({IOTAX_FORK_READER, "--seconds=20"}, dir.File("target.err"));
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_EQ((*target)->ReadLine(absl::Seconds(10)).value_or(""), "ready");
  const std::string stacks_dir = dir.File("stacks");
  auto report = Subprocess::Start({Bin("iotax"), "report", absl::StrCat("--pid=", (*target)->pid()),
                                   "--follow-children", "--duration=3s", "--stacks=" + stacks_dir},
                                  dir.File("report.err"));
  ASSERT_TRUE(report.ok()) << report.status();
  // Fork only once the report measures: the child is one the report never saw at attach.
  for (int i = 0; i < 200 && !absl::StrContains(ReadFile(dir.File("report.err")), "measuring"); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(absl::StrContains(ReadFile(dir.File("report.err")), "measuring")) << ReadFile(dir.File("report.err"));
  ASSERT_EQ(kill((*target)->pid(), SIGUSR1), 0);
  const std::string forked = (*target)->ReadLine(absl::Seconds(10)).value_or("");
  ASSERT_TRUE(absl::StartsWith(forked, "forked ")) << forked;
  const std::string out = (*report)->ReadAll(absl::Seconds(60));
  ASSERT_EQ((*report)->Wait(absl::Seconds(5)).value_or(-1), 0) << out << ReadFile(dir.File("report.err"));
  (*target)->Stop(absl::Seconds(5));

  const std::string offcpu = ReadFile(stacks_dir + "/offcpu.folded");
  bool child_read = false;
  for (absl::string_view line : absl::StrSplit(offcpu, '\n')) {
    child_read = child_read || (absl::StrContains(line, "ChildBlocksInRead") && absl::StrContains(line, "read (pipe)"));
  }
  EXPECT_TRUE(child_read) << "no stack of the child's read in:\n" << offcpu;
}

// iotaxd --stacks: the same stacks on request, after iotaxd has dropped
// every privilege (the targets' maps were opened before the drop).
TEST(IotaxdStacks, ServesCallSitesAndFlameGraphsAfterDroppingPrivileges) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  std::optional<Server> server = StartServer("blocking", dir.File("server.err"));
  ASSERT_TRUE(server) << ReadFile(dir.File("server.err"));
  std::unique_ptr<Subprocess> client = StartClient(server->port, 10, 5000, "8s", dir.File("client.err"));
  ASSERT_TRUE(client);
  std::optional<Daemon> daemon = StartIotaxd(
      {absl::StrCat("--pid=", server->process->pid()), "--calibration=none", "--stacks"}, dir.File("iotaxd.err"));
  ASSERT_TRUE(daemon) << ReadFile(dir.File("iotaxd.err"));
  absl::SleepFor(absl::Seconds(3));
  const std::string body = HttpGetBody(daemon->port, "/api/stacks");
  const std::string svg = HttpGetBody(daemon->port, "/api/stacks/offcpu.svg");
  daemon->process->Stop(absl::Seconds(5));
  client->Stop(absl::Seconds(5));
  server->process->Stop(absl::Seconds(5));
  EXPECT_TRUE(absl::StrContains(ReadFile(dir.File("iotaxd.err")), "dropped every capability"));

  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  ASSERT_FALSE(j["call_sites"].empty()) << body;
  const nlohmann::json& top = j["call_sites"][0];
  EXPECT_EQ(top["call"], "read (socket)") << body;
  EXPECT_TRUE(absl::StrContains(top["site"].get<std::string>(), "ServeConnection")) << body;
  EXPECT_GT(top["blocks"].get<uint64_t>(), 0u);
  EXPECT_TRUE(absl::StrContains(j["offcpu_folded"].get<std::string>(), "ServeConnection"));
  EXPECT_TRUE(absl::StrContains(svg, "</svg>")) << svg.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(svg, "ServeConnection"));
}

}  // namespace
}  // namespace iotax::testing
