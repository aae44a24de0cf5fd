// The proof that the shipped dashboard and rules work against the real thing:
// the blocking reference server under load, iotaxd attached to it, and the
// Debian prometheus server scraping iotaxd with the shipped scrape config and
// rule files. Every panel query and every recording rule is evaluated through
// Prometheus's HTTP API and must give a non-empty, finite result (PMU panels
// are skipped only when iotax_pmu_up is 0; iotaxd runs with software
// stand-ins, so here they are evaluated too); every metric they name must be
// in iotaxd's /metrics; the alerting rules evaluate, and two of them go
// pending when their condition really happens (the target exits, the agent
// stops).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "child_process.h"
#include "dashboard_files.h"
#include "prometheus_api.h"
#include "promql_names.h"
#include "require.h"
#include "run_command.h"

namespace iotax::dashboards {

using testing::CommandResult;
using testing::RunCommand;
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::iotax::testing::ChildProcess;
using Clock = std::chrono::steady_clock;

const std::string kBin = IOTAX_BIN_DIR;
const char kPrometheus[] = "/usr/bin/prometheus";
const char kPromtool[] = "/usr/bin/promtool";
// Grafana's $__rate_interval is at least 4 scrape intervals; 1 s scrapes here,
// and a margin for a loaded machine.
const char kRateInterval[] = "10s";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/iotax_dashboards_e2e_XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// The port at the end of `line` after `prefix` ("... 127.0.0.1:PORT[/metrics]").
int PortAfter(const std::optional<std::string>& line, const std::string& prefix) {
  if (!line || !absl::StartsWith(*line, prefix)) return 0;
  std::string rest = line->substr(prefix.size());
  rest = rest.substr(0, rest.find('/'));
  int port = 0;
  return absl::SimpleAtoi(rest, &port) ? port : 0;
}

// Replaces every `from` in `text`; false when there was none.
bool ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  if (text.find(from) == std::string::npos) return false;
  text = absl::StrReplaceAll(text, {{from, to}});
  return true;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return done();
}

// Series names in a Prometheus text exposition.
std::set<std::string> SeriesNames(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

double ScalarOf(int port, const std::string& expr) {
  const json j = ApiGet(port, "/api/v1/query?query=" + UrlEncode(expr));
  if (!j.is_object() || j.value("status", "") != "success" || j["data"]["result"].empty()) return NAN;
  return std::strtod(j["data"]["result"][0]["value"][1].get<std::string>().c_str(), nullptr);
}

struct Rule {
  std::string type;  // recording | alerting
  std::string name;
  std::string query;
  std::string health;
  std::string last_error;
  std::string state;  // alerting: inactive | pending | firing
};

std::vector<Rule> LoadedRules(int port) {
  std::vector<Rule> out;
  const json j = ApiGet(port, "/api/v1/rules");
  if (!j.is_object() || j.value("status", "") != "success") return out;
  for (const auto& g : j["data"]["groups"]) {
    for (const auto& r : g["rules"]) {
      out.push_back({r.value("type", ""), r.value("name", ""), r.value("query", ""), r.value("health", ""),
                     r.value("lastError", ""), r.value("state", "")});
    }
  }
  return out;
}

std::string AlertState(int port, const std::string& alertname, const std::string& label, const std::string& value) {
  const json j = ApiGet(port, "/api/v1/alerts");
  if (!j.is_object()) return "";
  for (const auto& a : j["data"]["alerts"]) {
    if (a["labels"].value("alertname", "") == alertname && a["labels"].value(label, "") == value) return a["state"];
  }
  return "";
}

TEST(DashboardsE2E, EveryPanelAndRuleHasDataFromALiveIotaxdThroughPrometheus) {
  IOTAX_REQUIRE_BPF();
  ASSERT_EQ(access(kPrometheus, X_OK), 0) << kPrometheus << " missing: install the Debian package prometheus (make deps)";
  const auto started = Clock::now();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());

  // The reference server, a load, and iotaxd on the server.
  ChildProcess server({kBin + "/iotax-echo-server", "--model=blocking", "--port=0"});
  const int server_port = PortAfter(server.ReadStdoutLine(10s), "listening on 127.0.0.1:");
  ASSERT_GT(server_port, 0) << server.DrainStderr(1s);
  const std::string server_pid = absl::StrCat(server.pid());
  // Open loop, 8 connections, 1000 requests/s: every read blocks, some
  // calls do not (calibration); --duration bounds it, the test stops it first.
  ChildProcess client({kBin + "/iotax-echo-client", absl::StrCat("--port=", server_port), "--conns=8", "--rate=1000",
                       "--duration=85s", "--allow-invalid"});
  // Software stand-ins make the PMU series exist without a hardware PMU;
  // --bpf-stats the BPF run time; a --comm that matches nothing the
  // comm-watch series (and their alert).
  const std::string absent_comm = "iotax-e2e-none";
  ChildProcess agent({kBin + "/iotaxd", "--pid=" + server_pid, "--comm=" + absent_comm, "--listen=127.0.0.1:0",
                      "--interval=200ms", "--pmu-events=cpu-clock,task-clock", "--bpf-stats", "--calibration=none"});
  const int agent_port = PortAfter(agent.ReadStdoutLine(30s), "iotaxd listening on http://127.0.0.1:");
  ASSERT_GT(agent_port, 0) << agent.DrainStderr(1s);

  // Prometheus with the shipped config: the target rewritten to this iotaxd,
  // 1 s scrapes and rule evaluations, the shipped rule files.
  std::string config = ReadFile(SourcePath(kScrapeConfig));
  ASSERT_TRUE(ReplaceAll(config, "127.0.0.1:9464", absl::StrCat("127.0.0.1:", agent_port)));
  ASSERT_TRUE(ReplaceAll(config, "scrape_interval: 15s", "scrape_interval: 1s"));
  ASSERT_TRUE(ReplaceAll(config, "evaluation_interval: 15s", "evaluation_interval: 1s"));
  ASSERT_TRUE(ReplaceAll(config, "scrape_timeout: 10s", "scrape_timeout: 1s"));
  std::ofstream(dir.path() + "/prometheus.yml") << config;
  for (const char* rules : {kRecordingRules, kAlertingRules}) {
    std::filesystem::copy_file(SourcePath(rules), dir.path() + "/" + std::filesystem::path(rules).filename().string());
  }
  const CommandResult check_config = RunCommand(std::string(kPromtool) + " check config " + dir.path() + "/prometheus.yml");
  ASSERT_EQ(check_config.exit_code, 0) << check_config.output;

  const int prom_port = FreeLoopbackPort();
  ASSERT_GT(prom_port, 0);
  ChildProcess prometheus({kPrometheus, "--config.file=" + dir.path() + "/prometheus.yml",
                           "--storage.tsdb.path=" + dir.path() + "/data",
                           absl::StrCat("--web.listen-address=127.0.0.1:", prom_port), "--log.level=warn"});
  ASSERT_TRUE(WaitFor([&] { return LoopbackGet(prom_port, "/-/ready").status == 200; }, 30s))
      << "prometheus not ready on 127.0.0.1:" << prom_port << ": " << prometheus.DrainStderr(1s);

  // Enough scrapes for rate() over $__rate_interval, and a verdict.
  const bool ready = WaitFor(
      [&] {
        return ScalarOf(prom_port, "count_over_time(up{job=\"iotax\"}[1m])") >= 8 &&
               ScalarOf(prom_port, "min(up{job=\"iotax\"})") == 1 &&
               ScalarOf(prom_port, "max(iotax_verdict_level{pid=\"" + server_pid + "\"})") > 0;
      },
      45s);
  ASSERT_TRUE(ready) << "after 45 s: scrapes "
                     << ScalarOf(prom_port, "count_over_time(up{job=\"iotax\"}[1m])") << ", up "
                     << ScalarOf(prom_port, "min(up{job=\"iotax\"})") << ", verdict level "
                     << ScalarOf(prom_port, "max(iotax_verdict_level)") << "; iotaxd: " << agent.DrainStderr(100ms);

  // promtool check metrics on what iotaxd serves now.
  const std::string exposition = LoopbackGet(agent_port, "/metrics").body;
  ASSERT_FALSE(exposition.empty());
  {
    std::ofstream(dir.path() + "/scrape.txt") << exposition;
    const CommandResult r = RunCommand(std::string(kPromtool) + " check metrics < " + dir.path() + "/scrape.txt");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  const std::set<std::string> exported = SeriesNames(exposition);

  // The rules as Prometheus loaded them, against the shipped files.
  const std::vector<Rule> rules = LoadedRules(prom_port);
  const auto recorded = RuleNames(ReadFile(SourcePath(kRecordingRules)), "record");
  const auto alerts = RuleNames(ReadFile(SourcePath(kAlertingRules)), "alert");
  std::set<std::string> loaded_recorded, loaded_alerts;
  for (const Rule& r : rules) (r.type == "recording" ? loaded_recorded : loaded_alerts).insert(r.name);
  EXPECT_EQ(loaded_recorded, std::set<std::string>(recorded.begin(), recorded.end()));
  EXPECT_EQ(loaded_alerts, std::set<std::string>(alerts.begin(), alerts.end()));

  // Series that exist only when a companion gauge is 1.
  const bool pmu_up = ScalarOf(prom_port, "max(iotax_pmu_up)") == 1;
  const bool bpf_stats = ScalarOf(prom_port, "max(iotax_bpf_stats_enabled)") == 1;
  std::set<std::string> conditional = PmuOnlyMetrics();
  const std::set<std::string> bpf_stats_only = {"iotax_bpf_prog_runs_total", "iotax_bpf_prog_run_seconds_total"};
  std::map<std::string, std::set<std::string>> rule_reads;  // recording rule -> metrics it reads, transitively
  for (const Rule& r : rules) {
    if (r.type == "recording") rule_reads[r.name] = MetricNamesIn(r.query);
  }
  auto reads = [&](const std::set<std::string>& names, const std::set<std::string>& of) {
    std::function<bool(const std::string&, int)> hit = [&](const std::string& n, int depth) {
      if (of.count(n)) return true;
      auto it = rule_reads.find(n);
      if (it == rule_reads.end() || depth > 5) return false;
      for (const auto& m : it->second) {
        if (hit(m, depth + 1)) return true;
      }
      return false;
    };
    for (const auto& n : names) {
      if (hit(n, 0)) return true;
    }
    return false;
  };
  auto skipped = [&](const std::set<std::string>& names) {
    return (!pmu_up && reads(names, conditional)) || (!bpf_stats && reads(names, bpf_stats_only));
  };
  const auto documented = DocumentedMetrics();
  auto name_problems = [&](const std::string& where, const std::set<std::string>& names) {
    std::vector<std::string> problems;
    for (const auto& n : names) {
      const bool ok = exported.count(n) || loaded_recorded.count(n) || IsPrometheusSeries(n) ||
                      (skipped({n}) && IsDocumentedSeries(n, documented));
      if (!ok) problems.push_back(where + " names " + n + ", which iotaxd does not export and no rule records");
    }
    return problems;
  };

  // Every panel query, with Grafana's variables set to this target.
  const json dashboard = LoadDashboard();
  ASSERT_TRUE(dashboard.is_object());
  const std::map<std::string, std::string> values = {
      {"job", ".+"},         {"instance", ".+"}, {"comm", "iotax-echo-serv"}, {"pid", server_pid},
      {"class", ".+"},       {"__rate_interval", kRateInterval},               {"__interval", "2s"},
      {"__range", "1m"},     {"datasource", "prometheus"}};
  struct Check {
    std::string where;
    std::string expr;
  };
  std::vector<Check> checks;
  size_t skipped_count = 0;
  for (const PanelQuery& q : PanelQueries(dashboard)) {
    const std::string expr = Substitute(q.expr, values);
    const auto names = MetricNamesIn(expr);
    for (const auto& p : name_problems("panel \"" + q.panel + "\" " + q.ref, names)) ADD_FAILURE() << p;
    if (skipped(names)) {
      ++skipped_count;
      continue;
    }
    checks.push_back({"panel \"" + q.panel + "\" " + q.ref, expr});
  }
  for (const Rule& r : rules) {
    const auto names = MetricNamesIn(r.query);
    for (const auto& p : name_problems("rule " + r.name, names)) ADD_FAILURE() << p;
    EXPECT_EQ(r.health, "ok") << r.name << ": " << r.last_error;
    if (r.type != "recording" || skipped(names)) continue;
    checks.push_back({"recording rule " + r.name, r.query});
    checks.push_back({"recorded series " + r.name, r.name});
  }
  ASSERT_GT(checks.size(), 60u);

  // Evaluate until everything has data, or the deadline: a rule's first
  // evaluation may still be a second away.
  std::vector<std::string> failures;
  const auto deadline = Clock::now() + 20s;
  do {
    failures.clear();
    for (const Check& c : checks) {
      const QueryResult r = InstantQuery(prom_port, c.expr);
      if (!r.error.empty()) {
        failures.push_back(c.where + ": error " + r.error + "\n    " + c.expr);
      } else if (r.series == 0) {
        failures.push_back(c.where + ": empty result\n    " + c.expr);
      } else if (r.non_finite > 0) {
        failures.push_back(c.where + ": " + std::to_string(r.non_finite) + " non-finite values, e.g. " +
                           r.first_non_finite + "\n    " + c.expr);
      }
    }
    if (!failures.empty()) std::this_thread::sleep_for(1s);
  } while (!failures.empty() && Clock::now() < deadline);
  for (const auto& f : failures) ADD_FAILURE() << f;
  std::cout << "evaluated " << checks.size() << " panel queries and rules (" << skipped_count
            << " skipped: pmu_up=" << pmu_up << " bpf_stats=" << bpf_stats << ")" << std::endl;
  EXPECT_TRUE(pmu_up) << "iotaxd runs with software stand-ins here: the PMU panels must be evaluated";

  // The template variables find this agent and this target, as Grafana asks.
  for (const auto& v : dashboard["templating"]["list"]) {
    if (v["type"] != "query") continue;
    const std::string query = Substitute(v["definition"], values);
    const size_t open = query.find('('), comma = query.rfind(',');
    ASSERT_TRUE(open != std::string::npos && comma != std::string::npos) << query;
    const std::string selector = query.substr(open + 1, comma - open - 1);
    std::string label = query.substr(comma + 1);
    label.erase(std::remove_if(label.begin(), label.end(), [](char c) { return c == ' ' || c == ')'; }), label.end());
    const json j = ApiGet(prom_port, "/api/v1/label/" + label + "/values?match[]=" + UrlEncode(selector));
    ASSERT_TRUE(j.is_object()) << query;
    std::vector<std::string> got = j["data"].get<std::vector<std::string>>();
    EXPECT_FALSE(got.empty()) << "variable " << v["name"] << ": " << query;
    if (v["name"] == "pid") {
      EXPECT_NE(std::find(got.begin(), got.end(), server_pid), got.end()) << query;
    }
    if (v["name"] == "comm") {
      EXPECT_NE(std::find(got.begin(), got.end(), "iotax-echo-serv"), got.end()) << query;
    }
  }

  // Alerts: a --comm with no process -> IotaxCommWatchEmpty is pending.
  EXPECT_TRUE(WaitFor([&] { return AlertState(prom_port, "IotaxCommWatchEmpty", "comm", absent_comm) == "pending"; }, 10s));
  // The target exits -> IotaxTargetGone goes pending for its pid.
  EXPECT_EQ(AlertState(prom_port, "IotaxTargetGone", "pid", server_pid), "");
  client.Kill(SIGTERM);
  client.Wait(5s);
  server.Kill(SIGTERM);
  ASSERT_TRUE(server.Wait(10s).has_value());
  EXPECT_TRUE(WaitFor([&] { return AlertState(prom_port, "IotaxTargetGone", "pid", server_pid) == "pending"; }, 15s))
      << "IotaxTargetGone did not go pending after the target exited";
  // The agent stops -> IotaxAgentDown goes pending for its instance.
  const std::string instance = absl::StrCat("127.0.0.1:", agent_port);
  EXPECT_EQ(AlertState(prom_port, "IotaxAgentDown", "instance", instance), "");
  agent.Kill(SIGTERM);
  EXPECT_EQ(agent.Wait(15s), 0);
  EXPECT_TRUE(WaitFor([&] { return AlertState(prom_port, "IotaxAgentDown", "instance", instance) == "pending"; }, 15s))
      << "IotaxAgentDown did not go pending after iotaxd stopped";

  // The figures docs/deployment.md quotes, for the record.
  std::cout << "scrape: " << exposition.size() << " bytes, " << exported.size() << " series names, "
            << ScalarOf(prom_port, "max_over_time(scrape_samples_scraped{job=\"iotax\"}[5m])") << " samples; "
            << "scrape_duration_seconds median "
            << ScalarOf(prom_port, "quantile_over_time(0.5, scrape_duration_seconds{job=\"iotax\"}[5m])")
            << " s; rule groups evaluated in";
  if (const json j = ApiGet(prom_port, "/api/v1/rules"); j.is_object()) {
    for (const auto& g : j["data"]["groups"]) std::cout << " " << g["name"] << " " << g["evaluationTime"] << " s";
  }
  std::cout << std::endl;
  prometheus.Kill(SIGTERM);
  prometheus.Wait(10s);
  EXPECT_LT(Clock::now() - started, 90s) << "the whole test must stay under 90 s";
}

}  // namespace
}  // namespace iotax::dashboards
