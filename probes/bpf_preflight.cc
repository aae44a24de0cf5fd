#include "bpf_preflight.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace iotax {
namespace {

bool HasEffectiveCap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

}  // namespace

absl::Status CheckBpfPrivileges() {
  // CAP_SYS_ADMIN implies both (bpf_capable() and perfmon_capable() in the kernel).
  if (geteuid() == 0 || HasEffectiveCap(CAP_SYS_ADMIN) || (HasEffectiveCap(CAP_BPF) && HasEffectiveCap(CAP_PERFMON)))
    return absl::OkStatus();
  return absl::PermissionDeniedError(
      "needs root or CAP_BPF+CAP_PERFMON to load BPF programs: run iotaxd with sudo, "
      "or grant them with `sudo setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep <path to iotaxd>`");
}

absl::Status CheckKernelBtf(const std::string& btf_path) {
  if (access(btf_path.c_str(), R_OK) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "kernel BTF (", btf_path, ") is missing, and iotax's tp_btf programs need it: "
      "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020 are)"));
}

}  // namespace iotax
