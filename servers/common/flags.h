// The one command-line layer of every iotax program (iotaxd, iotax and its
// subcommands, the echo server and client, iotax-bench): Abseil flags, read
// through Abseil's reflection so that nothing exits behind the program's
// back; a --help built from the flags' own help text; and the value parsers
// and range checks whose errors are one line naming the flag and what to
// pass instead.
//
// Exit codes: --help, -h and --version print to stdout and exit 0; a bad or
// unknown flag is one line on stderr ("PROGRAM: ...") and exit 2.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace iotax::flags {

// One flag of a program, as --help shows it.
struct FlagDoc {
  const char* name;                   // Abseil's name without the program's prefix ("follow_children")
  const char* placeholder = nullptr;  // shown after '=' ("PID"); nullptr: taken from the flag's type
};

// A program, or a subcommand of one: which Abseil flags are its own.
struct Program {
  std::string name{};            // "iotaxd", "iotax report": starts every message
  std::string usage{};           // the --help text above "Flags:"
  std::vector<FlagDoc> flags{};  // its own flags, in --help order; every other flag is unknown to it
  std::string prefix{};          // Abseil names are prefix + name ("report_" for `iotax report`)
  std::vector<const Program*> siblings{};  // the binary's other subcommands, to say whose a flag is
};

// What parsing decided: run with the flags set, or print `text` and exit.
struct Outcome {
  bool run = false;
  int exit_code = 0;
  bool to_stderr = false;
  std::string text{};                   // help, version or the one-line error (ends in '\n')
  std::vector<std::string> positional{};  // arguments that are not flags (when run)
  std::set<std::string> given{};        // names of the flags on the command line (when run)
};

// Rewrites args (args[0] is the program) into the form Parse reads: dashes
// in flag names become underscores (--follow-children), -h becomes --help,
// and every occurrence of a list flag (std::vector<std::string>) is merged
// into one at the end ("--pid 1 --pid=2" -> "--pid=1,2"). Values and
// everything after "--" are never touched.
std::vector<std::string> Normalize(const Program& program, const std::vector<std::string>& args);

// Sets `program`'s Abseil flags from args. Never exits and never prints.
// Each call first puts the program's flags back at their defaults, so it can
// run many times in one process (tests, the fuzzer); the flags stay set until
// the next call.
Outcome Parse(const Program& program, const std::vector<std::string>& args);

// For main(): Parse, then print and exit as documented above; a positional
// argument is an error too. Returns when the program should run.
void ParseOrExit(const Program& program, int argc, char** argv);

// The one-line error "PROGRAM: message\n" on stderr, exit code 2.
Outcome Error(absl::string_view program, absl::string_view message);

// "unexpected argument 'ARG': ..." with the fix: --NUMERIC_FLAG=ARG for a
// number, --OTHER_FLAG=ARG otherwise; either may be "" (then: see --help).
std::string UnexpectedArgument(absl::string_view program, absl::string_view arg, absl::string_view numeric_flag,
                               absl::string_view other_flag);

// The --help text: usage, then each flag (dashed) with its placeholder,
// default and wrapped help, then --help and --version.
std::string HelpText(const Program& program);

// "iotaxd (iotax) 0.9.0"; "iotax 0.9.0" for iotax itself and its subcommands.
std::string VersionLine(absl::string_view program);

// Words of `text` on lines of at most `width` columns, each indented by
// `indent` spaces and ended by '\n'.
std::string Wrap(absl::string_view text, size_t indent, size_t width = 80);

// "follow_children" -> "--follow-children".
std::string Dashed(absl::string_view name);

// --- value checks; `flag` is the dashed name without "--" ---

// From lo to hi, else "--F=D is out of range: pass a duration from LO to HI,
// e.g. --F=EXAMPLE". `hi_name` names a flag whose value hi is ("--history").
absl::Status CheckDuration(absl::string_view flag, absl::Duration d, absl::Duration lo, absl::Duration hi,
                           absl::string_view example, absl::string_view hi_name = "");

// From lo to hi, else "--F=V is not a whole number from LO to HI".
absl::Status CheckInt(absl::string_view flag, long long value, long long lo, long long hi);

// "5000, 20000" -> {5000, 20000}, each from lo to hi.
absl::StatusOr<std::vector<int>> ParseIntList(absl::string_view flag, absl::string_view text, int lo, int hi,
                                              absl::string_view example);

// --pid values, each a positive process ID or a comma list of them; the
// result keeps the first occurrence of each, in order.
absl::StatusOr<std::vector<int>> ParsePids(const std::vector<std::string>& values);

// "10%" or "10" -> 0.1, from lo_percent to hi_percent.
absl::StatusOr<double> ParsePercent(absl::string_view flag, absl::string_view text, double lo_percent,
                                    double hi_percent, absl::string_view example);

}  // namespace iotax::flags
