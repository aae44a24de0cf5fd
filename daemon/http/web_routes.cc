#include "web_routes.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "report_json.h"
#include "series_json.h"
#include "web_page.h"

namespace iotax {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";

// ?seconds=N (1..86400); infinite when absent or malformed.
absl::Duration SpanFromQuery(const std::string& query) {
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    if (!absl::ConsumePrefix(&part, "seconds=")) continue;
    int seconds = 0;
    if (absl::SimpleAtoi(part, &seconds) && seconds > 0 && seconds <= 86400) return absl::Seconds(seconds);
  }
  return absl::InfiniteDuration();
}

}  // namespace

HttpHandler PageHandler() {
  return [](const HttpRequest&) { return HttpResponse{200, "text/html; charset=utf-8", std::string(WebPageHtml())}; };
}

HttpHandler ReportHandler(const VerdictSampler* sampler) {
  return [sampler](const HttpRequest&) { return HttpResponse{200, kJson, ReportJsonText(*sampler->LatestReport())}; };
}

HttpHandler SeriesHandler(const VerdictSampler* sampler) {
  return [sampler](const HttpRequest& request) {
    return HttpResponse{200, kJson, BuildSeriesJson(sampler->History(SpanFromQuery(request.query))).dump() + "\n"};
  };
}

void AddVerdictRoutes(HttpServer& server, const VerdictSampler* sampler) {
  server.AddRoute("/", PageHandler());
  server.AddRoute("/api/report", ReportHandler(sampler));
  server.AddRoute("/api/series", SeriesHandler(sampler));
}

}  // namespace iotax
