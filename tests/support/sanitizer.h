// What tests must adjust in their children when the suite runs in the
// sanitizer build (make test's build-asan). Harmless in a normal build.
#pragma once

#include <cstdlib>
#include <string>

namespace iotax::testing {

// LeakSanitizer cannot run in a process that is traced with ptrace (strace):
// it stops the world with ptrace itself, fails, and the program exits 1.
// Children started after this call skip the leak check at exit; AddressSanitizer
// and UBSan stay on in them, and the test process keeps its own leak check.
inline void NoLeakCheckInTracedChildren() {
  const char* old = std::getenv("ASAN_OPTIONS");
  const std::string options = old != nullptr && *old != '\0' ? std::string(old) + ":detect_leaks=0" : "detect_leaks=0";
  setenv("ASAN_OPTIONS", options.c_str(), 1);
}

}  // namespace iotax::testing
