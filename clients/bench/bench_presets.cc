#include "bench_presets.h"

namespace iotax::bench {

// Keep in step with docs/experiments/default.conf (tests/bench checks it).
const char kDefaultConfigText[] = R"conf(# The default matrix of iotax-bench (what `iotax-bench` runs without --config),
# sized to finish in under 15 minutes on a 2-CPU machine. The committed run is
# docs/experiments.md. Keys and defaults: iotax-bench --help.

# The three reference servers, loaded by the io_uring client.
servers    = blocking, epoll, uring
clients    = uring

# Throughput vs connections, and the thread count of the blocking server.
conns      = 10, 100, 400
sizes      = 512

# Closed loop (= each model's saturation) and open loop at fractions of it:
# the response curves.
loads      = closed, 0.25, 0.5, 0.75

work_ns    = 0
placements = separate, shared

# The proof: blocking vs io_uring at 50% of the blocking server's saturation,
# without the agent (the truth) and with iotaxd attached (the prediction).
proof_load = 0.5
agent      = proof
calibration = none

repeats    = 3
warmup     = 500ms
duration   = 1500ms
agent_duration = 4s

# In the shared placement the load client waits for the CPU behind the server's
# threads, so its sends leave a few ms late; flag only worse lag than that.
max_schedule_lag = 10ms
)conf";

// Keep in step with docs/experiments/quick.conf (tests/bench checks it).
const char kQuickConfigText[] = R"conf(# The quick matrix (`iotax-bench --quick`): every phase, both placements and
# the proof with iotaxd attached, in under 2 minutes. The tests run it end to
# end; the figures are too short to quote.
servers    = blocking, uring
clients    = uring
conns      = 20
sizes      = 512
loads      = closed, 0.5
work_ns    = 0
placements = separate, shared
proof_load = 0.5
agent      = proof
calibration = none
repeats    = 1
warmup     = 200ms
duration   = 500ms
unloaded_duration = 300ms
agent_duration = 3s
max_schedule_lag = 10ms
)conf";

}  // namespace iotax::bench
