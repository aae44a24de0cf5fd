#include "payload.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "echo_stream.h"

namespace iotax::client {
namespace {

std::vector<uint8_t> Stream(const Payload& p, uint64_t conn, uint64_t messages) {
  std::vector<uint8_t> out;
  for (uint64_t s = 0; s < messages; ++s) {
    const uint8_t* m = p.Message(conn, s);
    out.insert(out.end(), m, m + p.msg_size());
  }
  return out;
}

TEST(Payload, MessagesDifferBetweenSequencesAndConnections) {
  Payload p(64);
  EXPECT_NE(std::vector<uint8_t>(p.Message(0, 0), p.Message(0, 0) + 64),
            std::vector<uint8_t>(p.Message(0, 1), p.Message(0, 1) + 64));
  EXPECT_NE(std::vector<uint8_t>(p.Message(0, 0), p.Message(0, 0) + 64),
            std::vector<uint8_t>(p.Message(1, 0), p.Message(1, 0) + 64));
  // Deterministic: a second Payload gives the same bytes.
  Payload q(64);
  EXPECT_EQ(std::vector<uint8_t>(p.Message(3, 9), p.Message(3, 9) + 64),
            std::vector<uint8_t>(q.Message(3, 9), q.Message(3, 9) + 64));
}

TEST(EchoStream, AcceptsTheStreamHoweverItIsSplit) {
  Payload p(1000);
  const std::vector<uint8_t> data = Stream(p, 5, 20);
  std::mt19937 rng(1);
  EchoStream stream(&p, 5);
  std::vector<uint64_t> completed;
  size_t at = 0;
  while (at < data.size()) {
    const size_t len = std::min<size_t>(data.size() - at, 1 + rng() % 2500);
    ASSERT_TRUE(stream.Consume(data.data() + at, len, [&](uint64_t seq) { completed.push_back(seq); }));
    at += len;
  }
  ASSERT_EQ(completed.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(completed[i], i);
  EXPECT_EQ(stream.bytes_verified(), data.size());
  EXPECT_EQ(stream.offset(), 0u);
}

TEST(EchoStream, DetectsAFlippedByteAndSaysWhere) {
  Payload p(512);
  std::vector<uint8_t> data = Stream(p, 2, 4);
  const size_t flip = 2 * 512 + 100;  // message 2, byte 100
  const uint8_t expected = data[flip];
  data[flip] ^= 0x40;
  EchoStream stream(&p, 2);
  int completed = 0;
  const bool ok = stream.Consume(data.data(), data.size(), [&](uint64_t) { ++completed; });
  ASSERT_FALSE(ok);
  EXPECT_EQ(completed, 2);
  ASSERT_TRUE(stream.mismatch().has_value());
  EXPECT_EQ(stream.mismatch()->conn, 2u);
  EXPECT_EQ(stream.mismatch()->seq, 2u);
  EXPECT_EQ(stream.mismatch()->offset, 100u);
  EXPECT_EQ(stream.mismatch()->expected, expected);
  EXPECT_EQ(stream.mismatch()->got, expected ^ 0x40);
  EXPECT_EQ(stream.bytes_verified(), flip);
  EXPECT_NE(stream.mismatch()->ToString().find("connection 2, message 2, byte 100"), std::string::npos)
      << stream.mismatch()->ToString();
}

TEST(EchoStream, DetectsBytesFromAnotherConnectionOrAReplay) {
  Payload p(256);
  {
    const std::vector<uint8_t> other = Stream(p, 1, 1);
    EchoStream stream(&p, 0);
    EXPECT_FALSE(stream.Consume(other.data(), other.size(), [](uint64_t) {}));
  }
  {
    std::vector<uint8_t> replay = Stream(p, 0, 1);
    replay.insert(replay.end(), replay.begin(), replay.end());  // message 0 twice
    EchoStream stream(&p, 0);
    EXPECT_FALSE(stream.Consume(replay.data(), replay.size(), [](uint64_t) {}));
    const EchoMismatch m = stream.mismatch().value_or(EchoMismatch{0, 999, 0, 0, 0});
    EXPECT_EQ(m.seq, 1u);
  }
}

TEST(EchoStream, OneByteMessages) {
  Payload p(1);
  const std::vector<uint8_t> data = Stream(p, 0, 1000);
  EchoStream stream(&p, 0);
  uint64_t n = 0;
  ASSERT_TRUE(stream.Consume(data.data(), data.size(), [&](uint64_t) { ++n; }));
  EXPECT_EQ(n, 1000u);
}

}  // namespace
}  // namespace iotax::client
