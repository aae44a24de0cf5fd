#include "dashboard_files.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace iotax::dashboards {

std::string SourcePath(const std::string& relative) { return std::string(IOTAX_SOURCE_DIR) + "/" + relative; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json LoadDashboard() {
  return nlohmann::json::parse(ReadFile(SourcePath(kDashboardJson)), nullptr, /*allow_exceptions=*/false);
}

namespace {
void CollectPanels(const nlohmann::json& list, std::vector<const nlohmann::json*>* out) {
  if (!list.is_array()) return;
  for (const auto& p : list) {
    if (p.value("type", "") == "row") {
      if (p.contains("panels")) CollectPanels(p["panels"], out);
    } else {
      out->push_back(&p);
    }
  }
}
}  // namespace

std::vector<const nlohmann::json*> Panels(const nlohmann::json& dashboard) {
  std::vector<const nlohmann::json*> out;
  if (dashboard.is_object() && dashboard.contains("panels")) CollectPanels(dashboard["panels"], &out);
  return out;
}

std::vector<PanelQuery> PanelQueries(const nlohmann::json& dashboard) {
  std::vector<PanelQuery> out;
  for (const nlohmann::json* p : Panels(dashboard)) {
    if (!p->contains("targets")) continue;
    for (const auto& t : (*p)["targets"]) {
      PanelQuery q;
      q.panel = p->value("title", "");
      q.ref = t.value("refId", "");
      q.expr = t.value("expr", "");
      q.format = t.value("format", "");
      q.instant = t.value("instant", false);
      out.push_back(q);
    }
  }
  return out;
}

std::vector<std::string> RuleNames(const std::string& rules_text, const std::string& kind) {
  std::vector<std::string> out;
  const std::regex line("^\\s*-\\s*" + kind + ":\\s*(\\S+)\\s*$");
  std::istringstream in(rules_text);
  std::string l;
  std::smatch m;
  while (std::getline(in, l)) {
    if (std::regex_match(l, m, line)) out.push_back(m[1]);
  }
  return out;
}

namespace {
std::map<std::string, std::string> DocumentedIn(bool only_tier3) {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile(SourcePath("docs/metrics.md")));
  const std::regex row("^\\| `(iotax_[a-z0-9_]+)` \\| ([a-z]+) \\|.*");
  bool tier3 = false;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) tier3 = line.rfind("## Tier 3", 0) == 0;
    if (only_tier3 && !tier3) continue;
    if (std::regex_match(line, m, row)) out[m[1]] = m[2];
  }
  return out;
}
}  // namespace

std::map<std::string, std::string> DocumentedMetrics() { return DocumentedIn(false); }

std::set<std::string> PmuOnlyMetrics() {
  std::set<std::string> out;
  for (const auto& [name, type] : DocumentedIn(true)) {
    if (name != "iotax_pmu_up" && name != "iotax_pmu_info") out.insert(name);
  }
  return out;
}

bool IsDocumentedSeries(const std::string& name, const std::map<std::string, std::string>& documented) {
  if (documented.count(name)) return true;
  for (const std::string suffix : {"_bucket", "_count", "_sum"}) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      auto it = documented.find(name.substr(0, name.size() - suffix.size()));
      if (it != documented.end() && it->second == "histogram") return true;
    }
  }
  return false;
}

bool IsPrometheusSeries(const std::string& name) {
  static const std::set<std::string> kSeries = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                                "scrape_samples_post_metric_relabeling", "scrape_series_added"};
  return kSeries.count(name) > 0;
}

std::string Substitute(std::string expr, const std::map<std::string, std::string>& values) {
  // Longest names first, so $__rate_interval is not taken for $__interval
  // and ${pid} and $pid both work.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [name, value] : values) {
    pairs.push_back({"${" + name + "}", value});
    pairs.push_back({"$" + name, value});
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [from, to] : pairs) {
    for (size_t at = expr.find(from); at != std::string::npos; at = expr.find(from, at + to.size())) {
      expr.replace(at, from.size(), to);
    }
  }
  return expr;
}

}  // namespace iotax::dashboards
