// The shared command-line layer (servers/common/flags.h): value parsers,
// the exit-code rules, one-line errors, every parse starting from the
// defaults, and subcommands that share Abseil's global flags but accept only
// their own.
#include "flags.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::vector<std::string>, pid, {}, "Process to watch.");
ABSL_FLAG(absl::Duration, wait, absl::Seconds(2), "How long to wait.");
ABSL_FLAG(int, count, 3, "How many.");
ABSL_FLAG(bool, loud, false, "Say more.");
ABSL_FLAG(std::string, mode, "fast", "The mode.");
ABSL_FLAG(std::string, not_ours, "", "Defined in the binary, but no program's own.");
ABSL_FLAG(absl::Duration, one_duration, absl::Seconds(1), "Subcommand one: how long.");
ABSL_FLAG(std::string, two_output, "", "Subcommand two: where to write.");

namespace iotax::flags {
namespace {

Program Tool() {
  return {.name = "tool",
          .usage = "tool: does things.",
          .flags = {{"pid", "PID"}, {"wait"}, {"count"}, {"loud"}, {"mode", "fast|slow"}}};
}

Outcome ParseTool(const Program& p, std::vector<std::string> args) {
  args.insert(args.begin(), "tool");
  return Parse(p, args);
}

// The one-line error of parsing `args` with Tool().
std::string ErrorOf(std::vector<std::string> args) {
  const Outcome o = ParseTool(Tool(), std::move(args));
  EXPECT_FALSE(o.run);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(o.to_stderr);
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << o.text;
  return o.text;
}

TEST(Flags, SetsTypedFlagsWithDashesAndMergesLists) {
  const Outcome o = ParseTool(Tool(), {"--pid", "3", "--wait=500ms", "-count", "7", "--pid=4,3", "--loud", "extra"});
  ASSERT_TRUE(o.run) << o.text;
  EXPECT_EQ(absl::GetFlag(FLAGS_pid), (std::vector<std::string>{"3", "4", "3"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_wait), absl::Milliseconds(500));
  EXPECT_EQ(absl::GetFlag(FLAGS_count), 7);
  EXPECT_TRUE(absl::GetFlag(FLAGS_loud));
  EXPECT_EQ(o.positional, std::vector<std::string>{"extra"});
  EXPECT_EQ(o.given, (std::set<std::string>{"pid", "wait", "count", "loud"}));
}

TEST(Flags, EachParseStartsFromTheDefaults) {
  ASSERT_TRUE(ParseTool(Tool(), {"--count=9", "--loud", "--pid=1"}).run);
  EXPECT_EQ(absl::GetFlag(FLAGS_count), 9);
  ASSERT_TRUE(ParseTool(Tool(), {"--noloud"}).run);
  EXPECT_EQ(absl::GetFlag(FLAGS_count), 3);
  EXPECT_FALSE(absl::GetFlag(FLAGS_loud));
  EXPECT_TRUE(absl::GetFlag(FLAGS_pid).empty());
  EXPECT_EQ(absl::GetFlag(FLAGS_wait), absl::Seconds(2));
}

TEST(Flags, NormalizeKeepsValuesAndWhatFollowsDoubleDash) {
  EXPECT_EQ(Normalize(Tool(), {"tool", "--pid", "1", "--loud-ly=x", "-h", "--pid=2", "--", "--pid=3"}),
            (std::vector<std::string>{"tool", "--loud_ly=x", "--help", "--pid=1,2", "--", "--pid=3"}));
}

TEST(Flags, HelpAndVersionGoToStdoutWithExitZero) {
  for (const char* arg : {"--help", "-h", "-help"}) {
    const Outcome o = ParseTool(Tool(), {"--count=1", arg});
    EXPECT_FALSE(o.run);
    EXPECT_EQ(o.exit_code, 0);
    EXPECT_FALSE(o.to_stderr);
    EXPECT_EQ(o.text, HelpText(Tool()));
  }
  const Outcome v = ParseTool(Tool(), {"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(absl::StartsWith(v.text, "tool (iotax) ")) << v.text;
  EXPECT_TRUE(absl::StartsWith(VersionLine("iotax report"), "iotax ")) << VersionLine("iotax report");
}

TEST(Flags, HelpListsOnlyTheProgramsFlagsDashedWithDefaults) {
  const std::string help = HelpText(Tool());
  EXPECT_TRUE(absl::StartsWith(help, "tool: does things.\n\nFlags:\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --pid=PID\n      Process to watch.\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --wait=DURATION  (default: 2s)\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --count=N  (default: 3)\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --loud\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --mode=fast|slow  (default: fast)\n")) << help;
  EXPECT_TRUE(absl::StrContains(help, "  --help\n") && absl::StrContains(help, "  --version\n")) << help;
  EXPECT_FALSE(absl::StrContains(help, "not-ours"));
  EXPECT_FALSE(absl::StrContains(help, "flagfile"));
}

TEST(Flags, BadCommandLinesAreOneLineNamingTheFlagAndTheFix) {
  EXPECT_EQ(ErrorOf({"--bogus"}), "tool: unknown flag --bogus: see tool --help\n");
  EXPECT_EQ(ErrorOf({"--not-ours=1"}), "tool: unknown flag --not-ours: see tool --help\n");
  EXPECT_EQ(ErrorOf({"--wait=soon"}), "tool: --wait=soon is not a duration: pass e.g. --wait=2s\n");
  EXPECT_EQ(ErrorOf({"--count=many"}), "tool: --count=many is not a whole number: pass e.g. --count=3\n");
  EXPECT_EQ(ErrorOf({"--loud=maybe"}), "tool: --loud=maybe is not a boolean: pass --loud alone (or =true/=false)\n");
  EXPECT_EQ(ErrorOf({"--noloud=1"}), "tool: --noloud takes no value: pass --loud=false\n");
  EXPECT_EQ(ErrorOf({"--mode"}), "tool: --mode needs a value: pass --mode=fast|slow\n");
  EXPECT_EQ(ErrorOf({"--wait", "--loud"}), "tool: --wait needs a value: pass --wait=DURATION\n");
  EXPECT_EQ(ErrorOf({"--pid="}), "tool: --pid= is empty: pass --pid=PID\n");
  EXPECT_EQ(ErrorOf({"--count=1", "--count=2"}), "tool: --count is given twice: pass it once\n");
}

TEST(Flags, ParseOrExitExitsZeroForHelpAndTwoForABadFlag) {
  const Program tool = Tool();
  char name[] = "tool", help[] = "--help", bogus[] = "--bogus", stray[] = "stray";
  char* help_argv[] = {name, help, nullptr};
  EXPECT_EXIT(ParseOrExit(tool, 2, help_argv), ::testing::ExitedWithCode(0), "");
  char* bogus_argv[] = {name, bogus, nullptr};
  EXPECT_EXIT(ParseOrExit(tool, 2, bogus_argv), ::testing::ExitedWithCode(2), "^tool: unknown flag --bogus");
  char* stray_argv[] = {name, stray, nullptr};
  EXPECT_EXIT(ParseOrExit(tool, 2, stray_argv), ::testing::ExitedWithCode(2),
              "tool: unexpected argument 'stray': every setting is a --flag; see tool --help");
}

TEST(Flags, SubcommandsAcceptOnlyTheirOwnFlags) {
  Program one{.name = "multi one", .usage = "one", .flags = {{"duration"}}, .prefix = "one_"};
  Program two{.name = "multi two", .usage = "two", .flags = {{"output", "PATH"}}, .prefix = "two_"};
  one.siblings = {&two};
  two.siblings = {&one};
  Outcome o = Parse(one, {"one", "--duration=5s"});
  ASSERT_TRUE(o.run) << o.text;
  EXPECT_EQ(absl::GetFlag(FLAGS_one_duration), absl::Seconds(5));
  o = Parse(one, {"one", "--output=x"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.text, "multi one: unknown flag --output (it belongs to two): see multi one --help\n");
  EXPECT_EQ(Parse(one, {"one", "--one-duration=1s"}).exit_code, 2);  // the prefix is not typed
  const std::string help = HelpText(one);
  EXPECT_TRUE(absl::StrContains(help, "--duration=DURATION  (default: 1s)")) << help;
  EXPECT_FALSE(absl::StrContains(help, "--output")) << help;
}

TEST(Flags, UnexpectedArgumentSuggestsTheFlag) {
  EXPECT_EQ(UnexpectedArgument("p", "1234", "pid", "comm"), "unexpected argument '1234': pass it as --pid=1234");
  EXPECT_EQ(UnexpectedArgument("p", "nginx", "pid", "comm"), "unexpected argument 'nginx': pass it as --comm=nginx");
  EXPECT_EQ(UnexpectedArgument("p", "x", "", ""), "unexpected argument 'x': every setting is a --flag; see p --help");
}

TEST(FlagValues, Durations) {
  EXPECT_TRUE(CheckDuration("wait", absl::Seconds(1), absl::Seconds(1), absl::Minutes(1), "5s").ok());
  EXPECT_EQ(CheckDuration("wait", absl::Milliseconds(200), absl::Seconds(1), absl::Minutes(1), "5s").message(),
            "--wait=200ms is out of range: pass a duration from 1s to 1m, e.g. --wait=5s");
  EXPECT_EQ(CheckDuration("window", absl::Minutes(6), absl::Seconds(2), absl::Minutes(5), "30s", "--history").message(),
            "--window=6m is out of range: pass a duration from 2s to --history (5m), e.g. --window=30s");
}

TEST(FlagValues, PidLists) {
  EXPECT_EQ(*ParsePids({"12", "34, 12", " 5 "}), (std::vector<int>{12, 34, 5}));
  EXPECT_TRUE(ParsePids({}).value().empty());
  for (const char* bad : {"abc", "0", "-5", "1.5"}) {
    auto r = ParsePids({bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              absl::StrCat("--pid=", bad, " is not a process ID: pass a positive number such as --pid=1234"));
  }
}

TEST(FlagValues, CommaListsOfWholeNumbers) {
  EXPECT_EQ(*ParseIntList("rates", "1000, 2000", 100, 5000, "1000"), (std::vector<int>{1000, 2000}));
  EXPECT_EQ(ParseIntList("rates", "fast", 100, 5000, "1000").status().message(),
            "--rates=fast: 'fast' is not a whole number from 100 to 5000: pass e.g. --rates=1000");
  EXPECT_EQ(ParseIntList("rates", "1000,9999", 100, 5000, "1000").status().message(),
            "--rates=1000,9999: '9999' is not a whole number from 100 to 5000: pass e.g. --rates=1000");
  EXPECT_EQ(ParseIntList("rates", " , ", 100, 5000, "1000").status().message(),
            "--rates is empty: pass e.g. --rates=1000");
  EXPECT_EQ(CheckInt("conns", 0, 1, 10).message(), "--conns=0 is not a whole number from 1 to 10");
  EXPECT_TRUE(CheckInt("conns", 10, 1, 10).ok());
}

TEST(FlagValues, Percentages) {
  EXPECT_DOUBLE_EQ(*ParsePercent("sample", "10%", 1, 100, "10%"), 0.1);
  EXPECT_DOUBLE_EQ(*ParsePercent("sample", "25", 1, 100, "10%"), 0.25);
  EXPECT_DOUBLE_EQ(*ParsePercent("sample", "100%", 1, 100, "10%"), 1.0);
  for (const char* bad : {"0.5%", "101%", "ten", "", "%"}) {
    EXPECT_EQ(ParsePercent("sample", bad, 1, 100, "10%").status().message(),
              absl::StrCat("--sample=", bad, " is not a share from 1% to 100%: pass e.g. --sample=10%"));
  }
}

TEST(FlagText, WrapKeepsWordsWithinTheWidth) {
  EXPECT_EQ(Wrap("one two three four", 2, 12), "  one two\n  three four\n");
  EXPECT_EQ(Wrap("", 4), "\n");
  EXPECT_EQ(Dashed("follow_children"), "--follow-children");
}

}  // namespace
}  // namespace iotax::flags
