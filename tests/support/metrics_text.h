// Reading one value out of a Prometheus text exposition (what iotaxd serves
// on /metrics), for the tests that scrape a running iotaxd.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace iotax::testing {

// The value of the sample whose series (name and labels, as served) is
// exactly `series`; nullopt when absent.
inline std::optional<double> Sample(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    double v = 0;
    if (absl::StartsWith(line, series + " ") && absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
  }
  return std::nullopt;
}

}  // namespace iotax::testing
