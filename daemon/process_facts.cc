#include "process_facts.h"

#include <sched.h>

namespace iotax {

int CpusAllowed(int pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(pid, sizeof(set), &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace iotax
