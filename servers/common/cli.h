// Command-line set-up shared by the echo server, client and bench runner:
// Abseil flags with a readable --help that lists only the program's own flags.
#pragma once

#include <string>
#include <vector>

namespace iotax::net {

// Parses argv with Abseil flags. `usage` is the text --help prints above the
// flags; `flag_file_marker` is a path fragment (e.g. "/servers/") that selects
// which source files' flags --help lists. Returns the positional arguments.
// Bad or unknown flags print an error and exit(2). Dashes in flag names are
// accepted for underscores (--work-ns means --work_ns).
std::vector<std::string> ParseFlags(int argc, char** argv, const std::string& program,
                                    const std::string& usage, const std::string& flag_file_marker);

}  // namespace iotax::net
