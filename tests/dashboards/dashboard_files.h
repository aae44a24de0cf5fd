// Reading the shipped files of dashboards/ and docs/metrics.md for the
// tests: the dashboard's queries, the rule names, the documented metrics.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace iotax::dashboards {

std::string SourcePath(const std::string& relative);  // under IOTAX_SOURCE_DIR
std::string ReadFile(const std::string& path);         // "" when unreadable

inline const char kDashboardJson[] = "dashboards/grafana/iotax.json";
inline const char kScrapeConfig[] = "dashboards/prometheus/prometheus.yml";
inline const char kRecordingRules[] = "dashboards/prometheus/iotax-recording-rules.yml";
inline const char kAlertingRules[] = "dashboards/prometheus/iotax-alerting-rules.yml";
inline const char kRulesTest[] = "dashboards/prometheus/iotax-rules-test.yml";
inline const char kSystemdUnit[] = "dashboards/deploy/iotaxd.service";
inline const char kDaemonSet[] = "dashboards/deploy/daemonset.yaml";
inline const char kServiceMonitor[] = "dashboards/deploy/servicemonitor.yaml";

nlohmann::json LoadDashboard();

// Every panel, rows' nested panels included, rows themselves excluded.
std::vector<const nlohmann::json*> Panels(const nlohmann::json& dashboard);

struct PanelQuery {
  std::string panel;  // title
  std::string ref;    // refId
  std::string expr;
  std::string format;  // "", "table", "heatmap"
  bool instant = false;
};
std::vector<PanelQuery> PanelQueries(const nlohmann::json& dashboard);

// `- record: NAME` / `- alert: NAME` entries of a rules file.
std::vector<std::string> RuleNames(const std::string& rules_text, const std::string& kind /* record|alert */);

// docs/metrics.md rows "| `iotax_x` | type | ...": name -> type.
std::map<std::string, std::string> DocumentedMetrics();
// The names documented in the "## Tier 3" section (need a PMU), except
// iotax_pmu_up and iotax_pmu_info, which are always exported.
std::set<std::string> PmuOnlyMetrics();
// A series name as exported: a documented metric, or a documented
// histogram's _bucket, _count or _sum.
bool IsDocumentedSeries(const std::string& name, const std::map<std::string, std::string>& documented);

// Series Prometheus makes itself for every scrape target.
bool IsPrometheusSeries(const std::string& name);

// Grafana's template variables and interval macros replaced by values.
std::string Substitute(std::string expr, const std::map<std::string, std::string>& values);

}  // namespace iotax::dashboards
