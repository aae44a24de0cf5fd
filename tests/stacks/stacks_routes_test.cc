// /api/stacks without a socket: 404 with the flag to pass when stacks are
// off; the JSON and the SVG when on.
#include "stacks_routes.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace iotax {
namespace {

HttpRequest Get(const std::string& path) { return HttpRequest{"GET", path, "", ""}; }

TEST(StacksRoutes, OffSaysWhichFlagTurnsThemOn) {
  HttpServer server;
  AddStacksRoutes(server, [] { return std::nullopt; });
  for (const char* path : {"/api/stacks", "/api/stacks/offcpu.svg", "/api/stacks/oncpu.svg"}) {
    const HttpResponse r = server.Dispatch(Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(absl::StrContains(r.body, "start iotaxd with --stacks")) << r.body;
  }
}

TEST(StacksRoutes, OnServesCallSitesFoldedTextAndFlameGraphs) {
  stacks::StacksView view;
  view.offcpu = {{"srv;main;serve;read (socket)", 1500}};
  view.oncpu = {{"srv;main;serve;parse", 30000}};
  view.call_sites = {{"read (socket)", "serve", "srv", 42, 1'500'000}};
  view.oncpu_hz = 99;
  view.lost_offcpu_keys = 3;
  HttpServer server;
  AddStacksRoutes(server, [view] { return view; });
  const HttpResponse r = server.Dispatch(Get("/api/stacks"));
  ASSERT_EQ(r.status, 200);
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["call_sites"][0]["call"], "read (socket)");
  EXPECT_EQ(j["call_sites"][0]["site"], "serve");
  EXPECT_EQ(j["call_sites"][0]["thread_pool"], "srv");
  EXPECT_EQ(j["call_sites"][0]["blocks"], 42);
  EXPECT_DOUBLE_EQ(j["call_sites"][0]["offcpu_seconds"].get<double>(), 0.0015);
  EXPECT_EQ(j["lost_offcpu_keys"], 3);
  EXPECT_EQ(j["offcpu_folded"], "srv;main;serve;read (socket) 1500\n");
  EXPECT_EQ(j["oncpu_folded"], "srv;main;serve;parse 30000\n");
  const HttpResponse off = server.Dispatch(Get("/api/stacks/offcpu.svg"));
  EXPECT_EQ(off.status, 200);
  EXPECT_EQ(off.content_type, "image/svg+xml");
  EXPECT_TRUE(absl::StrContains(off.body, "read (socket)"));
  EXPECT_TRUE(absl::StrContains(server.Dispatch(Get("/api/stacks/oncpu.svg")).body, "parse"));
}

}  // namespace
}  // namespace iotax
