// The two matrices that ship with iotax-bench, built in so that the binary
// runs them without the source tree: the default (no --config) and --quick.
// docs/experiments/default.conf and quick.conf hold the same text (a test
// checks that they parse to the same config).
#pragma once

namespace iotax::bench {

extern const char kDefaultConfigText[];
extern const char kQuickConfigText[];

}  // namespace iotax::bench
