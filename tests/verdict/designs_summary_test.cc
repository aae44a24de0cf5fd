// clients/foreign/designs_summary.py's figures that the closing notes quote
// beside issue 14's targets: per setup, and the ceiling the actual saving's
// own noise puts on the row-level ones. Worked by hand on a small CSV.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace iotax {
namespace {

std::string RunSummary(const std::string& csv_text) {
  char path[] = "/tmp/iotax-designs-summary-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << csv_text;
  const std::string command =
      absl::StrCat("python3 ", IOTAX_SOURCE_DIR, "/clients/foreign/designs_summary.py ", path, " 2>&1");
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
  }
  std::remove(path);
  return out;
}

TEST(DesignsSummary, PerSetupFiguresAndTheCeilingOfTheActualsOwnNoise) {
  // blocking_cpu_us 10 everywhere: an error of 0.1 share is 1 µs.
  const std::string header =
      "design,load,conns,msg_size,repeat,blocking_cpu_us,actual_saving_share,estimated_saving_share,"
      "estimate_lo,estimate_hi,level,actual_level\n";
  const std::string rows =
      // A: actuals 12%, 20%, 32%; estimates 20%, "maybe".
      "tpc,0,10,512,1,10,0.12,0.20,0,0.4,maybe,maybe\n"
      "tpc,0,10,512,2,10,0.20,0.20,0,0.4,maybe,likely_worth_it\n"
      "tpc,0,10,512,3,10,0.32,0.20,0,0.4,maybe,likely_worth_it\n"
      // B: actuals 2% and 3%; estimates 10%, "maybe".
      "vec,0,10,512,1,10,0.02,0.10,0,0.2,maybe,not_worth_it\n"
      "vec,0,10,512,2,10,0.03,0.10,0,0.2,maybe,not_worth_it\n"
      // C: one repeat, estimate exact.
      "pool,0,10,512,1,10,0.40,0.40,0.3,0.5,likely_worth_it,likely_worth_it\n";
  const std::string out = RunSummary(header + rows);
  // Per setup: A's median estimate 20% against the mean 21.3% (0.13 µs, in
  // bound) at "maybe" against "likely"; B's 10% against 2.5% (0.75 µs > 0.5,
  // out) at "maybe" against "not worth it"; C exact, same level.
  EXPECT_NE(out.find("per setup (median estimate against the mean actual): in bound 2/3, level 1/3"), std::string::npos)
      << out;
  // Leave one out, C has no other repeat. A: 26% for 12% (1.4 µs, out;
  // "likely" for "maybe"), 22% for 20% (in; same level), 16% for 32% (1.6 µs
  // > 0.8, out; both "likely"). B: 3% for 2% and 2% for 3% (0.1 µs, in; both
  // "not worth it").
  EXPECT_NE(out.find("the mean of the setup's other repeats as the estimate would be in bound 3/5 and at the "
                     "actual's level 4/5"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace iotax
