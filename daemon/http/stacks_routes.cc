#include "stacks_routes.h"

#include <string>

#include "flame_graph_svg.h"

namespace iotax {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";

HttpResponse Off() {
  return HttpResponse{404, kJson,
                      nlohmann::json{{"error", "stacks are off: start iotaxd with --stacks"}}.dump() + "\n"};
}

HttpHandler Svg(StacksSource source, bool offcpu) {
  return [source, offcpu](const HttpRequest&) {
    const std::optional<stacks::StacksView> view = source();
    if (!view) return Off();
    stacks::FlameGraphOptions options;
    options.count_name = "us";
    options.title = offcpu ? "Off-CPU time: where threads blocked (microseconds)"
                           : "On-CPU: where the CPU went (microseconds, sampled)";
    return HttpResponse{200, "image/svg+xml", stacks::FlameGraphSvg(offcpu ? view->offcpu : view->oncpu, options)};
  };
}

}  // namespace

nlohmann::json StacksJson(const stacks::StacksView& view) {
  nlohmann::json sites = nlohmann::json::array();
  for (const stacks::CallSite& s : view.call_sites) {
    sites.push_back({{"call", s.call},
                     {"site", s.caller},
                     {"thread_pool", s.thread},
                     {"blocks", s.blocks},
                     {"offcpu_seconds", static_cast<double>(s.offcpu_ns) / 1e9}});
  }
  return {{"call_sites", sites},
          {"oncpu_hz", view.oncpu_hz},
          {"lost_offcpu_keys", view.lost_offcpu_keys},
          {"lost_oncpu_keys", view.lost_oncpu_keys},
          {"truncation", view.truncation},
          {"offcpu_folded", stacks::FormatFolded(view.offcpu)},
          {"oncpu_folded", stacks::FormatFolded(view.oncpu)}};
}

void AddStacksRoutes(HttpServer& server, StacksSource source) {
  server.AddRoute("/api/stacks", [source](const HttpRequest&) {
    const std::optional<stacks::StacksView> view = source();
    if (!view) return Off();
    return HttpResponse{200, kJson, StacksJson(*view).dump() + "\n"};
  });
  server.AddRoute("/api/stacks/offcpu.svg", Svg(source, true));
  server.AddRoute("/api/stacks/oncpu.svg", Svg(source, false));
}

}  // namespace iotax
