// Facts about a live process that the snapshot does not carry.
#pragma once

namespace iotax {

// How many CPUs the process may run on (its affinity mask); 0 when the
// process is gone or the mask cannot be read.
int CpusAllowed(int pid);

}  // namespace iotax
