#include "folded_stacks.h"

#include <gtest/gtest.h>

namespace iotax::stacks {
namespace {

TEST(FoldedStacks, ParsesFramesWithSpacesAndAddsRepeatedStacks) {
  absl::StatusOr<FoldedStacks> f = ParseFolded(
      "# comment\n"
      "worker;main;serve(int, char const*);read 30\n"
      "\n"
      "worker;main;serve(int, char const*);read 12\n"
      "worker;main;idle 5\r\n");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ(f->at("worker;main;serve(int, char const*);read"), 42u);
  EXPECT_EQ(f->at("worker;main;idle"), 5u);
  EXPECT_EQ(TotalCount(*f), 47u);
}

TEST(FoldedStacks, FormatThenParseGivesTheSameStacks) {
  const FoldedStacks in = {{"a;b;c", 3}, {"a;b", 7}, {"x", 1}, {"zero", 0}};
  const std::string text = FormatFolded(in);
  EXPECT_EQ(text, "a;b 7\na;b;c 3\nx 1\n");  // zero-count stacks are not written
  absl::StatusOr<FoldedStacks> back = ParseFolded(text);
  ASSERT_TRUE(back.ok());
  FoldedStacks expected = in;
  expected.erase("zero");
  EXPECT_EQ(*back, expected);
}

TEST(FoldedStacks, ABadLineIsAnErrorThatNamesTheLine) {
  for (const char* bad : {"a;b;c\n", "a;b 12\nfoo bar\n", "a;b -3\n", " 12\n", "a;b 1.5\n"}) {
    absl::StatusOr<FoldedStacks> f = ParseFolded(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.status().message().find("line "), std::string::npos) << f.status();
    EXPECT_NE(f.status().message().find("COUNT"), std::string::npos) << f.status();
  }
  absl::StatusOr<FoldedStacks> f = ParseFolded("a 1\nb 2\noops\n");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("line 3"), std::string::npos) << f.status();
}

TEST(FoldedStacks, SplitAndJoinAreInverse) {
  EXPECT_EQ(SplitFrames("a;b;c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitFrames("").empty());
  EXPECT_EQ(JoinFrames(SplitFrames("a;b;c")), "a;b;c");
}

}  // namespace
}  // namespace iotax::stacks
