#include "flame_graph_svg.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::stacks {
namespace {

struct Node {
  double value = 0;
  double before = 0;  // differential only
  std::map<std::string, std::unique_ptr<Node>> children;
  Node* Child(const std::string& name) {
    std::unique_ptr<Node>& c = children[name];
    if (!c) c = std::make_unique<Node>();
    return c.get();
  }
};

int Depth(const Node& n) {
  int d = 0;
  for (const auto& [name, child] : n.children) d = std::max(d, 1 + Depth(*child));
  return d;
}

std::string XmlEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A stable warm colour per name, as flamegraph.pl's default palette.
std::string WarmColour(absl::string_view name) {
  const size_t h = std::hash<std::string_view>{}(std::string_view(name.data(), name.size()));
  return absl::StrFormat("rgb(%d,%d,%d)", 205 + static_cast<int>(h % 50), 80 + static_cast<int>((h >> 8) % 150),
                         static_cast<int>((h >> 16) % 55));
}

// White at no change, full red (grew) or blue (shrank) at the largest change.
std::string DiffColour(double change, double largest) {
  const double f = largest > 0 ? std::min(1.0, std::fabs(change) / largest) : 0;
  const int fade = static_cast<int>(std::lround(255 * (1 - f)));
  return change >= 0 ? absl::StrFormat("rgb(255,%d,%d)", fade, fade) : absl::StrFormat("rgb(%d,%d,255)", fade, fade);
}

struct Drawing {
  const FlameGraphOptions& options;
  double total;
  int height;
  bool differential;
  double largest_change;
  std::string body;

  void Draw(const std::string& name, const Node& n, double x, int depth) {
    const double w = total > 0 ? n.value / total * options.width : 0;
    if (w < options.min_width) return;
    {
      const int y = height - (depth + 2) * options.frame_height;
      std::string tip = absl::StrFormat("%s (%.6g %s, %.2f%%)", name, n.value, options.count_name,
                                        100.0 * n.value / total);
      if (differential) absl::StrAppend(&tip, absl::StrFormat(", change %+.6g", n.value - n.before));
      const std::string fill = differential ? DiffColour(n.value - n.before, largest_change) : WarmColour(name);
      const size_t chars = static_cast<size_t>(std::max(0.0, (w - 6) / 7));  // ~7 px per character
      std::string label = name.size() <= chars ? name : (chars > 2 ? name.substr(0, chars - 2) + ".." : "");
      absl::StrAppend(&body, absl::StrFormat(
                                 "<g><title>%s</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
                                 "fill=\"%s\" rx=\"2\"/><text x=\"%.2f\" y=\"%d\">%s</text></g>\n",
                                 XmlEscape(tip), x, y, w, options.frame_height - 1, fill, x + 3,
                                 y + options.frame_height - 4, XmlEscape(label)));
    }
    double child_x = x;
    for (const auto& [child_name, child] : n.children) {
      Draw(child_name, *child, child_x, depth + 1);
      child_x += total > 0 ? child->value / total * options.width : 0;
    }
  }
};

double LargestChange(const Node& n) {
  double m = std::fabs(n.value - n.before);
  for (const auto& [name, child] : n.children) m = std::max(m, LargestChange(*child));
  return m;
}

std::string Render(const Node& root, bool differential, const FlameGraphOptions& options) {
  const int depth = Depth(root);
  const int height = (depth + 4) * options.frame_height;  // the frames, "all" and the title
  Drawing d{options, root.value, height, differential, 0, ""};
  if (differential) {
    for (const auto& [name, child] : root.children) d.largest_change = std::max(d.largest_change, LargestChange(*child));
  }
  d.Draw("all", root, 0, 0);
  std::string out = absl::StrFormat(
      "<?xml version=\"1.0\" standalone=\"no\"?>\n"
      "<svg version=\"1.1\" width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" "
      "font-family=\"Verdana, sans-serif\" font-size=\"11\">\n"
      "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
      options.width, height, options.width / 2, options.frame_height, XmlEscape(options.title));
  if (root.value <= 0) absl::StrAppend(&out, "<text x=\"10\" y=\"40\">no stacks recorded</text>\n");
  absl::StrAppend(&out, d.body, "</svg>\n");
  return out;
}

void Add(Node* root, const std::string& stack, double value, double before) {
  Node* n = root;
  n->value += value;
  n->before += before;
  for (const std::string& frame : SplitFrames(stack)) {
    n = n->Child(frame);
    n->value += value;
    n->before += before;
  }
}

}  // namespace

std::string FlameGraphSvg(const FoldedStacks& stacks, const FlameGraphOptions& options) {
  Node root;
  for (const auto& [stack, count] : stacks) Add(&root, stack, static_cast<double>(count), 0);
  return Render(root, false, options);
}

std::string DifferentialFlameGraphSvg(const StackDiff& diff, const FlameGraphOptions& options) {
  Node root;
  for (const auto& [stack, values] : diff.stacks) Add(&root, stack, values.second, values.first);
  return Render(root, true, options);
}

}  // namespace iotax::stacks
