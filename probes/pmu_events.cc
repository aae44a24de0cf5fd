#include "pmu_events.h"

// <linux/perf_event.h> (through pmu_events.h) must come first: libpfm4's own
// copy of the perf_event definitions then steps aside.
#include <perfmon/pfmlib_perf_event.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax::pmu {
namespace {

// libpfm4 keeps global state and is not thread-safe. PAPI shares the same
// libpfm4 and may tear it down (pfm_terminate) when it shuts down, so every
// call re-initialises; pfm_initialize is cheap once done.
std::mutex& PfmMutex() {
  static std::mutex m;
  return m;
}

absl::Status InitPfmLocked() {
  const int rc = pfm_initialize();
  if (rc != PFM_SUCCESS) {
    return absl::FailedPreconditionError(
        absl::StrCat("libpfm4 failed to initialise (", pfm_strerror(rc),
                     "): PMU events cannot be encoded; run `iotax doctor` for what this machine supports"));
  }
  return absl::OkStatus();
}

int PrivilegeMask(CountingMode mode) {
  switch (mode) {
    case CountingMode::kUserOnly: return PFM_PLM3;
    case CountingMode::kKernelOnly: return PFM_PLM0;
    case CountingMode::kUserAndKernel: return PFM_PLM0 | PFM_PLM3;
  }
  return PFM_PLM3;
}

// One libpfm4 encoding attempt; fills `out` on success.
int TryEncode(const std::string& name, int plm, EncodedEvent& out) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  char* fstr = nullptr;
  pfm_perf_encode_arg_t arg;
  std::memset(&arg, 0, sizeof(arg));
  arg.attr = &attr;
  arg.fstr = &fstr;
  arg.size = sizeof(arg);
  const int rc = pfm_get_os_event_encoding(name.c_str(), plm, PFM_OS_PERF_EVENT_EXT, &arg);
  if (rc == PFM_SUCCESS) {
    out.attr = attr;
    out.canonical = fstr != nullptr ? fstr : name;
  }
  std::free(fstr);
  return rc;
}

std::vector<std::string> DetectedPmusLocked() {
  std::vector<std::string> names;
  for (int p = PFM_PMU_NONE; p < PFM_PMU_MAX; ++p) {
    pfm_pmu_info_t info;
    std::memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    if (pfm_get_pmu_info(static_cast<pfm_pmu_t>(p), &info) == PFM_SUCCESS && info.is_present &&
        info.name != nullptr) {
      names.emplace_back(info.name);
    }
  }
  return names;
}

}  // namespace

absl::StatusOr<EncodedEvent> EncodeEvent(absl::string_view name, CountingMode mode) {
  const std::string requested(absl::StripAsciiWhitespace(name));
  if (requested.empty()) {
    return absl::InvalidArgumentError(
        "empty PMU event name: give a name such as `instructions`, `cycles`, or `cpu-clock`");
  }
  std::lock_guard<std::mutex> lock(PfmMutex());
  if (absl::Status s = InitPfmLocked(); !s.ok()) return s;

  EncodedEvent ev;
  ev.requested = requested;
  // libpfm4 accepts both EVENT:UMASK and the perf-style EVENT.UMASK
  // (INST_RETIRED.ANY), so names from vendor manuals work as written.
  const int rc = TryEncode(requested, PrivilegeMask(mode), ev);
  if (rc != PFM_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PMU event '", requested, "' cannot be encoded by libpfm4 (", pfm_strerror(rc),
        "); PMUs libpfm4 detected here: ", absl::StrJoin(DetectedPmusLocked(), ", "),
        ". List valid names with libpfm4's `showevtinfo`, check the machine with `iotax doctor`, "
        "or use the software stand-ins --pmu-events=", kSoftwareStandInEvents));
  }
  ev.attr.size = sizeof(ev.attr);
  // iotax counts the user and kernel levels only, never the hypervisor's.
  // libpfm4 leaves exclude_hv to the PMU model it detects: on an Intel VM
  // without a PMU its generic perf events came back with exclude_hv = 0, so
  // set it here and the same request counts alike on every machine.
  ev.attr.exclude_hv = 1;
  ev.software = ev.attr.type == PERF_TYPE_SOFTWARE;
  return ev;
}

absl::StatusOr<EventPair> ParseEventPair(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  for (std::string& p : parts) p = std::string(absl::StripAsciiWhitespace(p));
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--pmu-events='", text, "' must name exactly two events, instructions first and cycles second, "
        "e.g. --pmu-events=", kDefaultPmuEvents, " (hardware) or --pmu-events=", kSoftwareStandInEvents,
        " (software stand-ins when there is no hardware PMU)"));
  }
  return EventPair{parts[0], parts[1]};
}

std::vector<std::string> DetectedPmus() {
  std::lock_guard<std::mutex> lock(PfmMutex());
  if (!InitPfmLocked().ok()) return {};
  return DetectedPmusLocked();
}

absl::Status CheckPmuEventsFlag(absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<EventPair> pair = ParseEventPair(text);
  if (!pair.ok()) return pair.status();
  for (const std::string& e : {pair->instructions, pair->cycles}) {
    if (auto encoded = EncodeEvent(e, CountingMode::kUserOnly); !encoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--pmu-events: ", encoded.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace iotax::pmu
