// A provided-buffer ring for io_uring multishot recv.
//
// liburing 2.3 can register a buffer ring (io_uring_register_buf_ring) and
// fill one (io_uring_buf_ring_add/advance) but lacks the 2.4 helper that sets
// one up (io_uring_setup_buf_ring): map the ring memory, register it, fill it.
// This class is those few lines plus the buffers and their recycling.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace iotax::echo {

class ProvidedBufferRing {
 public:
  // `count` must be a power of two (at most 32768). Errors say when the
  // kernel lacks buffer rings (Linux < 5.19).
  static absl::StatusOr<std::unique_ptr<ProvidedBufferRing>> Create(io_uring* ring, unsigned count,
                                                                    unsigned buffer_bytes, uint16_t group);
  ~ProvidedBufferRing();
  ProvidedBufferRing(const ProvidedBufferRing&) = delete;
  ProvidedBufferRing& operator=(const ProvidedBufferRing&) = delete;

  uint16_t group() const { return group_; }
  unsigned buffer_bytes() const { return buffer_bytes_; }
  char* buffer(uint16_t id) const { return buffers_ + static_cast<size_t>(id) * buffer_bytes_; }

  // Queues buffer `id` for reuse; the kernel sees it after Publish().
  void Recycle(uint16_t id) {
    io_uring_buf_ring_add(ring_, buffer(id), buffer_bytes_, id, mask_, pending_++);
  }
  // Makes every recycled buffer visible to the kernel (one release store).
  void Publish() {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(ring_, pending_);
    pending_ = 0;
  }

 private:
  ProvidedBufferRing() = default;

  io_uring* uring_ = nullptr;
  io_uring_buf_ring* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  char* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  unsigned count_ = 0;
  unsigned buffer_bytes_ = 0;
  int mask_ = 0;
  int pending_ = 0;
  uint16_t group_ = 0;
  bool registered_ = false;
};

}  // namespace iotax::echo
