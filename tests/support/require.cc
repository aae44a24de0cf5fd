#include "require.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace iotax::testing {
namespace {

bool HasEffectiveCap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

}  // namespace

std::optional<std::string> MissingBpfPrerequisite() {
  const bool privileged = geteuid() == 0 || (HasEffectiveCap(CAP_BPF) && HasEffectiveCap(CAP_PERFMON));
  if (!privileged) return "needs root or CAP_BPF+CAP_PERFMON to load BPF programs (run as root)";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return "kernel BTF (/sys/kernel/btf/vmlinux) missing: tp_btf programs cannot load";
  return std::nullopt;
}

bool PrerequisitesRequired() {
  const char* v = std::getenv("IOTAX_REQUIRE_PRIVILEGED");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace iotax::testing
