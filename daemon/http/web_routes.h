// iotaxd's verdict routes: "/" (the page), "/api/report" (the report over the
// verdict window, the JSON schema of `iotax report --json`) and
// "/api/series" (recent per-second series for the charts; ?seconds=N limits
// the span).
#pragma once

#include "http_server.h"
#include "verdict_sampler.h"

namespace iotax {

void AddVerdictRoutes(HttpServer& server, const VerdictSampler* sampler);

// The handlers themselves (for tests without a socket).
HttpHandler PageHandler();
HttpHandler ReportHandler(const VerdictSampler* sampler);
HttpHandler SeriesHandler(const VerdictSampler* sampler);

}  // namespace iotax
