#include "metrics_route.h"

#include <sstream>
#include <utility>

#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace iotax {

std::string RenderMetricsText(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    for (auto& f : c->Collect()) {
      // A family without samples would be a bare HELP/TYPE pair: leave it out.
      if (!f.metric.empty()) families.push_back(std::move(f));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

HttpHandler MetricsHandler(std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  return [collectables = std::move(collectables)](const HttpRequest&) {
    return HttpResponse{200, kPrometheusTextContentType, RenderMetricsText(collectables)};
  };
}

HttpHandler HealthHandler() {
  return [](const HttpRequest&) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"}; };
}

}  // namespace iotax
