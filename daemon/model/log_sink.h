// One way to say a line: components that log take a LogSink (tests collect
// the lines); programs pass StderrLog, which writes "PROGRAM: line" on stderr.
#pragma once

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace iotax {

using LogSink = std::function<void(absl::string_view line)>;

// "program: line\n" on stderr, flushed (a daemon's log is read while it runs).
LogSink StderrLog(std::string program);

}  // namespace iotax
