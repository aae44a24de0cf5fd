// The page in a real browser: iotaxd attached to a small workload, "/"
// loaded in headless Chromium (its script runs, fetches /api/report and
// /api/series, draws the charts). Asserts the verdict is shown, the charts
// have data and the console stayed silent; keeps a screenshot in
// build/test-artifacts/verdict-page.png.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_split.h"
#include "e2e_support.h"
#include "nlohmann/json.hpp"
#include "require.h"

namespace iotax::testing {
namespace {

std::optional<std::string> FindChromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(p, X_OK) == 0) return std::string(p);
  }
  return std::nullopt;
}

std::vector<std::string> ChromiumArgs(const std::string& chromium, const std::string& profile) {
  return {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-extensions", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
          "--virtual-time-budget=6000"};
}

// The value of attribute `name` of the element with id `id` in `dom`.
std::string Attribute(const std::string& dom, const std::string& id, const std::string& name) {
  const size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t tag_start = dom.rfind('<', at);
  const size_t tag_end = dom.find('>', at);
  const std::string tag = dom.substr(tag_start, tag_end - tag_start);
  const size_t a = tag.find(name + "=\"");
  if (a == std::string::npos) return "";
  const size_t v = a + name.size() + 2;
  return tag.substr(v, tag.find('"', v) - v);
}

TEST(WebPage, ShowsTheVerdictAndLiveChartsInChromium) {
  IOTAX_REQUIRE_BPF();
  const std::optional<std::string> chromium = FindChromium();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (apt-get install chromium; make deps does it)";
  TempDir dir;
  auto server = StartServer("blocking", dir.File("server.err"));
  ASSERT_TRUE(server);
  auto client = StartClient(server->port, 20, 5000, "12s", dir.File("client.err"));
  ASSERT_TRUE(client);
  std::optional<Daemon> daemon = StartIotaxd(
      {absl::StrCat("--pid=", server->process->pid()), "--verdict-window=4s", "--calibration=none"},
      dir.File("iotaxd.err"));
  ASSERT_TRUE(daemon) << ReadFile(dir.File("iotaxd.err"));
  const std::string url = absl::StrCat("http://127.0.0.1:", daemon->port, "/");
  absl::SleepFor(absl::Seconds(5));  // a few seconds of history for the charts

  // The DOM after the script ran.
  std::vector<std::string> args = ChromiumArgs(*chromium, dir.File("profile1"));
  args.push_back("--dump-dom");
  args.push_back(url);
  const RunResult dom = RunProgram(args, dir.File("chromium-dom.err"), absl::Seconds(60));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const std::string& html = dom.out;

  // The verdict: a level word, the summary sentence and reasons, as served.
  EXPECT_FALSE(absl::StrContains(html, "Waiting for the first measurement")) << html.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(html, "Blocking IO costs") || absl::StrContains(html, "No blocking"))
      << html.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(html, "class=\"level maybe\"") || absl::StrContains(html, "class=\"level likely_worth_it\"") ||
              absl::StrContains(html, "class=\"level not_worth_it\""))
      << html.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(html, "<li>")) << "no reasons listed";
  EXPECT_TRUE(absl::StrContains(html, absl::StrCat("PID ", server->process->pid())));
  // Every chart has points.
  for (const char* chart : {"chart-cpu", "chart-share", "chart-offcpu", "chart-syscalls"}) {
    int points = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Attribute(html, chart, "data-points"), &points)) << chart;
    EXPECT_GE(points, 3) << chart;
  }
  // The console stayed silent: no script error, no failed request.
  for (absl::string_view l : absl::StrSplit(dom.err, '\n')) {
    EXPECT_FALSE(absl::StrContains(l, ":CONSOLE")) << l;
    EXPECT_FALSE(absl::StrContains(l, "Uncaught")) << l;
  }

  // The screenshot, kept as a test artefact.
  const std::string artifacts = std::string(IOTAX_BIN_DIR) + "/../test-artifacts";
  std::filesystem::create_directories(artifacts);
  const std::string png = artifacts + "/verdict-page.png";
  std::filesystem::remove(png);
  args = ChromiumArgs(*chromium, dir.File("profile2"));
  args.push_back("--window-size=1280,1700");
  args.push_back("--hide-scrollbars");
  args.push_back("--screenshot=" + png);
  args.push_back(url);
  const RunResult shot = RunProgram(args, dir.File("chromium-shot.err"), absl::Seconds(60));
  EXPECT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  EXPECT_GT(std::filesystem::file_size(png), 20000u);
  std::printf("screenshot: %s\n", png.c_str());

  kill(daemon->process->pid(), SIGINT);
  EXPECT_EQ(daemon->process->Wait(absl::Seconds(15)), 0);
  client->ReadAll(absl::Seconds(20));
  server->process->Stop();
}

}  // namespace
}  // namespace iotax::testing
