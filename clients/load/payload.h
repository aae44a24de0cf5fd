// The bytes the client sends: a deterministic pattern per (connection,
// sequence number), so every echoed byte can be checked without remembering
// what was sent. All messages are windows into one pseudo-random buffer, at a
// start offset derived from (connection, sequence): sending needs no copy and
// checking is a memcmp. A server that corrupts, drops, duplicates, reorders or
// crosses bytes between connections shows up as a mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace iotax::client {

// Where an echo first differed from what was sent.
struct EchoMismatch {
  uint64_t conn = 0;
  uint64_t seq = 0;      // message number on the connection
  uint64_t offset = 0;   // byte offset inside that message
  uint8_t expected = 0;
  uint8_t got = 0;
  std::string ToString() const;
};

class Payload {
 public:
  // Distinct start offsets; prime so neighbouring messages never share one.
  static constexpr size_t kOffsets = 251;
  // Sequence number of the set-up round trip that proves a connection was accepted.
  static constexpr uint64_t kProbeSeq = UINT64_MAX;

  explicit Payload(size_t msg_size, uint64_t seed = 0x696f746178ULL);

  size_t msg_size() const { return msg_size_; }

  // The msg_size bytes of message `seq` on connection `conn`, valid while this
  // Payload lives.
  const uint8_t* Message(uint64_t conn, uint64_t seq) const { return pattern_.data() + StartOffset(conn, seq); }

  // Index of the first byte where `got` differs from `expected`, or `len` when equal.
  static size_t FirstDifference(const uint8_t* expected, const uint8_t* got, size_t len);

  static size_t StartOffset(uint64_t conn, uint64_t seq);

 private:
  size_t msg_size_;
  std::vector<uint8_t> pattern_;  // msg_size + kOffsets bytes
};

}  // namespace iotax::client
