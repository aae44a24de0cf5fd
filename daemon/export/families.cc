#include "families.h"

#include <utility>

namespace iotax::prom {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddValue(MetricFamily& f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  switch (f.type) {
    case MetricType::Counter: m.counter.value = value; break;
    case MetricType::Gauge: m.gauge.value = value; break;
    default: m.untyped.value = value; break;
  }
  f.metric.push_back(std::move(m));
}

void AddHistogram(MetricFamily& f, Labels labels, ClientMetric::Histogram h) {
  ClientMetric m;
  m.label = std::move(labels);
  m.histogram = std::move(h);
  f.metric.push_back(std::move(m));
}

Labels With(Labels labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

}  // namespace iotax::prom
