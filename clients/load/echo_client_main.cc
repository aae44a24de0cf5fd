// iotax-echo-client: load generator for the iotax echo servers (or any
// byte-echo server). See kUsage.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "client_options.h"
#include "echo_run.h"
#include "flags.h"
#include "run_report.h"

namespace {
const iotax::client::ClientFlags kDefaults;
}  // namespace

ABSL_FLAG(std::string, model, kDefaults.model,
          "client model: blocking (a thread per connection, blocking sockets; a sender and a receiver thread "
          "in open loop or when a connection's outstanding bytes exceed 32 KiB) or uring (io_uring rings, see "
          "--rings)");
ABSL_FLAG(std::string, host, kDefaults.host, "IPv4 address of the echo server");
ABSL_FLAG(int, port, kDefaults.port, "TCP port of the echo server (required)");
ABSL_FLAG(int, conns, kDefaults.conns,
          "connections; all are opened and answer one verified round trip before timing starts");
ABSL_FLAG(std::string, msg_size, kDefaults.msg_size,
          "bytes per request (= per echo), 1 to 64MiB; K/KiB and M/MiB suffixes allowed");
ABSL_FLAG(absl::Duration, duration, kDefaults.duration, "length of the measured window, e.g. 10s");
ABSL_FLAG(absl::Duration, warmup, kDefaults.warmup,
          "load before the measured window, excluded from every result (0 for none)");
ABSL_FLAG(std::string, cpus, kDefaults.cpus,
          "CPUs to run the client on, e.g. 1 or 2-3 (empty: not pinned); with --model=uring ring i runs on "
          "the i-th CPU of the list, round robin");
ABSL_FLAG(int, depth, kDefaults.depth,
          "closed loop: requests kept outstanding on each connection (a new one is sent when one is answered)");
ABSL_FLAG(double, rate, kDefaults.rate,
          "open loop: requests/s over all connections with Poisson arrivals; latency counts from each "
          "request's intended send time, so a stalled server is not hidden (0: closed loop)");
ABSL_FLAG(int, rings, kDefaults.rings, "--model=uring: io_uring rings (one thread each) sharing the connections");
ABSL_FLAG(bool, busy_poll, kDefaults.busy_poll,
          "--model=uring: rings never sleep, they poll for completions and the clock; open-loop sends leave on "
          "time even where timer wake-ups are slow (VMs), at the cost of a full CPU per ring (client and machine "
          "CPU then include the polling)");
ABSL_FLAG(bool, realtime, kDefaults.realtime,
          "run every client thread at real-time priority (SCHED_FIFO 1; needs root or CAP_SYS_NICE) so other "
          "work on the client's CPUs (a tracer, a build, kernel workers) cannot hold a woken sender back for a "
          "scheduler slice; the client still sleeps between sends");
ABSL_FLAG(uint64_t, seed, kDefaults.seed, "seed of the open-loop schedules (same seed, same send times)");
ABSL_FLAG(absl::Duration, io_timeout, kDefaults.io_timeout,
          "a connection with requests outstanding and no echo for this long is an error; also bounds "
          "connecting, set-up and the drain after the run");
ABSL_FLAG(absl::Duration, max_schedule_lag, kDefaults.max_schedule_lag,
          "open loop: the run is invalid if the p99 of (actual - intended send time) exceeds this");
ABSL_FLAG(bool, json, kDefaults.json, "print one JSON object instead of the table");
ABSL_FLAG(bool, allow_invalid, kDefaults.allow_invalid,
          "exit 0 even if the run is invalid (accept-queue overflow, schedule lag); errors still exit 1");

namespace {

constexpr char kUsage[] =
    "load generator for byte-echo servers; verifies every echoed byte.\n"
    "\n"
    "  iotax-echo-client --port=PORT [--model=uring|blocking] [--conns=N] [--msg-size=BYTES]\n"
    "                    [--depth=N | --rate=REQ_PER_S] [--duration=10s] [--cpus=LIST] [--json]\n"
    "\n"
    "Closed loop (default): each connection keeps --depth requests outstanding.\n"
    "Open loop (--rate): Poisson arrivals at a fixed total rate; latency from the intended send time.\n"
    "Reports throughput, latency p50/p90/p99/p99.9/max, errors, the client's CPU and the machine's CPU.\n"
    "A run is INVALID (exit 1 unless --allow-invalid) if the kernel's listen-overflow counters grew,\n"
    "the client fell behind its open-loop schedule, or any error occurred.\n"
    "Exit codes: 0 valid run, 1 errors or invalid run or could not run, 2 bad flags.\n"
    "Flag names accept '-' or '_' (--msg-size = --msg_size).";

const iotax::flags::Program kProgram = {
    .name = "iotax-echo-client",
    .usage = kUsage,
    .flags = {{"model", "uring|blocking"}, {"host", "ADDRESS"}, {"port", "PORT"}, {"conns"}, {"msg_size", "BYTES"},
              {"duration"}, {"warmup"}, {"cpus", "LIST"}, {"depth"}, {"rate", "REQ_PER_S"}, {"rings"},
              {"busy_poll"}, {"realtime"}, {"seed"}, {"io_timeout"}, {"max_schedule_lag"}, {"json"}, {"allow_invalid"}},
};

}  // namespace

int main(int argc, char** argv) {
  iotax::flags::ParseOrExit(kProgram, argc, argv);
  iotax::client::ClientFlags f;
  f.model = absl::GetFlag(FLAGS_model);
  f.host = absl::GetFlag(FLAGS_host);
  f.port = absl::GetFlag(FLAGS_port);
  f.conns = absl::GetFlag(FLAGS_conns);
  f.msg_size = absl::GetFlag(FLAGS_msg_size);
  f.duration = absl::GetFlag(FLAGS_duration);
  f.warmup = absl::GetFlag(FLAGS_warmup);
  f.cpus = absl::GetFlag(FLAGS_cpus);
  f.depth = absl::GetFlag(FLAGS_depth);
  f.rate = absl::GetFlag(FLAGS_rate);
  f.rings = absl::GetFlag(FLAGS_rings);
  f.busy_poll = absl::GetFlag(FLAGS_busy_poll);
  f.realtime = absl::GetFlag(FLAGS_realtime);
  f.seed = absl::GetFlag(FLAGS_seed);
  f.io_timeout = absl::GetFlag(FLAGS_io_timeout);
  f.max_schedule_lag = absl::GetFlag(FLAGS_max_schedule_lag);
  f.json = absl::GetFlag(FLAGS_json);
  f.allow_invalid = absl::GetFlag(FLAGS_allow_invalid);

  auto options = iotax::client::ValidateClientFlags(f);
  if (!options.ok()) {
    std::cerr << "iotax-echo-client: " << options.status().message() << "\n";
    return 2;
  }
  auto report = iotax::client::RunEchoClient(*options);
  if (!report.ok()) {
    std::cerr << "iotax-echo-client: " << report.status().message() << "\n";
    return 1;
  }
  if (options->json) {
    std::cout << iotax::client::FormatJsonReport(*report) << std::endl;
    if (!report->valid) {
      std::cerr << "iotax-echo-client: the run is INVALID:";
      for (const std::string& why : report->invalid_reasons) std::cerr << "\n  - " << why;
      std::cerr << "\n";
    }
  } else {
    std::cout << iotax::client::FormatHumanReport(*report) << std::flush;
  }
  return iotax::client::ExitCodeFor(*report, options->allow_invalid);
}
