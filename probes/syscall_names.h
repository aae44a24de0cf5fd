// Syscall number <-> name for this architecture, from the kernel UAPI header
// (generated at build time, see gen_syscall_names.cmake): metrics and the
// strace comparison speak names, the kernel speaks numbers.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace iotax {

// "read" for 0 on x86_64; "syscall_<nr>" for numbers the header does not name.
std::string SyscallName(int nr);

// The number of a syscall name, or nullopt if this architecture has none.
std::optional<int> SyscallNumber(absl::string_view name);

}  // namespace iotax
