// PAPI calipers around the request handler: instructions and cycles spent in
// the handler section, summed over all threads and reported at exit.
//
// Where PAPI finds no hardware counters (VMs without a PMU) Create() prints
// one line saying so and returns calipers that do nothing, and the server
// runs on without handler IPC.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace iotax::echo {

class PapiCalipers {
 public:
  struct Totals {
    uint64_t instructions = 0;
    uint64_t cycles = 0;
    uint64_t sections = 0;  // handler sections measured
  };

  // With requested=false returns inactive calipers without touching PAPI.
  static std::unique_ptr<PapiCalipers> Create(bool requested);
  bool active() const { return active_; }

  // One per thread that runs handlers; measures nothing when inactive.
  class Thread {
   public:
    explicit Thread(PapiCalipers* calipers);
    ~Thread();
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;
    bool active() const { return event_set_ >= 0; }
    void Begin();
    void End();

   private:
    PapiCalipers* calipers_;
    int event_set_ = -1;
    long long start_[2] = {0, 0};
    Totals local_;
  };

  Totals totals() const;
  // "PAPI handler section: N instructions, M cycles, IPC x over K sections",
  // or "" when nothing was measured.
  std::string Summary() const;

 private:
  PapiCalipers() = default;
  void Add(const Totals& t);
  // Prints a per-thread set-up failure once.
  void WarnThreadFailure(const char* what, int code);

  bool active_ = false;
  std::atomic<uint64_t> instructions_{0};
  std::atomic<uint64_t> cycles_{0};
  std::atomic<uint64_t> sections_{0};
  std::atomic<bool> warned_{false};
};

}  // namespace iotax::echo
