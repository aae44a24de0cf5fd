#include "uring_buf_ring.h"

#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

namespace iotax::echo {
namespace {

class BufRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int rc = io_uring_queue_init(8, &ring_, 0);
    if (rc < 0) GTEST_SKIP() << "io_uring unavailable here: " << std::strerror(-rc);
    ready_ = true;
  }
  void TearDown() override {
    if (ready_) io_uring_queue_exit(&ring_);
  }
  io_uring ring_{};
  bool ready_ = false;
};

TEST_F(BufRingTest, RejectsSizesThatAreNotPowersOfTwo) {
  auto br = ProvidedBufferRing::Create(&ring_, 3, 64, 0);
  ASSERT_FALSE(br.ok());
  EXPECT_NE(br.status().message().find("power of two"), std::string::npos);
}

// A recv that selects from the ring lands in one of its buffers, the CQE
// names it, and a recycled buffer is picked again.
TEST_F(BufRingTest, RecvSelectsARingBuffer) {
  auto br = ProvidedBufferRing::Create(&ring_, 2, 128, 7);
  ASSERT_TRUE(br.ok()) << br.status();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  for (int round = 0; round < 4; ++round) {
    const std::string msg = "hello " + std::to_string(round);
    ASSERT_EQ(write(sv[1], msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_recv(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = (*br)->group();
    ASSERT_EQ(io_uring_submit(&ring_), 1);
    io_uring_cqe* cqe;
    ASSERT_EQ(io_uring_wait_cqe(&ring_, &cqe), 0);
    ASSERT_EQ(cqe->res, static_cast<int>(msg.size()));
    ASSERT_TRUE(cqe->flags & IORING_CQE_F_BUFFER);
    const auto id = static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    ASSERT_LT(id, 2);
    EXPECT_EQ(std::string((*br)->buffer(id), msg.size()), msg);
    io_uring_cqe_seen(&ring_, cqe);
    // Four rounds through a two-buffer ring only work if recycling works.
    (*br)->Recycle(id);
    (*br)->Publish();
  }
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace iotax::echo
