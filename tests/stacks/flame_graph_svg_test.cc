#include "flame_graph_svg.h"

#include <gtest/gtest.h>

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace iotax::stacks {
namespace {

struct Box {
  double x, y, width;
  std::string fill;
};

std::vector<Box> Boxes(const std::string& svg) {
  std::vector<Box> out;
  static const std::regex rect(R"re(<rect x="([0-9.]+)" y="([0-9]+)" width="([0-9.]+)" height="[0-9]+" fill="([^"]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), (*it)[4]});
  }
  return out;
}

TEST(FlameGraphSvg, OneBoxPerFrameWidthsProportionalCallersBelow) {
  FlameGraphOptions options;
  options.width = 1000;
  const std::string svg = FlameGraphSvg({{"main;serve;read", 750}, {"main;serve;write", 250}}, options);
  ASSERT_TRUE(absl::StartsWith(svg, "<?xml")) << svg;
  ASSERT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  const std::vector<Box> boxes = Boxes(svg);
  ASSERT_EQ(boxes.size(), 5u) << svg;  // all, main, serve, read, write
  EXPECT_NEAR(boxes[0].width, 1000, 0.01);  // all
  EXPECT_NEAR(boxes[3].width, 750, 0.01);   // read
  EXPECT_NEAR(boxes[4].width, 250, 0.01);   // write
  EXPECT_NEAR(boxes[4].x, 750, 0.01);       // next to read
  EXPECT_GT(boxes[0].y, boxes[1].y);        // the caller is drawn below
  EXPECT_GT(boxes[2].y, boxes[3].y);
  EXPECT_EQ(boxes[3].y, boxes[4].y);
  EXPECT_TRUE(absl::StrContains(svg, "<title>read (750 samples, 75.00%)</title>")) << svg;
}

TEST(FlameGraphSvg, EscapesNamesAndDropsBoxesTooNarrowToSee) {
  FlameGraphOptions options;
  options.width = 100;
  const std::string svg = FlameGraphSvg({{"std::vector<int>&;a", 100000}, {"tiny", 1}}, options);
  EXPECT_TRUE(absl::StrContains(svg, "std::vector&lt;int&gt;&amp;")) << svg;
  EXPECT_FALSE(absl::StrContains(svg, "tiny"));
  EXPECT_FALSE(absl::StrContains(svg, "vector<int>"));
}

TEST(FlameGraphSvg, EmptyProfileSaysSo) {
  EXPECT_TRUE(absl::StrContains(FlameGraphSvg({}, {}), "no stacks recorded"));
}

TEST(DifferentialFlameGraphSvg, RedGrewBlueShrankWidthsFromAfter) {
  absl::StatusOr<StackDiff> d =
      DiffStacks({{"main;read", 600}, {"main;parse", 100}}, {{"main;epoll_wait", 300}, {"main;parse", 100}}, {});
  ASSERT_TRUE(d.ok());
  FlameGraphOptions options;
  options.width = 400;
  const std::string svg = DifferentialFlameGraphSvg(*d, options);
  const std::vector<Box> boxes = Boxes(svg);
  // all, main, epoll_wait, parse; read has no width in the after run.
  ASSERT_EQ(boxes.size(), 4u) << svg;
  EXPECT_NEAR(boxes[0].width, 400, 0.01);
  // The largest change is read's -600 (not drawn: gone after); colours are
  // shares of it.
  EXPECT_EQ(boxes[1].fill, "rgb(128,128,255)");  // main: 700 -> 400, shrank by half of it
  EXPECT_EQ(boxes[2].fill, "rgb(255,128,128)");  // epoll_wait: 0 -> 300, grew by half of it
  EXPECT_EQ(boxes[3].fill, "rgb(255,255,255)");  // parse: unchanged
}

}  // namespace
}  // namespace iotax::stacks
