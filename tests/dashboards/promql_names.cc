#include "promql_names.h"

#include <cctype>

namespace iotax::dashboards {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Index just past the quoted string starting at `i`.
size_t SkipString(const std::string& s, size_t i) {
  const char quote = s[i++];
  while (i < s.size() && s[i] != quote) i += (s[i] == '\\' && quote != '`') ? 2 : 1;
  return i + 1;
}

// Index just past the bracket group opening at `i`, strings inside skipped.
size_t SkipGroup(const std::string& s, size_t i, char open, char close) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

size_t SkipSpace(const std::string& s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

const std::set<std::string> kLabelListKeywords = {"by", "without", "on", "ignoring", "group_left", "group_right"};
const std::set<std::string> kOtherKeywords = {"bool", "and", "or", "unless", "offset", "atan2", "inf", "nan"};
const std::set<std::string> kAggregations = {"sum",   "min",      "max",    "avg",          "group", "stddev",
                                             "stdvar", "count",   "count_values", "bottomk", "topk",  "quantile"};

}  // namespace

std::set<std::string> MetricNamesIn(const std::string& e) {
  std::set<std::string> names;
  size_t i = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(e, i);
    } else if (c == '{') {
      i = SkipGroup(e, i, '{', '}');
    } else if (c == '[') {
      i = SkipGroup(e, i, '[', ']');
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < e.size() && std::isdigit(static_cast<unsigned char>(e[i + 1])))) {
      // Numbers (1e-9, 0x1f, 2.5) and durations (5m, 1h30m).
      while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '.')) {
        const bool exponent = (e[i] == 'e' || e[i] == 'E') && i + 1 < e.size() && (e[i + 1] == '-' || e[i + 1] == '+');
        i += exponent ? 2 : 1;
      }
    } else if (IsIdentStart(c)) {
      const size_t start = i;
      while (i < e.size() && IsIdentChar(e[i])) ++i;
      const std::string word = e.substr(start, i - start);
      const size_t next = SkipSpace(e, i);
      const char after = next < e.size() ? e[next] : '\0';
      if (kLabelListKeywords.count(word)) {
        if (after == '(') i = SkipGroup(e, next, '(', ')');
        continue;
      }
      if (kOtherKeywords.count(Lower(word))) continue;
      if (after == '(') continue;  // a function or an aggregation
      if (kAggregations.count(word) && IsIdentStart(after)) continue;  // "sum by (x) (...)"
      names.insert(word);
    } else {
      ++i;
    }
  }
  return names;
}

std::set<std::string> MetricNamesInLabelValues(const std::string& query) {
  const std::string prefix = "label_values(";
  const size_t at = query.find(prefix);
  if (at == std::string::npos) return {};
  size_t i = at + prefix.size();
  const size_t start = i;
  // The selector ends at the first comma outside braces.
  while (i < query.size() && query[i] != ',' && query[i] != ')') {
    i = query[i] == '{' ? SkipGroup(query, i, '{', '}') : i + 1;
  }
  return MetricNamesIn(query.substr(start, i - start));
}

}  // namespace iotax::dashboards
