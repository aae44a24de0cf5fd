#include "uring_buf_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace iotax::echo {

absl::StatusOr<std::unique_ptr<ProvidedBufferRing>> ProvidedBufferRing::Create(io_uring* ring, unsigned count,
                                                                               unsigned buffer_bytes,
                                                                               uint16_t group) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("buffer ring size ", count, " is not a power of two up to 32768"));
  }
  std::unique_ptr<ProvidedBufferRing> br(new ProvidedBufferRing());
  br->uring_ = ring;
  br->count_ = count;
  br->buffer_bytes_ = buffer_bytes;
  br->mask_ = io_uring_buf_ring_mask(count);
  br->group_ = group;

  // The ring must be page-aligned memory: mmap gives exactly that.
  br->ring_bytes_ = count * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, br->ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap for the io_uring buffer ring");
  br->ring_ = static_cast<io_uring_buf_ring*>(mem);

  br->buffers_bytes_ = static_cast<size_t>(count) * buffer_bytes;
  mem = mmap(nullptr, br->buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap for the io_uring receive buffers");
  br->buffers_ = static_cast<char*>(mem);

  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof(reg));
  reg.ring_addr = reinterpret_cast<uintptr_t>(br->ring_);
  reg.ring_entries = count;
  reg.bgid = group;
  if (int rc = io_uring_register_buf_ring(ring, &reg, 0); rc < 0) {
    return absl::ErrnoToStatus(-rc, rc == -EINVAL
                                        ? "io_uring_register_buf_ring: this kernel lacks provided buffer "
                                          "rings (Linux 5.19+): use --model=epoll"
                                        : "io_uring_register_buf_ring");
  }
  br->registered_ = true;

  io_uring_buf_ring_init(br->ring_);
  for (unsigned id = 0; id < count; ++id) br->Recycle(static_cast<uint16_t>(id));
  br->Publish();
  return br;
}

ProvidedBufferRing::~ProvidedBufferRing() {
  if (registered_) io_uring_unregister_buf_ring(uring_, group_);
  if (buffers_) munmap(buffers_, buffers_bytes_);
  if (ring_) munmap(ring_, ring_bytes_);
}

}  // namespace iotax::echo
