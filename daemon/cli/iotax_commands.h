// The four `iotax` subcommands. Each returns the process exit code and
// prints errors as one line that says what to do.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "iotax_cli.h"

namespace iotax {

int RunReport(const cli::ReportOptions& options);
int RunDoctor(const cli::DoctorOptions& options);
int RunCalibrate(const cli::CalibrateOptions& options);
int RunDiff(const cli::DiffOptions& options);

// The first missing prerequisite (privileges, BTF) in iotax's words, as a
// one-line error with the fix; "" when everything required is there.
std::string MissingPrerequisite(absl::string_view command);

// Directory of the running executable ("" if unknown): where calibrate
// looks for the bundled servers.
std::string ExecutableDir();

}  // namespace iotax
