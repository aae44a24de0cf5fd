// The two rewrites the messenger study applies before drawing: thread names
// merged per pool, and coalescing of async towers.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "folded_stacks.h"

namespace iotax::stacks {

// The pool a thread belongs to, from its name: a trailing number and the
// separator before it are dropped ("worker-12" -> "worker", "reactor_3" ->
// "reactor", "pool-1-thread-7" -> "pool-1-thread"). A name that is only a
// number, or has none, is kept.
std::string PoolName(absl::string_view thread_name);

// Rewrites the first frame of every stack (the thread name, by the
// convention iotax writes) to its pool name, merging the pool's threads.
FoldedStacks MergeThreadPools(const FoldedStacks& stacks);

// Coalescing: the stack replaced by its distinct frames in order of first
// occurrence, so a tower of repeated future/promise/continuation frames
// collapses to one of each. The stack keeps its count; stacks that become
// equal merge. Idempotent.
std::vector<std::string> CoalesceFrames(const std::vector<std::string>& frames);
FoldedStacks Coalesce(const FoldedStacks& stacks);

}  // namespace iotax::stacks
