// Checks one connection's echoed byte stream, however the bytes are split
// into reads, against the messages that were sent on it, in order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "payload.h"

namespace iotax::client {

class EchoStream {
 public:
  EchoStream(const Payload* payload, uint64_t conn) : payload_(payload), conn_(conn) {}

  // Verifies `len` received bytes and calls on_message(seq) for every message
  // they complete. Returns false at the first wrong byte (mismatch() then says
  // where); the stream must not be fed again after that.
  template <typename OnMessage>
  bool Consume(const uint8_t* data, size_t len, OnMessage&& on_message) {
    const size_t msg_size = payload_->msg_size();
    while (len > 0) {
      const size_t take = std::min(len, msg_size - offset_);
      const uint8_t* expected = payload_->Message(conn_, next_seq_) + offset_;
      const size_t diff = Payload::FirstDifference(expected, data, take);
      if (diff != take) {
        mismatch_ = EchoMismatch{conn_, next_seq_, offset_ + diff, expected[diff], data[diff]};
        bytes_verified_ += diff;
        return false;
      }
      bytes_verified_ += take;
      offset_ += take;
      data += take;
      len -= take;
      if (offset_ == msg_size) {
        offset_ = 0;
        on_message(next_seq_++);
      }
    }
    return true;
  }

  uint64_t conn() const { return conn_; }
  // Messages completely received so far.
  uint64_t next_seq() const { return next_seq_; }
  // Bytes of message next_seq() received so far.
  size_t offset() const { return offset_; }
  uint64_t bytes_verified() const { return bytes_verified_; }
  const std::optional<EchoMismatch>& mismatch() const { return mismatch_; }

 private:
  const Payload* payload_;
  uint64_t conn_;
  uint64_t next_seq_ = 0;
  size_t offset_ = 0;
  uint64_t bytes_verified_ = 0;
  std::optional<EchoMismatch> mismatch_;
};

}  // namespace iotax::client
