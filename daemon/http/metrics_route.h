// The glue between the collector and the HTTP server: /metrics renders the
// collectables in the Prometheus text format (version 0.0.4).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http_server.h"
#include "prometheus/collectable.h"

namespace iotax {

inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Collects every collectable once and serializes the families, in order.
std::string RenderMetricsText(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

// A /metrics handler over `collectables` (kept alive by the handler).
HttpHandler MetricsHandler(std::vector<std::shared_ptr<prometheus::Collectable>> collectables);

// A /healthz handler: "ok" while the process serves HTTP.
HttpHandler HealthHandler();

}  // namespace iotax
