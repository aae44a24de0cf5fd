#include "papi_calipers.h"

#include <papi.h>
#include <pthread.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::echo {
namespace {

unsigned long ThreadId() { return static_cast<unsigned long>(pthread_self()); }

int CountAvailablePresets() {
  int code = PAPI_PRESET_MASK;
  int count = 0;
  if (PAPI_enum_event(&code, PAPI_ENUM_FIRST) != PAPI_OK) return 0;
  do {
    if (PAPI_query_event(code) == PAPI_OK) ++count;
  } while (PAPI_enum_event(&code, PAPI_PRESET_ENUM_AVAIL) == PAPI_OK);
  return count;
}

// Whether an event set with both counters can be built here. A preset can be
// listed and still not be addable: on a VM without a PMU (Intel, this
// PAPI) PAPI_query_event says yes and PAPI_add_event says "Event does not
// exist". "" when it can, else the step that failed and why.
std::string TryCounterSet() {
  int set = PAPI_NULL;
  const char* step = "PAPI_create_eventset";
  int rc = PAPI_create_eventset(&set);
  if (rc == PAPI_OK) {
    step = "PAPI_add_event(PAPI_TOT_INS)";
    rc = PAPI_add_event(set, PAPI_TOT_INS);
  }
  if (rc == PAPI_OK) {
    step = "PAPI_add_event(PAPI_TOT_CYC)";
    rc = PAPI_add_event(set, PAPI_TOT_CYC);
  }
  if (set != PAPI_NULL) {
    PAPI_cleanup_eventset(set);
    PAPI_destroy_eventset(&set);
  }
  return rc == PAPI_OK ? std::string() : absl::StrCat(step, ": ", PAPI_strerror(rc));
}

}  // namespace

std::unique_ptr<PapiCalipers> PapiCalipers::Create(bool requested) {
  std::unique_ptr<PapiCalipers> calipers(new PapiCalipers());
  if (!requested) return calipers;
  int version = PAPI_library_init(PAPI_VER_CURRENT);
  if (version != PAPI_VER_CURRENT) {
    std::fprintf(stderr, "PAPI: library init failed (%s): running without handler IPC\n",
                 version < 0 ? PAPI_strerror(version) : "version mismatch");
    return calipers;
  }
  if (int rc = PAPI_thread_init(ThreadId); rc != PAPI_OK) {
    std::fprintf(stderr, "PAPI: thread init failed (%s): running without handler IPC\n", PAPI_strerror(rc));
    return calipers;
  }
  if (PAPI_query_event(PAPI_TOT_INS) != PAPI_OK || PAPI_query_event(PAPI_TOT_CYC) != PAPI_OK) {
    std::fprintf(stderr,
                 "PAPI: no hardware counters here (%d presets): running without handler IPC\n",
                 CountAvailablePresets());
    return calipers;
  }
  if (const std::string failed = TryCounterSet(); !failed.empty()) {
    std::fprintf(stderr, "PAPI: no hardware counters here (%s): running without handler IPC\n", failed.c_str());
    return calipers;
  }
  calipers->active_ = true;
  return calipers;
}

void PapiCalipers::WarnThreadFailure(const char* what, int code) {
  if (warned_.exchange(true)) return;
  std::fprintf(stderr, "PAPI: %s failed in a server thread (%s): that thread runs without calipers\n",
               what, PAPI_strerror(code));
}

PapiCalipers::Thread::Thread(PapiCalipers* calipers) : calipers_(calipers) {
  if (!calipers_->active()) return;
  int set = PAPI_NULL;
  int rc = PAPI_register_thread();
  const char* step = "PAPI_register_thread";
  if (rc == PAPI_OK) {
    step = "PAPI_create_eventset";
    rc = PAPI_create_eventset(&set);
  }
  if (rc == PAPI_OK) {
    step = "PAPI_add_event(PAPI_TOT_INS)";
    rc = PAPI_add_event(set, PAPI_TOT_INS);
  }
  if (rc == PAPI_OK) {
    step = "PAPI_add_event(PAPI_TOT_CYC)";
    rc = PAPI_add_event(set, PAPI_TOT_CYC);
  }
  if (rc == PAPI_OK) {
    step = "PAPI_start";
    rc = PAPI_start(set);
  }
  if (rc != PAPI_OK) {
    calipers_->WarnThreadFailure(step, rc);
    if (set != PAPI_NULL) {
      PAPI_cleanup_eventset(set);
      PAPI_destroy_eventset(&set);
    }
    return;
  }
  event_set_ = set;
}

PapiCalipers::Thread::~Thread() {
  if (!active()) return;
  long long ignored[2];
  PAPI_stop(event_set_, ignored);
  PAPI_cleanup_eventset(event_set_);
  PAPI_destroy_eventset(&event_set_);
  PAPI_unregister_thread();
  calipers_->Add(local_);
}

void PapiCalipers::Thread::Begin() {
  if (active()) PAPI_read(event_set_, start_);
}

void PapiCalipers::Thread::End() {
  if (!active()) return;
  long long now[2];
  if (PAPI_read(event_set_, now) != PAPI_OK) return;
  local_.instructions += static_cast<uint64_t>(now[0] - start_[0]);
  local_.cycles += static_cast<uint64_t>(now[1] - start_[1]);
  ++local_.sections;
}

void PapiCalipers::Add(const Totals& t) {
  instructions_.fetch_add(t.instructions, std::memory_order_relaxed);
  cycles_.fetch_add(t.cycles, std::memory_order_relaxed);
  sections_.fetch_add(t.sections, std::memory_order_relaxed);
}

PapiCalipers::Totals PapiCalipers::totals() const {
  return {instructions_.load(), cycles_.load(), sections_.load()};
}

std::string PapiCalipers::Summary() const {
  Totals t = totals();
  if (t.sections == 0) return "";
  return absl::StrFormat("PAPI handler section: %d instructions, %d cycles, IPC %.3f over %d sections",
                         t.instructions, t.cycles,
                         t.cycles ? static_cast<double>(t.instructions) / static_cast<double>(t.cycles) : 0.0,
                         t.sections);
}

}  // namespace iotax::echo
