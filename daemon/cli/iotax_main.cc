// iotax: report, doctor, calibrate and diff (see iotax --help).
#include <iostream>
#include <string>
#include <vector>

#include "iotax_cli.h"
#include "iotax_commands.h"

int main(int argc, char** argv) {
  const iotax::cli::ParseResult parsed = iotax::cli::Parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.invocation) {
    (parsed.to_stderr ? std::cerr : std::cout) << parsed.print << std::flush;
    return parsed.exit_code;
  }
  const iotax::cli::Invocation& inv = *parsed.invocation;
  switch (inv.command) {
    case iotax::cli::Command::kReport: return iotax::RunReport(inv.report);
    case iotax::cli::Command::kDoctor: return iotax::RunDoctor(inv.doctor);
    case iotax::cli::Command::kCalibrate: return iotax::RunCalibrate(inv.calibrate);
    case iotax::cli::Command::kDiff: return iotax::RunDiff(inv.diff);
  }
  return 2;
}
