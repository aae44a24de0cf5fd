#include "pmu_setup.h"

#include "pmu_capability.h"
#include "pmu_events.h"

namespace iotax::pmu {

static_assert(IOTAX_SEG_BUCKETS == kSegmentBuckets, "bpf/iotax.h and snapshot.h disagree on segment buckets");
static_assert(IOTAX_NSEG_LABELS == kNumSegmentLabels, "bpf/iotax.h and snapshot.h disagree on segment labels");

absl::StatusOr<PmuSetup> SetUpPmu(const std::string& events) {
  PmuSetup setup;
  if (events.empty()) {
    setup.status.reason = "disabled";
    setup.status.detail = "tier 3 is off (--pmu-events is empty)";
    return setup;
  }
  auto pair = ParseEventPair(events);
  if (!pair.ok()) return pair.status();
  setup.status.instructions_event = pair->instructions;
  setup.status.cycles_event = pair->cycles;
  // Unknown names are the user's to fix: fail now, with libpfm4's reason.
  auto ins = EncodeEvent(pair->instructions, CountingMode::kUserOnly);
  if (!ins.ok()) return ins.status();
  auto cyc = EncodeEvent(pair->cycles, CountingMode::kUserOnly);
  if (!cyc.ok()) return cyc.status();
  setup.status.software_standins = ins->software || cyc->software;

  auto counters = OpenCounterPair(*pair, CountingMode::kUserOnly);
  if (!counters.ok()) {
    setup.status.detail = std::string(counters.status().message());
    switch (counters.status().code()) {
      case absl::StatusCode::kFailedPrecondition: {
        // No counter for the event: say whether this is a VM, from the probe.
        const PmuCapability cap = ProbeCapability();
        setup.status.reason = cap.hardware_pmu ? "open_failed" : cap.reason;
        break;
      }
      case absl::StatusCode::kPermissionDenied:
        setup.status.reason = "not_permitted";
        break;
      default:
        setup.status.reason = "open_failed";
    }
    return setup;
  }
  setup.counters.emplace(std::move(*counters));
  setup.status.up = true;
  return setup;
}

PmuTargetStats SumPmuStats(const iotax_pmu_stats* per_cpu, size_t ncpus) {
  PmuTargetStats out;
  for (size_t c = 0; c < ncpus; ++c) {
    const iotax_pmu_stats& p = per_cpu[c];
    out.user_instructions += p.user_instructions;
    out.user_cycles += p.user_cycles;
    out.segments_multiplexed += p.segments_multiplexed;
    out.segments_lost += p.segments_lost;
    out.read_errors += p.read_errors;
    for (int l = 0; l < IOTAX_NSEG_LABELS; ++l) {
      for (int b = 0; b < IOTAX_SEG_BUCKETS; ++b) {
        out.segments[l][b].segments += p.seg[l][b].segments;
        out.segments[l][b].instructions += p.seg[l][b].instructions;
        out.segments[l][b].cycles += p.seg[l][b].cycles;
      }
    }
  }
  return out;
}

}  // namespace iotax::pmu
