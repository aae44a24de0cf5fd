#include "stacks_recorder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "call_sites.h"
#include "flame_graph_svg.h"
#include "syscall_names.h"

namespace iotax {
namespace {

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

bool IsTracingFrame(const std::string& frame) {
  return frame.rfind("bpf_prog_", 0) == 0 || frame.rfind("bpf_trace_run", 0) == 0 ||
         frame.rfind("__traceiter_", 0) == 0 || frame.rfind("__bpf_trace_", 0) == 0;
}

std::vector<stacks::NamedStack> Name(const std::vector<RawStack>& raw, Symbolizer* symbols, bool offcpu) {
  std::vector<stacks::NamedStack> out;
  for (const RawStack& r : raw) {
    stacks::NamedStack s;
    s.thread = r.thread;
    std::vector<uint64_t> user = r.user;  // leaf first
    // glibc is built without frame pointers: when the leaf is in it, the
    // walk skipped the leaf's caller; put back the return address found on
    // the stack top (unless the walk has it).
    if (r.leaf_caller != 0 && !user.empty() && symbols->FileOf(r.tgid, user.front()).rfind("libc.so", 0) == 0 &&
        std::find(user.begin(), user.end(), r.leaf_caller) == user.end()) {
      user.insert(user.begin() + 1, r.leaf_caller);
    }
    for (auto it = user.rbegin(); it != user.rend(); ++it) s.user.push_back(symbols->User(r.tgid, *it));
    const auto in_library = [&](uint64_t a) { return symbols->FileOf(r.tgid, a).find(".so") != std::string::npos; };
    // The site is the program's own code: not a library, not a sanitizer's
    // interceptor linked into the program.
    const auto own = std::find_if(user.begin(), user.end(), [&](uint64_t a) {
      return !in_library(a) && symbols->User(r.tgid, a).find("interceptor_") == std::string::npos;
    });
    if (own != user.end()) s.site = symbols->User(r.tgid, *own);
    s.root_in_library = !user.empty() && in_library(user.back());
    for (auto it = r.kernel.rbegin(); it != r.kernel.rend(); ++it) {
      std::string frame = symbols->Kernel(*it);
      // The tracepoint and iotax's own program: where the stack was taken, not the target's code.
      if (!IsTracingFrame(frame)) s.kernel.push_back(std::move(frame));
    }
    s.user_missing = r.user_missing;
    if (offcpu) {
      s.call = r.syscall_nr < 0 ? "" : SyscallName(r.syscall_nr);
      if (!s.call.empty() && !r.fd_kind.empty()) absl::StrAppend(&s.call, " (", r.fd_kind, ")");
    }
    s.count = r.count;
    s.offcpu_ns = r.offcpu_ns;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StacksRecorder>> StacksRecorder::Start(bool kernel_stacks, int hz, bool follow_children) {
  StackTracerOptions options;
  options.follow_children = follow_children;
  options.kernel_stacks = kernel_stacks;
  options.oncpu_hz = hz;
  absl::StatusOr<std::unique_ptr<StackTracer>> tracer = StackTracer::Create(options);
  if (!tracer.ok()) return tracer.status();
  auto recorder = std::unique_ptr<StacksRecorder>(new StacksRecorder());
  recorder->tracer_ = *std::move(tracer);
  recorder->symbols_ = std::make_unique<Symbolizer>();
  return recorder;
}

void StacksRecorder::Follow(const std::vector<int>& pids) {
  std::lock_guard<std::mutex> lock(mu_);
  (void)tracer_->SetTargets(pids);
  // Opened while privileged (the first call, before iotaxd drops them), the
  // maps stay readable after.
  symbols_->KeepOnly(pids);
  for (int pid : pids) symbols_->Keep(pid);
}

stacks::StacksView StacksRecorder::View() {
  std::lock_guard<std::mutex> lock(mu_);
  const StackProfile profile = tracer_->Read();
  symbols_->ForgetMappings();  // processes map and unmap code; binaries stay cached
  const std::vector<stacks::NamedStack> offcpu = Name(profile.offcpu, symbols_.get(), true);
  const std::vector<stacks::NamedStack> oncpu = Name(profile.oncpu, symbols_.get(), false);
  stacks::StacksView view;
  view.offcpu = stacks::FoldOffCpu(offcpu);
  view.oncpu = stacks::FoldOnCpu(oncpu, profile.oncpu_hz);
  view.call_sites = stacks::TopCallSites(offcpu, 5);
  view.oncpu_hz = profile.oncpu_hz;
  view.lost_offcpu_keys = profile.drops.offcpu_keys;
  view.lost_oncpu_keys = profile.drops.oncpu_keys;
  std::vector<stacks::NamedStack> all = offcpu;
  all.insert(all.end(), oncpu.begin(), oncpu.end());
  view.truncation = stacks::TruncationAdvice(stacks::CountTruncated(all));
  return view;
}

absl::Status CheckStacksDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string probe = absl::StrCat(dir, "/.iotax-write-test");
  if (ec || !WriteText(probe, "").ok()) {
    return absl::PermissionDeniedError(absl::StrCat("--stacks=", dir, ": cannot create or write that directory"));
  }
  std::filesystem::remove(probe, ec);
  return absl::OkStatus();
}

absl::Status WriteStacksFiles(const stacks::StacksView& view, const std::string& dir) {
  stacks::FlameGraphOptions off_svg;
  off_svg.title = "Off-CPU time: where threads blocked (microseconds)";
  off_svg.count_name = "us";
  stacks::FlameGraphOptions on_svg;
  on_svg.title = absl::StrCat("On-CPU: where the CPU went (microseconds, sampled at ", view.oncpu_hz, " Hz per CPU)");
  on_svg.count_name = "us";
  for (const auto& [name, text] : {std::pair{"offcpu.folded", stacks::FormatFolded(view.offcpu)},
                                   {"oncpu.folded", stacks::FormatFolded(view.oncpu)},
                                   {"offcpu.svg", stacks::FlameGraphSvg(view.offcpu, off_svg)},
                                   {"oncpu.svg", stacks::FlameGraphSvg(view.oncpu, on_svg)}}) {
    if (absl::Status s = WriteText(absl::StrCat(dir, "/", name), text); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace iotax
