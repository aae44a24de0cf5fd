#include "bpf_preflight.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "capabilities.h"

namespace iotax {

absl::Status CheckBpfPrivileges() {
  if (caps::MayTrace(caps::Current())) return absl::OkStatus();
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
