// iotaxd's stack routes (iotaxd --stacks): "/api/stacks" (JSON: the top
// blocking call sites, losses, the folded off-CPU and on-CPU profiles) and
// "/api/stacks/offcpu.svg", "/api/stacks/oncpu.svg" (flame graphs). Without
// --stacks they answer 404 with the flag to pass.
#pragma once

#include <functional>
#include <optional>

#include "http_server.h"
#include "nlohmann/json.hpp"
#include "stacks_view.h"

namespace iotax {

// nullopt when stacks are off.
using StacksSource = std::function<std::optional<stacks::StacksView>()>;

void AddStacksRoutes(HttpServer& server, StacksSource source);

nlohmann::json StacksJson(const stacks::StacksView& view);

}  // namespace iotax
