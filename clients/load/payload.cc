#include "payload.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "splitmix.h"

namespace iotax::client {

std::string EchoMismatch::ToString() const {
  const std::string message = seq == Payload::kProbeSeq ? std::string("the set-up message")
                                                         : absl::StrCat("message ", seq);
  return absl::StrFormat("echo mismatch on connection %d, %s, byte %d: expected 0x%02x, got 0x%02x", conn,
                         message, offset, expected, got);
}

Payload::Payload(size_t msg_size, uint64_t seed) : msg_size_(msg_size), pattern_(msg_size + kOffsets) {
  SplitMix64 rng(seed);
  size_t i = 0;
  for (; i + 8 <= pattern_.size(); i += 8) {
    const uint64_t r = rng.Next();
    std::memcpy(&pattern_[i], &r, 8);
  }
  for (; i < pattern_.size(); ++i) pattern_[i] = static_cast<uint8_t>(rng.Next());
}

size_t Payload::StartOffset(uint64_t conn, uint64_t seq) {
  return SplitMix64Hash(SplitMix64Hash(conn) ^ seq) % kOffsets;
}

size_t Payload::FirstDifference(const uint8_t* expected, const uint8_t* got, size_t len) {
  if (std::memcmp(expected, got, len) == 0) return len;
  size_t i = 0;
  while (i < len && expected[i] == got[i]) ++i;
  return i;
}

}  // namespace iotax::client
