// The iotax command line: subcommands, flags, --help, and one-line errors
// that say what to pass instead.
#include "iotax_cli.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace iotax::cli {
namespace {

ParseResult P(std::vector<std::string> args) {
  args.insert(args.begin(), "iotax");
  return Parse(args);
}

void ExpectError(const std::vector<std::string>& args, const std::string& text) {
  const ParseResult r = P(args);
  EXPECT_FALSE(r.invocation);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.to_stderr);
  EXPECT_TRUE(absl::StrContains(r.print, text)) << r.print;
  EXPECT_EQ(std::count(r.print.begin(), r.print.end(), '\n'), 1) << "one line: " << r.print;
}

TEST(IotaxCli, ReportDefaultsAndFlags) {
  ParseResult r = P({"report", "--pid", "12", "--pid=34,12", "--duration=20s", "--json", "--calibration=none"});
  ASSERT_TRUE(r.invocation) << r.print;
  const ReportOptions& o = r.invocation->report;
  EXPECT_EQ(r.invocation->command, Command::kReport);
  EXPECT_EQ(o.pids, (std::vector<int>{12, 34}));
  EXPECT_EQ(o.duration, absl::Seconds(20));
  EXPECT_EQ(o.subwindow, absl::Seconds(1));
  EXPECT_TRUE(o.json);
  EXPECT_TRUE(o.no_calibration);
  r = P({"report", "--pid=1", "--duration=2s"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->report.subwindow, absl::Milliseconds(400));  // at least 5 sub-windows
  EXPECT_FALSE(r.invocation->report.json);
  EXPECT_EQ(r.invocation->report.duration, absl::Seconds(2));
  r = P({"report", "--pid=1", "--json=false", "--follow_children"});
  ASSERT_TRUE(r.invocation);
  EXPECT_FALSE(r.invocation->report.json);
  EXPECT_TRUE(r.invocation->report.follow_children);
}

TEST(IotaxCli, ReportErrorsSayWhatToDo) {
  ExpectError({"report"}, "pass --pid=PID");
  ExpectError({"report", "--pid=abc"}, "--pid=abc is not a process ID");
  ExpectError({"report", "--pid=0"}, "positive number");
  ExpectError({"report", "--pid=1", "--duration=forever"}, "not a duration: pass e.g. --duration=10s");
  ExpectError({"report", "--pid=1", "--duration=200ms"}, "out of range");
  ExpectError({"report", "--pid=1", "--color"}, "unknown flag --color: see iotax report --help");
  ExpectError({"report", "1234"}, "pass it as --pid=1234");
  ExpectError({"report", "--pid=1", "--duration"}, "needs a value");
  ExpectError({"report", "--pid=1", "--duration=1s", "--duration=2s"}, "given twice");
  ExpectError({"report", "--pid=1", "--calibration="}, "--calibration is empty");
  ExpectError({"report", "--pid=1", "--pmu-events=instructions"}, "pmu");
}

TEST(IotaxCli, CalibrateFlags) {
  ParseResult r = P({"calibrate", "--rates=1000, 2000", "--conns=50", "--msg-size=64", "--duration=2s",
                     "--server-cpu=1", "--client-cpu=0", "--output=/tmp/x.json", "--bin-dir=/opt", "--repeat=3"});
  ASSERT_TRUE(r.invocation) << r.print;
  const CalibrateOptions& o = r.invocation->calibrate;
  EXPECT_EQ(o.rates, (std::vector<int>{1000, 2000}));
  EXPECT_EQ(o.conns, 50);
  EXPECT_EQ(o.msg_size, 64);
  EXPECT_EQ(o.duration, absl::Seconds(2));
  EXPECT_EQ(o.server_cpu, 1);
  EXPECT_EQ(o.client_cpu, 0);
  EXPECT_EQ(o.output, "/tmp/x.json");
  EXPECT_EQ(o.bin_dir, "/opt");
  EXPECT_EQ(o.repeat, 3);
  EXPECT_EQ(P({"calibrate"}).invocation->calibrate.repeat, 2);
  ExpectError({"calibrate", "--rates=fast"}, "--rates=fast");
  ExpectError({"calibrate", "--conns=0"}, "--conns=0 is not a whole number from 1");
  ExpectError({"calibrate", "--pid=3"}, "unknown flag --pid");
}

TEST(IotaxCli, CommandsAndHelp) {
  ExpectError({"frobnicate"}, "unknown command 'frobnicate'");
  ParseResult r = P({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.print, "iotax report"));
  r = P({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.to_stderr);
  for (const char* c : {"report", "doctor", "calibrate"}) EXPECT_TRUE(absl::StrContains(r.print, c)) << c;
  r = P({"--version"});
  EXPECT_TRUE(absl::StrContains(r.print, "iotax 0."));
  r = P({"doctor"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->command, Command::kDoctor);
}

TEST(IotaxCli, EveryCommandHelpExplainsEveryFlag) {
  const std::map<Command, std::vector<std::string>> flags = {
      {Command::kReport, {"--pid=PID", "--duration=DURATION", "--subwindow", "--json", "--calibration=PATH|none",
                          "--pmu-events", "--follow-children"}},
      {Command::kDoctor, {"--calibration=PATH", "--pmu-events"}},
      {Command::kCalibrate, {"--rates", "--conns", "--msg-size", "--duration", "--repeat", "--server-cpu", "--client-cpu",
                             "--bin-dir", "--output", "--pmu-events", "Stored in:"}},
  };
  for (const auto& [command, names] : flags) {
    const std::string help = CommandUsage(command);
    for (const std::string& f : names) EXPECT_TRUE(absl::StrContains(help, f)) << f << "\n" << help;
    EXPECT_TRUE(absl::StrContains(help, "--help"));
  }
  const std::string via_flag = P({"report", "--help"}).print;
  EXPECT_EQ(via_flag, CommandUsage(Command::kReport));
  EXPECT_EQ(P({"help", "calibrate"}).print, CommandUsage(Command::kCalibrate));
}

TEST(IotaxCli, HelpSaysWhenCalibrateRefuses) {
  const std::string help = CommandUsage(Command::kCalibrate);
  for (const char* part : {"run again, up to 2\ntimes", "nothing is written and the exit code is 3",
                           "run again on a\nquiet machine or lower --rates", "not self-consistent"}) {
    EXPECT_TRUE(absl::StrContains(help, part)) << part << "\n" << help;
  }
  EXPECT_TRUE(absl::StrContains(P({"--help"}).print, "3 calibrate refused"));
}

}  // namespace
}  // namespace iotax::cli
