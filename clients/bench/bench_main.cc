// iotax-bench: runs the reference echo experiments (see kUsage) and writes
// results.json, CSV, plots and report.md.
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench_config.h"
#include "bench_matrix.h"
#include "bench_presets.h"
#include "bench_runner.h"
#include "bench_session.h"
#include "flags.h"
#include "machine_info.h"
#include "progress.h"
#include "results_store.h"

ABSL_FLAG(std::string, config, "",
          "matrix config file (examples: docs/experiments/*.conf; keys below); default: the built-in default matrix "
          "(docs/experiments/default.conf)");
ABSL_FLAG(bool, quick, false, "run the built-in quick matrix (docs/experiments/quick.conf, under 2 minutes)");
ABSL_FLAG(std::string, out, "", "output directory (default: bench-results/<UTC time>); must not hold results yet");
ABSL_FLAG(std::string, resume, "",
          "continue the run in this directory: finished runs are kept, the rest run; its stored config is used "
          "unless --config/--quick is given (which must then be the same)");
ABSL_FLAG(bool, force, false,
          "start over where results already exist or the config changed (the old results.json is moved aside)");
ABSL_FLAG(std::string, bin_dir, "",
          "where iotax-echo-server, iotaxd and iotax are (default: the directory of this program)");
ABSL_FLAG(bool, dry_run, false, "print the runs the matrix expands to and the time they should take, then exit");
ABSL_FLAG(bool, real_servers, false,
          "instead of the echo matrix, run the real-server study: Apache httpd prefork and event MPM and nginx from "
          "Debian (installed with apt-get when missing) serving a 4 KiB file to wrk, CPU per request of all their "
          "processes, and iotax's service verdict on each (docs/experiments/real-servers.md); with --out, "
          "--real-seconds, --real-conns, --real-repeats");
ABSL_FLAG(int, real_seconds, 10, "--real-servers: seconds per measured run (at least 5)");
ABSL_FLAG(int, real_conns, 64, "--real-servers: wrk connections");
ABSL_FLAG(int, real_repeats, 3, "--real-servers: repeats (the designs rotate within each)");
ABSL_FLAG(bool, stacks, false,
          "also take stacks in the proof's attached runs (iotaxd --stacks) and write, for each setup, the "
          "blocking vs io_uring differential (`iotax diff`, per request): DIR/stacks/SETUP/{offcpu,oncpu}-diff.{txt,svg}, "
          "from the profiles of the measured windows (DIR/stacks/runs/RUN/*.folded); needs agent = proof or all");
ABSL_FLAG(bool, report_only, false,
          "rewrite the CSV, plots and report.md of --resume DIR from its results, run nothing");

namespace {

constexpr char kUsage[] =
    "runs the reference echo experiments: the thread-blocking, epoll and io_uring echo servers under a\n"
    "matrix of connections, message sizes, loads, handler work and CPU placements; measures throughput,\n"
    "latency (and slowdown), CPU and context switches per request; attaches iotaxd to check its\n"
    "prediction of what io_uring saves against the measured difference.\n"
    "\n"
    "  iotax-bench [--config FILE | --quick] [--out DIR]      start a run\n"
    "  iotax-bench --resume DIR                                continue an interrupted run\n"
    "  iotax-bench --dry-run [--config FILE | --quick]         list the runs and the time they take\n"
    "  iotax-bench --real-servers [--out DIR]                  Apache prefork / event and nginx under wrk\n"
    "  iotax-bench --quick --stacks                            also where each server blocks and runs, and the\n"
    "                                                          blocking vs io_uring stack diff per setup\n"
    "\n"
    "Writes DIR/results.json (after every run), results.csv, runs.csv, proof.csv, plots/*.svg (gnuplot)\n"
    "and report.md (with --stacks, DIR/stacks/SETUP/{offcpu,oncpu}-diff.{txt,svg} too). Ctrl-C stops\n"
    "after the current run (twice: at once); --resume DIR continues.\n"
    "iotaxd needs root (or CAP_BPF + CAP_PERFMON); with agent = off the bench runs unprivileged.\n"
    "Exit codes: 0 done, 1 could not run, 2 bad flags or config, 3 done but some runs failed,\n"
    "130 interrupted (resume with --resume DIR).\n"
    "\n";

std::atomic<bool> g_stop{false};

// A dedicated thread takes SIGINT/SIGTERM (blocked everywhere else): the
// first asks the bench to stop after the current run, the second exits at
// once (the children die with it: PR_SET_PDEATHSIG).
void StartSignalThread() {
  std::thread([] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (!g_stop.exchange(true)) {
        std::fprintf(stderr,
                     "\niotax-bench: stopping after the current run (results so far are saved; Ctrl-C again to "
                     "stop now)\n");
      } else {
        std::fprintf(stderr, "\niotax-bench: stopped; continue with --resume\n");
        _exit(130);
      }
    }
  }).detach();
}

std::string SelfDir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

// The real-server study is a script (it drives Debian's servers, wrk and
// cgroups; clients/realservers/real_servers.sh), installed next to this program.
int RunRealServers(std::string out) {
  const int seconds = absl::GetFlag(FLAGS_real_seconds), conns = absl::GetFlag(FLAGS_real_conns),
            repeats = absl::GetFlag(FLAGS_real_repeats);
  if (seconds < 5 || conns < 1 || repeats < 1) {
    std::cerr << "iotax-bench: --real-seconds must be at least 5, --real-conns and --real-repeats at least 1\n";
    return 2;
  }
  if (geteuid() != 0) {
    std::cerr << "iotax-bench: --real-servers needs root (apt-get, cgroups, iotax report): run it with sudo\n";
    return 1;
  }
  const std::string bin_dir = absl::GetFlag(FLAGS_bin_dir).empty() ? SelfDir() : absl::GetFlag(FLAGS_bin_dir);
  const std::string script = absl::StrCat(bin_dir, "/real_servers.sh");
  if (access(script.c_str(), X_OK) != 0) {
    std::cerr << "iotax-bench: " << script << " is missing: rebuild (make build) so it is installed there\n";
    return 1;
  }
  if (out.empty()) {
    out = absl::StrCat("bench-results/real-", absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()));
  }
  const std::string s = std::to_string(seconds), c = std::to_string(conns), r = std::to_string(repeats);
  sigset_t none;  // main() blocked SIGINT/SIGTERM; the script handles them itself
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  execl(script.c_str(), script.c_str(), bin_dir.c_str(), out.c_str(), s.c_str(), c.c_str(), r.c_str(),
        static_cast<char*>(nullptr));
  std::cerr << "iotax-bench: running " << script << " failed: " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  const iotax::flags::Program program = {
      .name = "iotax-bench",
      .usage = absl::StrCat(kUsage, iotax::bench::kBenchConfigHelp),
      .flags = {{"config", "FILE"}, {"quick"}, {"out", "DIR"}, {"resume", "DIR"}, {"force"}, {"bin_dir", "DIR"},
                {"dry_run"}, {"report_only"}, {"stacks"}, {"real_servers"}, {"real_seconds", "N"}, {"real_conns", "N"},
                {"real_repeats", "N"}},
  };
  iotax::flags::ParseOrExit(program, argc, argv);
  const std::string config_path = absl::GetFlag(FLAGS_config);
  const bool quick = absl::GetFlag(FLAGS_quick);
  const std::string resume = absl::GetFlag(FLAGS_resume);
  std::string out = absl::GetFlag(FLAGS_out);
  if (absl::GetFlag(FLAGS_real_servers)) return RunRealServers(absl::GetFlag(FLAGS_out));
  if (!config_path.empty() && quick) {
    std::cerr << "iotax-bench: --config and --quick both choose the matrix: give one\n";
    return 2;
  }
  if (!resume.empty() && !out.empty()) {
    std::cerr << "iotax-bench: --resume DIR continues in DIR; drop --out\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_report_only) && resume.empty()) {
    std::cerr << "iotax-bench: --report-only rewrites the report of --resume DIR: give --resume\n";
    return 2;
  }

  // The matrix: a file, the quick preset, the stored config (resume), or the default.
  absl::StatusOr<iotax::bench::BenchConfig> config;
  std::string config_arg;
  if (!config_path.empty()) {
    config = iotax::bench::LoadBenchConfig(config_path);
    config_arg = absl::StrCat(" --config ", config_path);
  } else if (quick) {
    config = iotax::bench::ParseBenchConfig(iotax::bench::kQuickConfigText, "quick matrix (built in)");
    config_arg = " --quick";
  } else if (!resume.empty()) {
    auto text = iotax::bench::ResultsStore::StoredConfigText(resume);
    if (!text.ok()) {
      std::cerr << "iotax-bench: " << text.status().message() << "\n";
      return 1;
    }
    config = iotax::bench::ParseBenchConfig(*text, absl::StrCat(resume, "/results.json (stored config)"));
  } else {
    config = iotax::bench::ParseBenchConfig(iotax::bench::kDefaultConfigText, "default matrix (built in)");
  }
  if (!config.ok()) {
    std::cerr << "iotax-bench: " << config.status().message() << "\n";
    return 2;
  }

  const std::string bin_dir = absl::GetFlag(FLAGS_bin_dir).empty() ? SelfDir() : absl::GetFlag(FLAGS_bin_dir);
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  for (iotax::bench::Placement p : config->placements) {
    if (p == iotax::bench::Placement::kSeparate && cpus < 2) {
      std::cerr << "iotax-bench: placement separate needs at least 2 CPUs and this machine has " << cpus
                << ": use placements = shared\n";
      return 2;
    }
  }

  if (absl::GetFlag(FLAGS_dry_run)) {
    const auto slots = iotax::bench::ExpandMatrix(*config);
    double total = 0;
    for (const auto& s : slots) {
      total += iotax::bench::ExpectedRunSeconds(s.point, *config) + 0.1;
      std::cout << s.Key() << "\n";
    }
    std::cout << absl::StrFormat("%d runs, about %s (measured windows, warm-up and ~0.1 s set-up per run)\n",
                                 slots.size(), iotax::bench::FormatClock(total));
    return 0;
  }
  if (absl::GetFlag(FLAGS_stacks) && config->agent == iotax::bench::AgentMode::kOff) {
    std::cerr << "iotax-bench: --stacks takes stacks with iotaxd in the proof's attached runs, and the config says "
                 "agent = off: set agent = proof\n";
    return 2;
  }
  if (config->agent != iotax::bench::AgentMode::kOff && geteuid() != 0) {
    std::cerr << "iotax-bench: agent = " << iotax::bench::AgentModeName(config->agent)
              << " attaches iotaxd, which needs root (or CAP_BPF + CAP_PERFMON): run as root, or set agent = off in "
                 "the config\n";
    return 1;
  }

  iotax::bench::SessionOptions options;
  options.config = *config;
  options.resume = !resume.empty();
  options.force = absl::GetFlag(FLAGS_force);
  if (out.empty() && resume.empty()) {
    out = absl::StrCat("bench-results/", absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()));
  }
  options.out_dir = Absolute(resume.empty() ? out : resume);
  options.bin_dir = Absolute(bin_dir);
  options.stacks = absl::GetFlag(FLAGS_stacks);
  options.command = absl::StrCat("iotax-bench", config_arg, options.stacks ? " --stacks" : "", " --out ",
                                 resume.empty() ? out : resume);
  options.progress_out = stderr;
  options.progress_tty = isatty(STDERR_FILENO);
  options.stop = &g_stop;
  if (absl::GetFlag(FLAGS_report_only)) {
    options.stop = nullptr;
    static std::atomic<bool> stop_now{true};
    options.stop = &stop_now;
  }
  StartSignalThread();
  options.machine = iotax::bench::CollectMachineInfo(options.bin_dir);
  std::fprintf(stderr, "iotax-bench: %s; load average %.2f; results in %s\n",
               iotax::bench::MachineLine(options.machine).c_str(), iotax::bench::LoadAverage1(),
               options.out_dir.c_str());

  auto result = iotax::bench::RunSession(options);
  if (!result.ok()) {
    std::cerr << "iotax-bench: " << result.status().message() << "\n";
    return 1;
  }
  if (absl::GetFlag(FLAGS_report_only)) {
    std::fprintf(stderr, "iotax-bench: report rewritten: %s/report.md\n", options.out_dir.c_str());
    return 0;
  }
  if (result->interrupted) {
    std::fprintf(stderr, "iotax-bench: interrupted after %d of %d runs; continue with: iotax-bench --resume %s\n",
                 result->runs_already_done + result->runs_executed, result->runs_total, options.out_dir.c_str());
    return 130;
  }
  std::fprintf(stderr, "iotax-bench: done: %d runs (%d already there), %d failed; report: %s/report.md\n",
               result->runs_total, result->runs_already_done, result->runs_failed, options.out_dir.c_str());
  return result->runs_failed > 0 ? 3 : 0;
}
