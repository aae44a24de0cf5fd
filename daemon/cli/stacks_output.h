// iotax report --stacks=DIR: takes the targets' stacks while the report
// measures, then writes DIR/offcpu.folded, DIR/oncpu.folded and their SVG
// flame graphs, and returns the top blocking call sites as text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack_tracer.h"

namespace iotax {

class StacksRecorder {
 public:
  // Loads the stack programs; an unwritable DIR fails here, before measuring.
  static absl::StatusOr<std::unique_ptr<StacksRecorder>> Start(const std::string& dir, bool kernel_stacks, int hz);
  // The processes to take stacks of (call at each poll: new ones join).
  void Follow(const std::vector<int>& pids);
  // Reads, names and writes everything; the text for the report's end.
  absl::StatusOr<std::string> Finish();

 private:
  std::string dir_;
  std::unique_ptr<StackTracer> tracer_;
};

}  // namespace iotax
