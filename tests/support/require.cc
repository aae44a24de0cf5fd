#include "require.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "capabilities.h"

namespace iotax::testing {

std::optional<std::string> MissingBpfPrerequisite() {
  if (!caps::MayTrace(caps::Current())) return "needs root or CAP_BPF+CAP_PERFMON to load BPF programs (run as root)";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return "kernel BTF (/sys/kernel/btf/vmlinux) missing: tp_btf programs cannot load";
  return std::nullopt;
}

bool PrerequisitesRequired() {
  const char* v = std::getenv("IOTAX_REQUIRE_PRIVILEGED");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace iotax::testing
