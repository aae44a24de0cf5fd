#include "stacks_output.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "call_sites.h"
#include "flame_graph_svg.h"
#include "symbolizer.h"
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
      if (frame.rfind("bpf_prog_", 0) == 0 || frame.rfind("bpf_trace_run", 0) == 0 ||
          frame.rfind("__traceiter_", 0) == 0 || frame.rfind("__bpf_trace_", 0) == 0) {
        continue;
      }
      s.kernel.push_back(std::move(frame));
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

absl::StatusOr<std::unique_ptr<StacksRecorder>> StacksRecorder::Start(const std::string& dir, bool kernel_stacks,
                                                                     int hz) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string probe = absl::StrCat(dir, "/.iotax-write-test");
  if (ec || !WriteText(probe, "").ok()) {
    return absl::PermissionDeniedError(absl::StrCat("--stacks=", dir, ": cannot create or write that directory"));
  }
  std::filesystem::remove(probe, ec);
  StackTracerOptions options;
  options.kernel_stacks = kernel_stacks;
  options.oncpu_hz = hz;
  absl::StatusOr<std::unique_ptr<StackTracer>> tracer = StackTracer::Create(options);
  if (!tracer.ok()) return tracer.status();
  auto recorder = std::unique_ptr<StacksRecorder>(new StacksRecorder());
  recorder->dir_ = dir;
  recorder->tracer_ = *std::move(tracer);
  return recorder;
}

void StacksRecorder::Follow(const std::vector<int>& pids) { (void)tracer_->SetTargets(pids); }

absl::StatusOr<std::string> StacksRecorder::Finish() {
  const StackProfile profile = tracer_->Read();
  Symbolizer symbols;
  const std::vector<stacks::NamedStack> offcpu = Name(profile.offcpu, &symbols, true);
  const std::vector<stacks::NamedStack> oncpu = Name(profile.oncpu, &symbols, false);
  const stacks::FoldedStacks off_folded = stacks::FoldOffCpu(offcpu);
  const stacks::FoldedStacks on_folded = stacks::FoldOnCpu(oncpu, profile.oncpu_hz);
  stacks::FlameGraphOptions off_svg;
  off_svg.title = "Off-CPU time: where threads blocked (microseconds)";
  off_svg.count_name = "us";
  stacks::FlameGraphOptions on_svg;
  on_svg.title = absl::StrCat("On-CPU: where the CPU went (microseconds, sampled at ", profile.oncpu_hz, " Hz per CPU)");
  on_svg.count_name = "us";
  for (const auto& [name, text] : {std::pair{"offcpu.folded", stacks::FormatFolded(off_folded)},
                                   {"oncpu.folded", stacks::FormatFolded(on_folded)},
                                   {"offcpu.svg", stacks::FlameGraphSvg(off_folded, off_svg)},
                                   {"oncpu.svg", stacks::FlameGraphSvg(on_folded, on_svg)}}) {
    if (absl::Status s = WriteText(absl::StrCat(dir_, "/", name), text); !s.ok()) return s;
  }
  std::string out = absl::StrCat("\nWhere threads blocked (top call sites by off-CPU time; flame graphs in ", dir_,
                                 "/offcpu.svg and oncpu.svg):\n");
  absl::StrAppend(&out, stacks::FormatCallSites(stacks::TopCallSites(offcpu, 5)));
  const StackDrops& d = profile.drops;
  if (d.offcpu_keys + d.oncpu_keys > 0) {
    absl::StrAppend(&out, absl::StrFormat("  lost: %d off-CPU and %d on-CPU stack keys (maps full)\n", d.offcpu_keys,
                                          d.oncpu_keys));
  }
  std::vector<stacks::NamedStack> all = offcpu;
  all.insert(all.end(), oncpu.begin(), oncpu.end());
  if (std::string advice = stacks::TruncationAdvice(stacks::CountTruncated(all)); !advice.empty()) {
    absl::StrAppend(&out, "  note: ", advice, "\n");
  }
  return out;
}

}  // namespace iotax
