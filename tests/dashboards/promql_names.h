// Metric names a PromQL expression reads, so a test can check each one
// against what iotaxd exports: a typo in a panel or a rule fails the test
// instead of showing an empty graph. A small scanner, not a full parser: it
// skips strings, label matchers {..}, ranges [..], numbers and durations,
// function and aggregation names (followed by "(" or by/without), keywords,
// and the label lists of by/without/on/ignoring/group_left/group_right.
#pragma once

#include <set>
#include <string>

namespace iotax::dashboards {

std::set<std::string> MetricNamesIn(const std::string& promql);

// For a Grafana variable query `label_values(SELECTOR, label)`: the metric
// names of SELECTOR; empty for other queries.
std::set<std::string> MetricNamesInLabelValues(const std::string& query);

}  // namespace iotax::dashboards
