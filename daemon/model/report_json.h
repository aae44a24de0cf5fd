// The JSON form of a Report, shared by `iotax report --json` and iotaxd's
// /api/report. Schema documented in docs/methodology.md ("The report
// schema"); values that cannot be computed are null, never 0.
#pragma once

#include <string>

#include "nlohmann/json.hpp"
#include "report.h"

namespace iotax {

inline constexpr int kReportSchemaVersion = 1;

nlohmann::json ReportToJson(const Report& report);
nlohmann::json VerdictToJson(const Verdict& verdict);

// Pretty-printed (2 spaces) with a trailing newline.
std::string ReportJsonText(const Report& report);

}  // namespace iotax
