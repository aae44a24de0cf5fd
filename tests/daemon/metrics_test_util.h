// Lookups into collected metric families for assertions.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "prometheus/metric_family.h"

namespace iotax::testing {

using LabelMap = std::map<std::string, std::string>;

inline const prometheus::MetricFamily* FindFamily(const std::vector<prometheus::MetricFamily>& families,
                                                  const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

inline LabelMap LabelsOf(const prometheus::ClientMetric& m) {
  LabelMap out;
  for (const auto& l : m.label) out[l.name] = l.value;
  return out;
}

// The sample of `name` whose labels equal `labels` exactly, or nullptr.
inline const prometheus::ClientMetric* FindMetric(const std::vector<prometheus::MetricFamily>& families,
                                                  const std::string& name, const LabelMap& labels) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  if (f == nullptr) return nullptr;
  for (const auto& m : f->metric) {
    if (LabelsOf(m) == labels) return &m;
  }
  return nullptr;
}

// The counter or gauge value of one sample; nullopt when missing.
inline std::optional<double> Value(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
                                   const LabelMap& labels) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  const prometheus::ClientMetric* m = FindMetric(families, name, labels);
  if (f == nullptr || m == nullptr) return std::nullopt;
  switch (f->type) {
    case prometheus::MetricType::Counter: return m->counter.value;
    case prometheus::MetricType::Gauge: return m->gauge.value;
    default: return m->untyped.value;
  }
}

}  // namespace iotax::testing
