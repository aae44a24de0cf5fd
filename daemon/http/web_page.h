// The page iotaxd serves at "/": daemon/web/index.html, embedded at build
// time (embed_web_page.cmake). Self-contained: its script draws the charts
// as SVG from /api/report and /api/series; nothing is fetched elsewhere.
#pragma once

#include <string_view>

namespace iotax {

std::string_view WebPageHtml();

}  // namespace iotax
