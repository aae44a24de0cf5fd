# Turns the kernel UAPI syscall header into a C++ table (number, name):
#   cmake -DUNISTD_HEADER=<asm/unistd_64.h> -DOUTPUT=<file.inc> -P gen_syscall_names.cmake
# A missing header (another architecture) yields an empty table, and
# SyscallName() falls back to "syscall_<nr>".
set(_entries "")
if(EXISTS "${UNISTD_HEADER}")
  file(STRINGS "${UNISTD_HEADER}" _lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+$")
  foreach(_line IN LISTS _lines)
    string(REGEX MATCH "^#define __NR_([a-z0-9_]+) ([0-9]+)$" _m "${_line}")
    string(APPEND _entries "    {${CMAKE_MATCH_2}, \"${CMAKE_MATCH_1}\"},\n")
  endforeach()
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${UNISTD_HEADER} by probes/gen_syscall_names.cmake. Do not edit.\n"
  "${_entries}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
