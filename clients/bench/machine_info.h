// What a result depends on besides the config: kernel, CPU model, cores,
// memory, whether a hardware PMU exists, the load average when the bench
// started, and the versions of the programs and packages involved.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace iotax::bench {

// /proc/cpuinfo's first "model name", and whether the hypervisor flag is set.
std::string ParseCpuModel(const std::string& cpuinfo, bool* hypervisor);

// `bin_dir` holds the iotax binaries whose versions are recorded.
nlohmann::json CollectMachineInfo(const std::string& bin_dir);

// The 1-minute load average now (NaN when unreadable).
double LoadAverage1();

// One line for reports, e.g. "Linux 6.18.44, AMD EPYC (2 CPUs, VM), 24 GiB, no PMU".
std::string MachineLine(const nlohmann::json& machine);

}  // namespace iotax::bench
