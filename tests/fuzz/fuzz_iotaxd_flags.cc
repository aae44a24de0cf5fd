// libFuzzer: iotaxd's command line, the production code path of main()
// before anything touches the kernel: argv normalisation, the shared layer
// that sets Abseil's flags (servers/common/flags.h) and the validation into
// DaemonOptions. The input is argv after the program name, arguments
// separated by NUL bytes. Checked on every input: nothing crashes, and
// nothing exits (iotaxd promises one line and exit 2, decided by main());
// libFuzzer reports an exit as a finding. Flags are global: each parse
// starts from the defaults, and each run restores them (absl::FlagSaver).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/str_split.h"
#include "iotaxd_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args = {"iotaxd"};
  if (!text.empty()) {
    for (absl::string_view a : absl::StrSplit(text, '\0')) args.emplace_back(a);
  }
  if (args.size() > 64) return 0;

  // Normalisation keeps every value and only rewrites flag names.
  const std::vector<std::string> normalized = iotax::NormalizeArgs(args);
  if (normalized.empty() || normalized[0] != "iotaxd") std::abort();

  absl::FlagSaver restore_flags_after_this_run;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  iotax::RawDaemonFlags raw;
  if (iotax::ParseDaemonCommandLine(static_cast<int>(args.size()), argv.data(), &raw) != iotax::ParseOutcome::kRun) {
    return 0;
  }
  absl::StatusOr<iotax::DaemonOptions> options = iotax::ValidateDaemonFlags(raw);
  if (options.ok()) {
    // What validation lets through is what iotaxd will act on.
    if (!options->check && options->pids.empty() && options->comms.empty()) std::abort();
    for (int pid : options->pids) {
      if (pid <= 0) std::abort();
    }
    for (const std::string& comm : options->comms) {
      if (comm.empty() || comm.size() > iotax::kMaxCommLength) std::abort();
    }
    if (options->listen_port < 0 || options->listen_port > 65535 || options->listen_host.empty()) std::abort();
    if (options->tls_cert.empty() != options->tls_key.empty()) std::abort();
  } else if (text.find('\n') == std::string::npos &&
             options.status().message().find('\n') != absl::string_view::npos) {
    std::abort();  // errors are one line (unless the user typed a newline into a value)
  }
  return 0;
}
