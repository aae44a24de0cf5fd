#include "perf_counters.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax::pmu {
namespace {

int PerfEventOpen(perf_event_attr* attr, int pid, int cpu) {
  return static_cast<int>(syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

std::string EventLabel(const EncodedEvent& event) {
  return absl::StrCat(event.software ? "software" : "hardware", " event '", event.requested, "'");
}

}  // namespace

double CounterValue::Scaled() const {
  if (time_running_ns == 0) return 0.0;
  if (time_running_ns >= time_enabled_ns) return static_cast<double>(raw);
  return static_cast<double>(raw) * static_cast<double>(time_enabled_ns) /
         static_cast<double>(time_running_ns);
}

CounterValue& CounterValue::operator+=(const CounterValue& other) {
  raw += other.raw;
  time_enabled_ns += other.time_enabled_ns;
  time_running_ns += other.time_running_ns;
  return *this;
}

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  std::vector<int> cpus;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return cpus;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    int lo = 0;
    int hi = 0;
    if (!absl::SimpleAtoi(ends[0], &lo) || lo < 0 ||
        (ends.size() == 2 && !absl::SimpleAtoi(ends[1], &hi))) {
      return absl::InvalidArgumentError(absl::StrCat("bad CPU list item '", item, "' in '", text, "'"));
    }
    if (ends.size() == 1) hi = lo;
    if (hi < lo) return absl::InvalidArgumentError(absl::StrCat("reversed CPU range '", item, "' in '", text, "'"));
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  return cpus;
}

absl::StatusOr<std::vector<int>> OnlineCpus(const std::string& sys_root) {
  const std::string path = sys_root + "/devices/system/cpu/online";
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": is sysfs mounted?"));
  }
  auto cpus = ParseCpuList(line);
  if (!cpus.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", cpus.status().message()));
  if (cpus->empty()) return absl::NotFoundError(absl::StrCat(path, " lists no CPU"));
  return cpus;
}

std::optional<int> ReadPerfEventParanoid(const std::string& proc_root) {
  std::ifstream in(proc_root + "/sys/kernel/perf_event_paranoid");
  std::string line;
  int value = 0;
  if (!in || !std::getline(in, line) || !absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) {
    return std::nullopt;
  }
  return value;
}

absl::Status PerfOpenError(int err, const EncodedEvent& event, int cpu, std::optional<int> paranoid) {
  const std::string what =
      absl::StrCat("perf_event_open of ", EventLabel(event), " on CPU ", cpu, " failed (", std::strerror(err), ")");
  switch (err) {
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          what, ": system-wide counters need root, CAP_PERFMON (or CAP_SYS_ADMIN), or kernel.perf_event_paranoid <= 0",
          paranoid ? absl::StrCat(" (it is ", *paranoid, " here)") : std::string(),
          ". Run iotaxd as root, grant it CAP_PERFMON, or `sysctl -w kernel.perf_event_paranoid=0`"));
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": no hardware PMU here (VM?): the kernel has no counter for this event, as in virtual machines "
          "without a virtual PMU. iotax keeps working without IPC; `iotaxd --check` (or `iotax doctor`) explains what "
          "is missing and what to do, and --pmu-events=", kSoftwareStandInEvents, " exercises the path with software events"));
    case EINVAL:
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": the kernel rejected the event's attributes; the event or one of its modifiers is not supported "
          "by this CPU or kernel. Try the name without modifiers, or list valid names with `showevtinfo`"));
    case EBUSY:
      return absl::UnavailableError(absl::StrCat(
          what, ": the counter is held exclusively by another user (another profiler, or the NMI watchdog: "
          "`sysctl -w kernel.nmi_watchdog=0`); free it and retry"));
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(
          absl::StrCat(what, ": out of file descriptors; raise the limit (ulimit -n)"));
    case E2BIG:
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": this kernel is older than the perf_event headers iotax was built with"));
    default:
      return absl::UnknownError(absl::StrCat(what, ": run `iotax doctor` to check this machine's PMU support"));
  }
}

absl::StatusOr<PerCpuCounter> PerCpuCounter::Open(const EncodedEvent& event, const std::vector<int>& cpus,
                                                  const std::string& proc_root) {
  perf_event_attr attr = event.attr;
  attr.size = sizeof(attr);
  attr.disabled = 0;  // counting from now on: BPF reads deltas
  attr.inherit = 0;
  attr.sample_period = 0;
  attr.freq = 0;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  PerCpuCounter counter(event, {});
  for (int cpu : cpus) {
    const int fd = PerfEventOpen(&attr, -1, cpu);
    if (fd < 0) {
      const int err = errno;
      return PerfOpenError(err, event, cpu, ReadPerfEventParanoid(proc_root));
    }
    counter.fds_.push_back({cpu, fd});
  }
  return counter;
}

PerCpuCounter::PerCpuCounter(PerCpuCounter&& other) noexcept
    : event_(std::move(other.event_)), fds_(std::exchange(other.fds_, {})) {}

PerCpuCounter& PerCpuCounter::operator=(PerCpuCounter&& other) noexcept {
  if (this != &other) {
    Close();
    event_ = std::move(other.event_);
    fds_ = std::exchange(other.fds_, {});
  }
  return *this;
}

PerCpuCounter::~PerCpuCounter() { Close(); }

void PerCpuCounter::Close() {
  for (const CpuFd& f : fds_) close(f.fd);
  fds_.clear();
}

absl::StatusOr<CounterValue> PerCpuCounter::ReadCpu(int cpu) const {
  for (const CpuFd& f : fds_) {
    if (f.cpu != cpu) continue;
    uint64_t values[3] = {0, 0, 0};
    const ssize_t n = read(f.fd, values, sizeof(values));
    if (n != static_cast<ssize_t>(sizeof(values))) {
      return absl::InternalError(absl::StrCat("reading ", EventLabel(event_), " on CPU ", cpu, " failed (",
                                              n < 0 ? std::strerror(errno) : "short read", ")"));
    }
    return CounterValue{values[0], values[1], values[2]};
  }
  return absl::NotFoundError(absl::StrCat(EventLabel(event_), " is not open on CPU ", cpu));
}

absl::StatusOr<CounterValue> PerCpuCounter::ReadTotal() const {
  CounterValue total;
  for (const CpuFd& f : fds_) {
    auto v = ReadCpu(f.cpu);
    if (!v.ok()) return v.status();
    total += *v;
  }
  return total;
}

absl::StatusOr<PmuCounterPair> OpenCounterPair(const EventPair& events, CountingMode mode,
                                               const std::string& sys_root, const std::string& proc_root) {
  auto cpus = OnlineCpus(sys_root);
  if (!cpus.ok()) return cpus.status();
  auto ins_event = EncodeEvent(events.instructions, mode);
  if (!ins_event.ok()) return ins_event.status();
  auto cyc_event = EncodeEvent(events.cycles, mode);
  if (!cyc_event.ok()) return cyc_event.status();
  auto ins = PerCpuCounter::Open(*ins_event, *cpus, proc_root);
  if (!ins.ok()) return ins.status();
  auto cyc = PerCpuCounter::Open(*cyc_event, *cpus, proc_root);
  if (!cyc.ok()) return cyc.status();
  return PmuCounterPair{std::move(*ins), std::move(*cyc)};
}

}  // namespace iotax::pmu
