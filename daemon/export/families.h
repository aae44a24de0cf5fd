// Building Prometheus metric families by hand: a family, its samples, their
// labels. Shared by every collector of iotaxd so the exposition is made one
// way.
#pragma once

#include <string>
#include <vector>

#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace iotax::prom {

using Labels = std::vector<prometheus::ClientMetric::Label>;

// A family without samples. Help texts must stay plain (no backslash, no
// newline): prometheus-cpp 1.0.1 writes them unescaped.
prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type);

// Adds one sample: the counter, gauge or untyped value, by the family's type.
void AddValue(prometheus::MetricFamily& f, Labels labels, double value);

// Adds one histogram sample.
void AddHistogram(prometheus::MetricFamily& f, Labels labels, prometheus::ClientMetric::Histogram h);

// `labels` with name="value" appended.
Labels With(Labels labels, std::string name, std::string value);

}  // namespace iotax::prom
