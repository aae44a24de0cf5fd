# Compiles bpf/<name>.bpf.c with clang and turns the object into a libbpf
# skeleton header (<name>.skel.h) with bpftool. Each skeleton becomes an
# INTERFACE library `iotax_bpf_<name>` that carries the include path and libbpf.
# SKELETON <ident> names the generated C struct and functions (default <name>):
# a skeleton called `iotax` would clash with C++ `namespace iotax`.

find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)

set(IOTAX_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "Kernel BTF used to generate vmlinux.h for CO-RE")
if(NOT EXISTS "${IOTAX_VMLINUX_BTF}")
  message(FATAL_ERROR "iotax needs kernel BTF to build its BPF programs, and "
    "${IOTAX_VMLINUX_BTF} does not exist. Use a kernel built with "
    "CONFIG_DEBUG_INFO_BTF=y, or pass -DIOTAX_VMLINUX_BTF=/path/to/vmlinux.")
endif()

# clang -target bpf does not search the host's system include directories;
# pass them with -idirafter (the libbpf-bootstrap way) so <linux/...> works.
execute_process(COMMAND ${BPF_CLANG} -v -E -
                INPUT_FILE /dev/null OUTPUT_QUIET ERROR_VARIABLE _clang_v)
string(REGEX MATCH "#include <...> search starts here:\n(.*)End of search list"
       _m "${_clang_v}")
string(REGEX REPLACE "[ \t]*\n[ \t]*" ";" _dirs "${CMAKE_MATCH_1}")
set(BPF_SYS_INCLUDES "")
foreach(_d IN LISTS _dirs)
  if(_d)
    list(APPEND BPF_SYS_INCLUDES -idirafter ${_d})
  endif()
endforeach()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

# vmlinux.h: written to a temporary file and renamed, so an interrupted or
# failed bpftool run never leaves a truncated header behind.
add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${IOTAX_VMLINUX_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${BPF_GEN_DIR}/vmlinux.h.tmp ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${IOTAX_VMLINUX_BTF}"
  VERBATIM)

function(iotax_bpf_skeleton name)
  cmake_parse_arguments(S "" "SKELETON" "" ${ARGN})
  if(NOT S_SKELETON)
    set(S_SKELETON ${name})
  endif()
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${name}.bpf.c)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  file(GLOB _bpf_headers ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -Wall -Werror -I${BPF_GEN_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}
            ${BPF_SYS_INCLUDES} -c ${src} -o ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${obj}.tmp ${obj}
    DEPENDS ${src} ${_bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
    COMMENT "BPF clang ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${S_SKELETON} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "bpftool gen skeleton ${name}"
    VERBATIM)
  add_custom_target(iotax_bpf_${name}_gen DEPENDS ${skel})
  add_library(iotax_bpf_${name} INTERFACE)
  add_dependencies(iotax_bpf_${name} iotax_bpf_${name}_gen)
  target_include_directories(iotax_bpf_${name} INTERFACE ${BPF_GEN_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(iotax_bpf_${name} INTERFACE PkgConfig::LIBBPF)
endfunction()
