// What tests must adjust in their children when the suite runs in the
// sanitizer build (make test's build-asan). Harmless in a normal build.
#pragma once

#include <cstdlib>
#include <string>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define IOTAX_SANITIZER_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define IOTAX_SANITIZER_BUILD 1
#endif

namespace iotax::testing {

// True in the sanitizer build (make test's build-asan).
#ifdef IOTAX_SANITIZER_BUILD
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif

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
