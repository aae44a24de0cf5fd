#include "flags.h"

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "version.h"

namespace iotax::flags {
namespace {

bool IsFlagArg(absl::string_view arg) { return arg.size() > 1 && arg[0] == '-' && arg != "--"; }

// "--name=value" / "-name": the name (dashes as underscores) and the value.
struct Token {
  std::string name;
  bool has_value = false;
  std::string value;
};

Token Split(absl::string_view arg) {
  absl::ConsumePrefix(&arg, "-");
  absl::ConsumePrefix(&arg, "-");
  const size_t eq = arg.find('=');
  Token t;
  t.name = absl::StrReplaceAll(arg.substr(0, eq), {{"-", "_"}});
  if (eq != absl::string_view::npos) {
    t.has_value = true;
    t.value = std::string(arg.substr(eq + 1));
  }
  return t;
}

const FlagDoc* Doc(const Program& program, absl::string_view name) {
  for (const FlagDoc& d : program.flags) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// The Abseil flag `name` when it is one of `program`'s own.
absl::CommandLineFlag* Own(const Program& program, absl::string_view name) {
  if (Doc(program, name) == nullptr) return nullptr;
  return absl::FindCommandLineFlag(absl::StrCat(program.prefix, name));
}

bool IsList(const absl::CommandLineFlag& flag) { return flag.IsOfType<std::vector<std::string>>(); }

bool IsInteger(const absl::CommandLineFlag& flag) {
  return flag.IsOfType<int>() || flag.IsOfType<int64_t>() || flag.IsOfType<uint64_t>() ||
         flag.IsOfType<unsigned>() || flag.IsOfType<long long>();
}

std::string Placeholder(const Program& program, const absl::CommandLineFlag& flag, absl::string_view name) {
  if (const FlagDoc* d = Doc(program, name); d != nullptr && d->placeholder != nullptr) return d->placeholder;
  if (flag.IsOfType<absl::Duration>()) return "DURATION";
  if (IsInteger(flag)) return "N";
  if (flag.IsOfType<double>()) return "NUMBER";
  if (IsList(flag)) return "LIST";
  return "VALUE";
}

// What to say when Abseil does not take `value` for `flag`.
std::string BadValue(const absl::CommandLineFlag& flag, absl::string_view name, absl::string_view value,
                     absl::string_view abseil_error) {
  const std::string f = Dashed(name);
  std::string example = flag.DefaultValue();
  if (flag.IsOfType<bool>()) {
    return absl::StrCat(f, "=", value, " is not a boolean: pass ", f, " alone (or =true/=false)");
  }
  if (flag.IsOfType<absl::Duration>()) {
    if (example == "0") example = "1s";
    return absl::StrCat(f, "=", value, " is not a duration: pass e.g. ", f, "=", example);
  }
  if (IsInteger(flag)) return absl::StrCat(f, "=", value, " is not a whole number: pass e.g. ", f, "=", example);
  if (flag.IsOfType<double>()) return absl::StrCat(f, "=", value, " is not a number: pass e.g. ", f, "=", example);
  return absl::StrCat(f, "=", value, ": ", abseil_error);
}

std::string Unknown(const Program& program, absl::string_view name) {
  std::string owner;
  for (const Program* sibling : program.siblings) {
    absl::string_view base = name;
    if (Doc(*sibling, name) != nullptr || (absl::ConsumePrefix(&base, "no") && Doc(*sibling, base) != nullptr)) {
      owner = sibling->name.substr(sibling->name.rfind(' ') + 1);
      break;
    }
  }
  return absl::StrCat("unknown flag ", Dashed(name), owner.empty() ? "" : absl::StrCat(" (it belongs to ", owner, ")"),
                      ": see ", program.name, " --help");
}

Outcome Print(std::string text) {
  Outcome o;
  o.text = std::move(text);
  return o;
}

}  // namespace

std::string Dashed(absl::string_view name) { return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}})); }

std::vector<std::string> Normalize(const Program& program, const std::vector<std::string>& args) {
  std::vector<std::string> out;
  if (args.empty()) return out;
  out.push_back(args[0]);
  std::vector<std::string> list_order;
  std::map<std::string, std::vector<std::string>> lists;
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg == "-h") {
      out.push_back("--help");
      continue;
    }
    if (!IsFlagArg(arg)) {
      out.push_back(arg);
      continue;
    }
    Token t = Split(arg);
    const absl::CommandLineFlag* flag = Own(program, t.name);
    if (flag != nullptr && IsList(*flag) && !(t.has_value && t.value.empty())) {
      if (!t.has_value) {
        if (i + 1 >= args.size()) {
          out.push_back("--" + t.name);  // no value: Parse says so
          continue;
        }
        t.value = args[++i];
      }
      if (!lists.count(t.name)) list_order.push_back(t.name);
      lists[t.name].push_back(t.value);
      continue;
    }
    out.push_back(absl::StrCat("--", t.name, t.has_value ? "=" : "", t.value));
  }
  for (const std::string& name : list_order) {
    out.push_back(absl::StrCat("--", name, "=", absl::StrJoin(lists[name], ",")));
  }
  for (; i < args.size(); ++i) out.push_back(args[i]);
  return out;
}

Outcome Parse(const Program& program, const std::vector<std::string>& args) {
  // Flags are global: each parse starts from the defaults (absl::FlagSaver
  // would do it too, but logs every restored flag on stderr).
  for (const FlagDoc& doc : program.flags) {
    if (absl::CommandLineFlag* flag = absl::FindCommandLineFlag(absl::StrCat(program.prefix, doc.name))) {
      std::string unused;
      flag->ParseFrom(flag->DefaultValue(), &unused);
    }
  }
  const std::vector<std::string> norm = Normalize(program, args);
  Outcome result;
  std::set<std::string> seen;
  for (size_t i = 1; i < norm.size(); ++i) {
    const std::string& arg = norm[i];
    if (arg == "--") {
      result.positional.insert(result.positional.end(), norm.begin() + static_cast<long>(i) + 1, norm.end());
      break;
    }
    if (!IsFlagArg(arg)) {
      result.positional.push_back(arg);
      continue;
    }
    Token t = Split(arg);
    if (t.name == "help") return Print(HelpText(program));
    if (t.name == "version") return Print(VersionLine(program.name) + "\n");
    absl::CommandLineFlag* flag = Own(program, t.name);
    std::string value;
    if (flag == nullptr) {
      absl::string_view base = t.name;
      absl::CommandLineFlag* positive = absl::ConsumePrefix(&base, "no") ? Own(program, base) : nullptr;
      if (positive == nullptr || !positive->IsOfType<bool>()) return Error(program.name, Unknown(program, t.name));
      if (t.has_value) {
        return Error(program.name, absl::StrCat(Dashed(t.name), " takes no value: pass ", Dashed(base), "=false"));
      }
      flag = positive;
      t.name = std::string(base);
      value = "false";
    } else if (flag->IsOfType<bool>()) {
      value = t.has_value ? t.value : "true";
    } else if (t.has_value) {
      if (t.value.empty() && IsList(*flag)) {
        return Error(program.name, absl::StrCat(Dashed(t.name), "= is empty: pass ", Dashed(t.name), "=",
                                                Placeholder(program, *flag, t.name)));
      }
      value = t.value;
    } else if (i + 1 < norm.size() && !absl::StartsWith(norm[i + 1], "--")) {
      value = norm[++i];
    } else {
      return Error(program.name, absl::StrCat(Dashed(t.name), " needs a value: pass ", Dashed(t.name), "=",
                                              Placeholder(program, *flag, t.name)));
    }
    if (!seen.insert(t.name).second) {
      return Error(program.name, absl::StrCat(Dashed(t.name), " is given twice: pass it once"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) return Error(program.name, BadValue(*flag, t.name, value, error));
  }
  result.given = std::move(seen);
  result.run = true;
  return result;
}

void ParseOrExit(const Program& program, int argc, char** argv) {
  Outcome o = Parse(program, std::vector<std::string>(argv, argv + argc));
  if (o.run && !o.positional.empty()) {
    o = Error(program.name, UnexpectedArgument(program.name, o.positional.front(), "", ""));
  }
  if (o.run) return;
  (o.to_stderr ? std::cerr : std::cout) << o.text << std::flush;
  std::exit(o.exit_code);
}

Outcome Error(absl::string_view program, absl::string_view message) {
  Outcome o;
  o.text = absl::StrCat(program, ": ", message, "\n");
  o.to_stderr = true;
  o.exit_code = 2;
  return o;
}

std::string UnexpectedArgument(absl::string_view program, absl::string_view arg, absl::string_view numeric_flag,
                               absl::string_view other_flag) {
  long long n = 0;
  const absl::string_view flag = absl::SimpleAtoi(arg, &n) ? numeric_flag : other_flag;
  const std::string fix = flag.empty() ? absl::StrCat("every setting is a --flag; see ", program, " --help")
                                       : absl::StrCat("pass it as --", flag, "=", arg);
  return absl::StrCat("unexpected argument '", arg, "': ", fix);
}

std::string HelpText(const Program& program) {
  std::string text = program.usage;
  if (!absl::EndsWith(text, "\n")) text += "\n";
  if (!absl::EndsWith(text, "\n\n")) text += "\n";
  text += "Flags:\n";
  for (const FlagDoc& doc : program.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(absl::StrCat(program.prefix, doc.name));
    if (flag == nullptr) continue;
    const std::string def = flag->DefaultValue();
    absl::StrAppend(&text, "  ", Dashed(doc.name));
    if (flag->IsOfType<bool>()) {
      if (def == "true") absl::StrAppend(&text, "  (default: true)");
    } else {
      absl::StrAppend(&text, "=", Placeholder(program, *flag, doc.name),
                      def.empty() ? "" : absl::StrCat("  (default: ", def, ")"));
    }
    absl::StrAppend(&text, "\n", Wrap(flag->Help(), 6));
  }
  absl::StrAppend(&text, "  --help\n      Show this text.\n  --version\n      Print the version.\n");
  return text;
}

std::string VersionLine(absl::string_view program) {
  const absl::string_view binary = program.substr(0, program.find(' '));
  return binary == "iotax" ? absl::StrCat("iotax ", kIotaxVersion)
                           : absl::StrCat(binary, " (iotax) ", kIotaxVersion);
}

std::string Wrap(absl::string_view text, size_t indent, size_t width) {
  std::string out;
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > width) {
      out += "\n";
      column = 0;
    }
    if (column == 0) {
      out.append(indent, ' ');
      column = indent;
    } else {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
  }
  return out + "\n";
}

absl::Status CheckDuration(absl::string_view flag, absl::Duration d, absl::Duration lo, absl::Duration hi,
                           absl::string_view example, absl::string_view hi_name) {
  if (d >= lo && d <= hi) return absl::OkStatus();
  const std::string upper = hi_name.empty() ? absl::FormatDuration(hi)
                                            : absl::StrCat(hi_name, " (", absl::FormatDuration(hi), ")");
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", absl::FormatDuration(d),
                                                 " is out of range: pass a duration from ", absl::FormatDuration(lo),
                                                 " to ", upper, ", e.g. --", flag, "=", example));
}

absl::Status CheckInt(absl::string_view flag, long long value, long long lo, long long hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", value, " is not a whole number from ", lo, " to ", hi));
}

absl::StatusOr<std::vector<int>> ParseIntList(absl::string_view flag, absl::string_view text, int lo, int hi,
                                              absl::string_view example) {
  std::vector<int> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int v = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(item), &v) || v < lo || v > hi) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, ": '", item,
                                                     "' is not a whole number from ", lo, " to ", hi, ": pass e.g. --",
                                                     flag, "=", example));
    }
    out.push_back(v);
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty: pass e.g. --", flag, "=", example));
  return out;
}

absl::StatusOr<std::vector<int>> ParsePids(const std::vector<std::string>& values) {
  std::vector<int> pids;
  std::set<int> seen;
  for (const std::string& value : values) {
    for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      item = absl::StripAsciiWhitespace(item);
      int pid = 0;
      if (!absl::SimpleAtoi(item, &pid) || pid <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--pid=", item, " is not a process ID: pass a positive number such as --pid=1234"));
      }
      if (seen.insert(pid).second) pids.push_back(pid);
    }
  }
  return pids;
}

absl::StatusOr<double> ParsePercent(absl::string_view flag, absl::string_view text, double lo_percent,
                                    double hi_percent, absl::string_view example) {
  absl::string_view digits = text;
  absl::ConsumeSuffix(&digits, "%");
  double percent = 0;
  if (!absl::SimpleAtod(digits, &percent) || !(percent >= lo_percent && percent <= hi_percent)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, " is not a share from ", lo_percent, "% to ",
                                                   hi_percent, "%: pass e.g. --", flag, "=", example));
  }
  return percent / 100.0;
}

}  // namespace iotax::flags
