// Stacks of the traced processes while they are measured (bpf/stacks.bpf.c
// through probes/stack_tracer): `iotax report --stacks=DIR` reads them once
// at the end and writes files; iotaxd --stacks serves them on request.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack_tracer.h"
#include "stacks_view.h"
#include "symbolizer.h"

namespace iotax {

class StacksRecorder {
 public:
  // Loads and attaches the stack programs (needs the tracing privileges).
  // `follow_children`: processes the targets fork are taken too, from their
  // fork (the kernel adds them, as the tracer does for --follow-children).
  static absl::StatusOr<std::unique_ptr<StacksRecorder>> Start(bool kernel_stacks, int hz,
                                                               bool follow_children = false);
  // The processes to take stacks of (call at each poll: new ones join;
  // followed children stay until they exit).
  void Follow(const std::vector<int>& pids);
  // Everything so far, named and folded. Thread-safe.
  stacks::StacksView View();

 private:
  std::mutex mu_;
  std::unique_ptr<StackTracer> tracer_;
  std::unique_ptr<Symbolizer> symbols_;  // binaries stay cached across views
};

// An error when DIR cannot be created or written (checked before measuring).
absl::Status CheckStacksDir(const std::string& dir);
// DIR/offcpu.folded, oncpu.folded, offcpu.svg, oncpu.svg.
absl::Status WriteStacksFiles(const stacks::StacksView& view, const std::string& dir);

}  // namespace iotax
