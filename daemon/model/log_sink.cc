#include "log_sink.h"

#include <iostream>

namespace iotax {

LogSink StderrLog(std::string program) {
  return [program = std::move(program)](absl::string_view line) { std::cerr << program << ": " << line << std::endl; };
}

}  // namespace iotax
