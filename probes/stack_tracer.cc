#include "stack_tracer.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "bpf/bpf.h"
#include "bpf/libbpf.h"
#include "stacks.h"
#include "stacks.skel.h"

namespace iotax {
namespace {

const char* FdKindName(uint32_t kind) {
  switch (kind) {
    case FD_KIND_SOCKET: return "socket";
    case FD_KIND_FILE: return "file";
    case FD_KIND_PIPE: return "pipe";
    case FD_KIND_ANON: return "anon";
    case FD_KIND_CHAR: return "char";
    case FD_KIND_OTHER: return "other";
  }
  return "";
}

std::string Comm(const char (&comm)[16]) { return std::string(comm, strnlen(comm, sizeof(comm))); }

class BpfStackTracer : public StackTracer {
 public:
  ~BpfStackTracer() override {
    for (bpf_link* link : links_) bpf_link__destroy(link);
    for (int fd : perf_fds_) close(fd);
    iotax_stacks_bpf__destroy(skel_);
  }

  absl::Status Init(const StackTracerOptions& options) {
    skel_ = iotax_stacks_bpf__open();
    if (skel_ == nullptr) return absl::InternalError(absl::StrCat("opening the stack programs failed: ", std::strerror(errno)));
    skel_->rodata->kernel_stacks = options.kernel_stacks;
    skel_->rodata->follow_children = options.follow_children;
    if (options.oncpu_hz <= 0) bpf_program__set_autoload(skel_->progs.stacks_sample, false);
    if (!options.follow_children) {
      bpf_program__set_autoload(skel_->progs.stacks_fork, false);
      bpf_program__set_autoload(skel_->progs.stacks_exit, false);
    }
    if (int err = iotax_stacks_bpf__load(skel_); err != 0) {
      return absl::InternalError(absl::StrCat("loading the stack programs failed (", std::strerror(-err),
                                              "): libbpf's message above says why"));
    }
    bpf_link* link = bpf_program__attach(skel_->progs.stacks_switch);
    if (link == nullptr) {
      return absl::UnavailableError(absl::StrCat("attaching tp_btf/sched_switch for stacks failed: ", std::strerror(errno)));
    }
    links_.push_back(link);
    if (options.follow_children) {
      for (bpf_program* prog : {skel_->progs.stacks_fork, skel_->progs.stacks_exit}) {
        link = bpf_program__attach(prog);
        if (link == nullptr) {
          return absl::UnavailableError(absl::StrCat("attaching ", bpf_program__section_name(prog),
                                                     " for the stacks of followed children failed: ",
                                                     std::strerror(errno)));
        }
        links_.push_back(link);
      }
    }
    if (options.oncpu_hz > 0) {
      if (absl::Status s = AttachClock(options.oncpu_hz); !s.ok()) return s;
      hz_ = options.oncpu_hz;
    }
    return absl::OkStatus();
  }

  absl::Status SetTargets(const std::vector<int>& tgids) override {
    const int fd = bpf_map__fd(skel_->maps.stack_targets);
    const std::set<int> want(tgids.begin(), tgids.end());
    for (int old : targets_) {
      if (!want.count(old)) {
        uint32_t key = static_cast<uint32_t>(old);
        bpf_map_delete_elem(fd, &key);
      }
    }
    for (int tgid : want) {
      uint32_t key = static_cast<uint32_t>(tgid);
      uint8_t one = IOTAX_STACK_TARGET_USER;
      if (bpf_map_update_elem(fd, &key, &one, BPF_ANY) != 0) {
        return absl::ResourceExhaustedError(absl::StrCat("cannot take stacks of process ", tgid, ": ",
                                                         std::strerror(errno), " (at most ", IOTAX_STACK_TARGETS,
                                                         " processes)"));
      }
    }
    targets_ = want;
    return absl::OkStatus();
  }

  StackProfile Read() override {
    StackProfile p;
    p.oncpu_hz = hz_;
    const int offcpu_fd = bpf_map__fd(skel_->maps.offcpu);
    iotax_offcpu_key key{}, next{};
    iotax_offcpu_key* prev = nullptr;
    while (bpf_map_get_next_key(offcpu_fd, prev, &next) == 0) {
      iotax_offcpu_value value{};
      if (bpf_map_lookup_elem(offcpu_fd, &next, &value) == 0) {
        RawStack s = Stack(next.tgid, next.comm, next.user_stack, next.kernel_stack);
        s.syscall_nr = next.nr;
        s.leaf_caller = next.leaf_caller;
        s.fd_kind = FdKindName(next.fd_kind);
        s.count = value.blocks;
        s.offcpu_ns = value.offcpu_ns;
        p.offcpu.push_back(std::move(s));
      }
      key = next;
      prev = &key;
    }
    const int oncpu_fd = bpf_map__fd(skel_->maps.oncpu);
    iotax_oncpu_key okey{}, onext{};
    iotax_oncpu_key* oprev = nullptr;
    while (bpf_map_get_next_key(oncpu_fd, oprev, &onext) == 0) {
      uint64_t count = 0;
      if (bpf_map_lookup_elem(oncpu_fd, &onext, &count) == 0) {
        RawStack s = Stack(onext.tgid, onext.comm, onext.user_stack, onext.kernel_stack);
        s.count = count;
        p.oncpu.push_back(std::move(s));
      }
      okey = onext;
      oprev = &okey;
    }
    const int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> per_cpu(ncpus > 0 ? ncpus : 1);
    uint64_t* fields[STACK_DROP_COUNT] = {&p.drops.offcpu_keys, &p.drops.oncpu_keys, &p.drops.user_stacks,
                                          &p.drops.kernel_stacks, &p.drops.children};
    for (uint32_t i = 0; i < STACK_DROP_COUNT; ++i) {
      if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stack_drops), &i, per_cpu.data()) != 0) continue;
      for (uint64_t v : per_cpu) *fields[i] += v;
    }
    return p;
  }

 private:
  absl::Status AttachClock(int hz) {
    const int ncpus = libbpf_num_possible_cpus();
    for (int cpu = 0; cpu < ncpus; ++cpu) {
      perf_event_attr attr{};
      attr.size = sizeof(attr);
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      attr.freq = 1;
      attr.sample_freq = static_cast<uint64_t>(hz);
      const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        if (errno == ENODEV) continue;  // a possible CPU that is offline
        return absl::UnavailableError(absl::StrCat("opening the CPU clock for on-CPU samples on CPU ", cpu,
                                                   " failed: ", std::strerror(errno)));
      }
      perf_fds_.push_back(fd);
      bpf_link* link = bpf_program__attach_perf_event(skel_->progs.stacks_sample, fd);
      if (link == nullptr) {
        return absl::UnavailableError(
            absl::StrCat("attaching the on-CPU sampler on CPU ", cpu, " failed: ", std::strerror(errno)));
      }
      links_.push_back(link);
    }
    return absl::OkStatus();
  }

  RawStack Stack(uint32_t tgid, const char (&comm)[16], int32_t user_id, int32_t kernel_id) {
    RawStack s;
    s.tgid = static_cast<int>(tgid);
    s.thread = Comm(comm);
    s.user = Frames(user_id);
    s.user_missing = user_id < 0;
    s.kernel = Frames(kernel_id);
    return s;
  }

  std::vector<uint64_t> Frames(int32_t id) {
    std::vector<uint64_t> out;
    if (id < 0) return out;
    uint64_t ips[IOTAX_STACK_DEPTH] = {};
    uint32_t key = static_cast<uint32_t>(id);
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stack_traces), &key, ips) != 0) return out;
    for (uint64_t ip : ips) {
      if (ip == 0) break;
      out.push_back(ip);
    }
    return out;
  }

  iotax_stacks_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::vector<int> perf_fds_;
  std::set<int> targets_;
  int hz_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StackTracer>> StackTracer::Create(const StackTracerOptions& options) {
  auto tracer = std::make_unique<BpfStackTracer>();
  if (absl::Status s = tracer->Init(options); !s.ok()) return s;
  return std::unique_ptr<StackTracer>(std::move(tracer));
}

}  // namespace iotax
