// Which class each syscall number belongs to: the table user space writes
// into the BPF `syscall_class` map. read/write-style calls get
// IOTAX_CLASS_FD_READ/FD_WRITE and are resolved in the kernel by the kind of
// their fd (socket, regular file, pipe or anonymous inode); poll and ppoll
// get IOTAX_CLASS_POLL_NFDS so the kernel side counts the fds they watch.
#pragma once

#include <cstdint>
#include <vector>

namespace iotax {

// The map value for syscall `nr`: an enum iotax_class value or
// IOTAX_CLASS_FD_READ/FD_WRITE/POLL_NFDS. Unknown or out-of-range numbers are "other".
uint8_t SyscallClassValue(int nr);

// SyscallClassValue for every number 0 .. IOTAX_MAX_SYSCALL_NR-1.
std::vector<uint8_t> BuildSyscallClassTable();

}  // namespace iotax
