// The folded-text arithmetic iotax-bench --stacks uses: a window's profile
// is the profile at its end minus the one at its start; repeats add up.
#include "stack_capture.h"

#include <gtest/gtest.h>

namespace iotax::bench {
namespace {

TEST(StackCapture, TheWindowIsTheEndMinusTheStartStackByStack) {
  const std::string start = "srv;main;read (socket) 100\nsrv;main;write (socket) 40\n";
  const std::string end = "srv;main;read (socket) 350\nsrv;main;write (socket) 40\nsrv;accept (socket) 7\n";
  // Unchanged stacks drop out; new ones count in full.
  EXPECT_EQ(SubtractFolded(end, start), "srv;accept (socket) 7\nsrv;main;read (socket) 250\n");
  EXPECT_EQ(SubtractFolded(start, start), "");
}

TEST(StackCapture, RepeatsAddUpAndStacksWithSpacesInFramesKeepTheirNames) {
  const std::string a = "t;f(unsigned long, int) 3\nt;g 1\n";
  const std::string b = "t;f(unsigned long, int) 4\n";
  EXPECT_EQ(AddFolded(a, b), "t;f(unsigned long, int) 7\nt;g 1\n");
  EXPECT_EQ(AddFolded("", "not folded\n\nt;h 2\n"), "t;h 2\n");
}

}  // namespace
}  // namespace iotax::bench
