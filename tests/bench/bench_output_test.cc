// The pieces around the runs: the progress line, iotaxd's report and
// metrics as the bench reads them, HTTP responses, CSV quoting, the
// Markdown report's proof table, and machine facts.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "agent_session.h"
#include "bench_report.h"
#include "cpu_interrupts.h"
#include "fake_runs.h"
#include "http_get.h"
#include "machine_info.h"
#include "progress.h"

namespace iotax::bench {
namespace {

TEST(BenchOutput, ClockAndBar) {
  EXPECT_EQ(FormatClock(0), "0:00");
  EXPECT_EQ(FormatClock(65), "1:05");
  EXPECT_EQ(FormatClock(3723), "1:02:03");
  EXPECT_EQ(FormatClock(-3), "0:00");
  EXPECT_EQ(Bar(0, 4, 4), "[----]");
  EXPECT_EQ(Bar(2, 4, 4), "[##--]");
  EXPECT_EQ(Bar(4, 4, 4), "[####]");
}

TEST(BenchOutput, PlainProgressLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  {
    Progress p(/*total=*/3, /*done=*/1, /*remaining_s=*/4.0, f, /*tty=*/false);
    EXPECT_NEAR(p.SecondsLeft(), 4.0 + 2 * 0.1, 1e-6);  // expected windows + default set-up
    p.Started("blocking r1", 2.0);
    p.Finished("blocking r1", true, 3.0, 2.0, "10 req/s");
    // One run left: its 2 s plus the measured 1 s of set-up.
    EXPECT_NEAR(p.SecondsLeft(), 3.0, 1e-6);
    p.Stop();
  }
  std::rewind(f);
  char buf[512] = {0};
  ASSERT_NE(std::fgets(buf, sizeof(buf), f), nullptr);
  const std::string line(buf);
  EXPECT_NE(line.find("iotax-bench: 2/3 done blocking r1 (3.0 s): 10 req/s"), std::string::npos) << line;
  EXPECT_NE(line.find("about 0:03 left"), std::string::npos) << line;
  std::fclose(f);
}

constexpr char kReport[] = R"({
  "schema_version": 1, "pmu": {"up": false, "reason": "vm_without_pmu"},
  "calibration": {"used": false},
  "targets": [
    {"pid": 11, "cpu_seconds": 1.0, "window_seconds": 2.0, "verdict": {}},
    {"pid": 42, "comm": "iotax-echo-serv", "window_seconds": 3.0, "cpu_seconds": 0.9,
     "cpu": {"source": "kernel", "user_seconds": 0.14, "syscall_seconds": 0.62, "io_worker_seconds": 0.0,
             "untraced_seconds": 0.13, "traced_seconds": 0.77},
     "context_switches": {"voluntary": 27626, "involuntary": 8918},
     "syscalls": [{"class": "net_read", "calls": 27760}, {"class": "net_write", "calls": 27760},
                  {"class": "other", "calls": 3}],
     "verdict": {"level": "maybe", "confidence": "low", "overhead_share": 0.26,
                 "direct_cpu_seconds": 0.237, "indirect_cpu_seconds": null, "async_cost_cpu_seconds": 0.05,
                 "async_cost_source": "target_nonblocking_calls", "estimated_saving_share": 0.206,
                 "estimated_saving_share_ci": [0.02, 0.39], "estimated_saving_cpu_seconds": 0.186,
                 "runqueue_wait_p99_seconds": 0.00098, "blocked_io_calls": 27626,
                 "summary": "Blocking IO costs 26%.", "reasons": ["r1", "r2"]}}
  ]})";

TEST(BenchOutput, ReadsTheAgentsReportForItsTarget) {
  auto a = ParseAgentReport(kReport, 42);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_DOUBLE_EQ(a->window_s, 3.0);
  EXPECT_DOUBLE_EQ(a->cpu_s, 0.9);
  EXPECT_DOUBLE_EQ(*a->untraced_s, 0.13);
  EXPECT_EQ(a->syscalls, 27760u * 2 + 3);
  EXPECT_EQ(a->calls_by_class["net_read"], 27760u);
  EXPECT_EQ(a->voluntary, 27626u);
  EXPECT_EQ(a->level, "maybe");
  EXPECT_DOUBLE_EQ(*a->saving_share, 0.206);
  EXPECT_DOUBLE_EQ(*a->saving_share_lo, 0.02);
  EXPECT_FALSE(a->indirect_s.has_value());  // null stays null
  EXPECT_EQ(a->reasons.size(), 2u);
  EXPECT_FALSE(a->pmu_up);
  EXPECT_FALSE(ParseAgentReport(kReport, 7).ok());
  EXPECT_FALSE(ParseAgentReport("not json", 42).ok());
}

TEST(BenchOutput, ReadsTheVerdictGaugesOfItsTarget) {
  AgentEstimate a;
  ParseAgentMetrics(
      "# HELP iotax_async_saving_ratio ...\n"
      "iotax_async_saving_ratio{comm=\"x\",pid=\"7\"} 0.9\n"
      "iotax_async_saving_ratio{comm=\"iotax-echo-serv\",pid=\"42\"} 0.206\n"
      "iotax_async_saving_ratio_lower{comm=\"iotax-echo-serv\",pid=\"42\"} 0.02\n"
      "iotax_blocking_overhead_ratio{comm=\"iotax-echo-serv\",pid=\"42\"} 0.26\n"
      "iotax_verdict_level{comm=\"iotax-echo-serv\",pid=\"42\"} 2\n",
      42, &a);
  EXPECT_DOUBLE_EQ(*a.metric_saving_ratio, 0.206);
  EXPECT_DOUBLE_EQ(*a.metric_overhead_ratio, 0.26);
  EXPECT_DOUBLE_EQ(*a.metric_verdict_level, 2);
}

TEST(BenchOutput, HttpResponses) {
  auto r = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"a\":1}");
  EXPECT_EQ(ParseHttpResponse("HTTP/1.0 404 Not Found\r\n\r\n")->status, 404);
  EXPECT_FALSE(ParseHttpResponse("garbage").ok());
}

TEST(BenchOutput, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(BenchOutput, PointsCsvHasAHeaderAndARowPerPoint) {
  const Point p{Phase::kClosed, "uring", testing::MakeSetup(), 0, false};
  PointSummary s;
  s.point = p;
  s.runs_ok = 3;
  s.verdict = "maybe (low), odd";
  const std::string csv = PointsCsv({s, s});
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, 3u);
  EXPECT_EQ(csv.rfind("point_id,phase,server", 0), 0u);
  EXPECT_NE(csv.find(p.Id() + ",closed,uring,uring,100,512"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"maybe (low), odd\""), std::string::npos);
}

TEST(BenchOutput, InterProcessorInterruptsSumOverCpus) {
  auto c = ParseInterrupts(
      "           CPU0       CPU1       \n"
      "  0:         33          0   IO-APIC   2-edge      timer\n"
      "LOC:    6692489   18793056   Local timer interrupts\n"
      "RES:    8984356    3074868   Rescheduling interrupts\n"
      "CAL:   14976444   13919532   Function call interrupts\n"
      "TLB:      61821      55752   TLB shootdowns\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rescheduling, 8984356u + 3074868u);
  EXPECT_EQ(c->function_call, 14976444u + 13919532u);
  EXPECT_EQ(c->total(), c->rescheduling + c->function_call);
  EXPECT_FALSE(ParseInterrupts("LOC: 1 2 Local timer interrupts\n").ok());
}

TEST(BenchOutput, CpuModelAndHypervisor) {
  bool vm = false;
  EXPECT_EQ(ParseCpuModel("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu hypervisor sse\n", &vm), "AMD EPYC");
  EXPECT_TRUE(vm);
  EXPECT_EQ(ParseCpuModel("flags : fpu\n", &vm), "unknown CPU");
  EXPECT_FALSE(vm);
  EXPECT_EQ(MachineLine({{"kernel", "Linux 6.1"},
                         {"cpu_model", "X"},
                         {"online_cpus", 2},
                         {"virtual_machine", true},
                         {"memory_bytes", uint64_t{1} << 31},
                         {"hardware_pmu", false}}),
            "Linux 6.1, X (2 CPUs, virtual machine), 2 GiB, no hardware PMU");
}

}  // namespace
}  // namespace iotax::bench
