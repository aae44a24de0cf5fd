#include "cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "version.h"

namespace iotax::net {
namespace {

std::string g_marker;
std::string g_program;

// Abseil ends --help with exit(1); a help request is not an error, so an
// at-exit hook turns that into 0. It also ends a bad or unknown flag with
// exit(1); the hook turns that into the documented 2.
bool g_help_requested = false;
bool g_parsing = false;
void ExitCodeAfterParse() {
  if (g_help_requested) {
    std::cout.flush();
    _exit(0);
  }
  if (g_parsing) {
    std::cout.flush();
    std::cerr.flush();
    _exit(2);
  }
}

}  // namespace

std::vector<std::string> ParseFlags(int argc, char** argv, const std::string& program,
                                    const std::string& usage, const std::string& flag_file_marker) {
  g_marker = flag_file_marker;
  g_program = program;
  absl::FlagsUsageConfig config;
  // Abseil passes the filter the *normalized* file name, i.e. g_program below.
  config.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, g_marker) || file == g_program;
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.normalize_filename = [](absl::string_view file) {
    return absl::StrContains(file, g_marker) ? g_program : std::string(file);
  };
  config.version_string = [] { return g_program + " (iotax) " + kIotaxVersion + "\n"; };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);

  // Abseil flag names use underscores; accept dashes too (--work-ns), as
  // users type them. Only the name part before '=' is rewritten.
  static std::vector<std::string> rewritten;
  rewritten.reserve(static_cast<size_t>(argc));
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;  // the rest is positional
    if (argv[i][0] != '-' || std::strchr(argv[i] + 1, '-') == nullptr) continue;
    std::string arg = argv[i];
    const size_t name_start = arg.find_first_not_of('-');
    const size_t name_end = std::min(arg.find('='), arg.size());
    if (name_start == std::string::npos || name_start >= name_end) continue;
    bool changed = false;
    for (size_t k = name_start; k < name_end; ++k) {
      if (arg[k] == '-') {
        arg[k] = '_';
        changed = true;
      }
    }
    if (!changed) continue;
    rewritten.push_back(std::move(arg));
    argv[i] = rewritten.back().data();
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0) argv[i] = const_cast<char*>("--help");
    if (absl::StartsWith(argv[i], "--help") || absl::StartsWith(argv[i], "-help")) g_help_requested = true;
  }
  std::atexit(ExitCodeAfterParse);
  g_parsing = true;
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  g_parsing = false;
  return std::vector<std::string>(rest.begin() + 1, rest.end());
}

}  // namespace iotax::net
