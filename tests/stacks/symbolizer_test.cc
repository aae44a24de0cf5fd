// Names of this test's own code, through /proc/self/maps and the ELF
// symbol table of the test binary (built with symbols).
#include "symbolizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>

#include "absl/strings/match.h"

namespace iotax::probe_test {

__attribute__((noinline)) int AFunctionWithAName(int x) {
  asm volatile("");
  return x * 3 + 1;
}

}  // namespace iotax::probe_test

namespace iotax {
namespace {

TEST(Symbolizer, NamesAnAddressInsideAFunctionOfThisProgram) {
  Symbolizer symbols;
  const auto address = reinterpret_cast<uint64_t>(&probe_test::AFunctionWithAName) + 2;
  EXPECT_EQ(symbols.User(getpid(), address), "iotax::probe_test::AFunctionWithAName(int)");
  EXPECT_TRUE(absl::StartsWith(symbols.FileOf(getpid(), address), "stacks_unit_test")) << symbols.FileOf(getpid(), address);
  // Asked again: the binary is read once.
  const int loaded = symbols.binaries_loaded();
  EXPECT_EQ(symbols.User(getpid(), address), "iotax::probe_test::AFunctionWithAName(int)");
  EXPECT_EQ(symbols.binaries_loaded(), loaded);
}

TEST(Symbolizer, AnAddressNoMappingHoldsIsUnknown) {
  Symbolizer symbols;
  EXPECT_EQ(symbols.User(getpid(), 8), "[unknown]");
  EXPECT_EQ(symbols.FileOf(getpid(), 8), "");
  EXPECT_EQ(symbols.User(999999999, 0x400000), "[unknown]");  // no such process
}

TEST(Symbolizer, DemanglesCppNamesAndKeepsCNames) {
  EXPECT_EQ(Demangle("_ZN3foo3barEv"), "foo::bar()");
  EXPECT_EQ(Demangle("read"), "read");
  EXPECT_EQ(Demangle("_Znot_valid"), "_Znot_valid");
}

}  // namespace
}  // namespace iotax
