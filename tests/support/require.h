// Test preconditions that skip with a reason, or fail when the environment
// variable IOTAX_REQUIRE_PRIVILEGED is set (CI sets it, so privileged tests
// can never silently skip there).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace iotax::testing {

// Why BPF tracing cannot run here (not root / no CAP_BPF+CAP_PERFMON, no BTF),
// or nullopt when it can.
std::optional<std::string> MissingBpfPrerequisite();

// True when a missing prerequisite must fail rather than skip.
bool PrerequisitesRequired();

}  // namespace iotax::testing

// Use at the top of a TEST body. `reason_opt` is an optional<string>.
#define IOTAX_REQUIRE(reason_opt)                                              \
  do {                                                                         \
    if (auto _iotax_why = (reason_opt)) {                                      \
      if (::iotax::testing::PrerequisitesRequired()) {                         \
        FAIL() << "prerequisite missing and IOTAX_REQUIRE_PRIVILEGED is set: " \
               << *_iotax_why;                                                 \
      } else {                                                                 \
        GTEST_SKIP() << *_iotax_why;                                           \
      }                                                                        \
    }                                                                          \
  } while (0)

#define IOTAX_REQUIRE_BPF() IOTAX_REQUIRE(::iotax::testing::MissingBpfPrerequisite())
