// What must hold before the BPF programs can load, checked up front so the
// user gets one actionable line instead of a libbpf error dump.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace iotax {

inline constexpr char kVmlinuxBtfPath[] = "/sys/kernel/btf/vmlinux";

// OK when caps::MayTrace allows this process: root, CAP_BPF and CAP_PERFMON, or
// CAP_SYS_ADMIN.
absl::Status CheckBpfPrivileges();

// OK when the kernel exposes its BTF at `btf_path` (tp_btf programs need it).
absl::Status CheckKernelBtf(const std::string& btf_path = kVmlinuxBtfPath);

}  // namespace iotax
