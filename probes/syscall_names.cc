#include "syscall_names.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace iotax {
namespace {

struct Entry {
  int nr;
  const char* name;
};

constexpr Entry kSyscalls[] = {
#include "syscall_names.inc"
    {-1, nullptr},  // keeps the array non-empty when the header was missing
};

}  // namespace

std::string SyscallName(int nr) {
  for (const Entry& e : kSyscalls) {
    if (e.name != nullptr && e.nr == nr) return e.name;
  }
  return absl::StrCat("syscall_", nr);
}

std::optional<int> SyscallNumber(absl::string_view name) {
  for (const Entry& e : kSyscalls) {
    if (e.name != nullptr && name == e.name) return e.nr;
  }
  return std::nullopt;
}

}  // namespace iotax
