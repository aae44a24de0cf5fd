// The calibration file: per-machine entries, atomic replacement, clear
// notes when it is missing, for another machine, corrupt, or not trusted
// (calibration_check.h), including files written before the machine's load
// was recorded.
#include "calibration_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"

namespace iotax {
namespace {

class CalibrationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iotax-cal-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

Calibration Sample(const std::string& key, double cost) {
  Calibration c;
  c.machine_key = key;
  c.created_at = "2025-02-03T04:05:06Z";
  c.connections = 100;
  c.message_size = 512;
  c.seconds_per_run = 3;
  c.load = MachineLoad{0.75, 2, 1.0};
  CalibrationPoint hi, lo;
  hi.offered_rate = hi.requests_per_second = hi.blocked_io_calls_per_second = 50000;
  hi.async_cost_per_op_seconds = cost;
  hi.blocking_cpu_per_request = 11e-6;
  hi.clean = true;
  lo.offered_rate = lo.requests_per_second = lo.blocked_io_calls_per_second = 5000;
  lo.async_cost_per_op_seconds = 2 * cost;
  lo.async_cost_per_op_se_seconds = 1e-7;
  lo.blocking_cpu_per_request = 20e-6;
  lo.clean = true;
  c.points = {hi, lo};  // out of order on purpose
  return c;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(CalibrationStoreTest, RoundTripKeepsEveryFieldAndSortsByRate) {
  const std::string path = dir_ + "/sub/dir/calibration.json";  // directories are created
  ASSERT_TRUE(SaveCalibration(path, Sample("m1", 1e-6)).ok());
  const CalibrationLookup got = LoadCalibration(path, "m1");
  ASSERT_TRUE(got.calibration) << got.note;
  const Calibration& c = *got.calibration;
  EXPECT_EQ(c.created_at, "2025-02-03T04:05:06Z");
  EXPECT_EQ(c.connections, 100);
  EXPECT_EQ(c.path, path);
  ASSERT_EQ(c.points.size(), 2u);
  EXPECT_EQ(c.points[0].blocked_io_calls_per_second, 5000);
  EXPECT_DOUBLE_EQ(c.points[0].async_cost_per_op_seconds, 2e-6);
  EXPECT_DOUBLE_EQ(c.points[0].async_cost_per_op_se_seconds, 1e-7);
  EXPECT_DOUBLE_EQ(c.points[1].blocking_cpu_per_request, 11e-6);
  EXPECT_TRUE(c.points[0].clean && c.points[1].clean);
  ASSERT_TRUE(c.load);
  EXPECT_DOUBLE_EQ(c.load->load_average_1m, 0.75);
  EXPECT_EQ(c.load->online_cpus, 2);
  EXPECT_EQ(c.load->runnable_now, 1.0);
  EXPECT_TRUE(got.rejected.empty()) << got.rejected;
  EXPECT_TRUE(absl::StrContains(got.note, path));
  const std::string text = ReadAll(path);
  EXPECT_TRUE(absl::StrContains(text, "\"schema_version\": 2")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\"machine_load\"")) << text;
}

// Decision: an entry without the machine's load and the per-row clean flag
// (iotax before schema 2) is rejected, not accepted with a warning. That
// version kept rows whose runs never ran clean (a loaded machine's 26 µs per
// call), and nothing in the file tells those rows apart; re-running
// `iotax calibrate` takes about a minute. Other machines' entries are kept.
TEST_F(CalibrationStoreTest, AFileFromBeforeTheLoadWasRecordedIsRejectedWithWhatToDo) {
  const std::string path = dir_ + "/calibration.json";
  std::ofstream(path) << R"({"schema_version": 1, "machines": [{
      "machine_key": "m1", "created_at": "2025-01-01T00:00:00Z", "connections": 100, "message_size": 512,
      "seconds_per_run": 3, "pmu_up": false,
      "points": [{"offered_rate": 60000, "requests_per_second": 60000, "blocked_io_calls_per_second": 30000,
                  "blocking_cpu_per_request_seconds": 1.1e-05, "uring_cpu_per_request_seconds": 2.4e-05,
                  "direct_per_request_seconds": 3e-06, "indirect_per_request_seconds": 0,
                  "async_cost_per_call_seconds": 2.63e-05, "async_cost_per_call_se_seconds": 1e-06}]}]})";
  const CalibrationLookup old = LoadCalibration(path, "m1");
  EXPECT_FALSE(old.calibration);
  EXPECT_TRUE(absl::StrContains(old.rejected, "older iotax")) << old.rejected;
  for (const char* part : {"calibration.json: the calibration for this machine (2025-01-01T00:00:00Z) is not used",
                           "older iotax", "re-run `iotax calibrate` on a quiet machine"}) {
    EXPECT_TRUE(absl::StrContains(old.note, part)) << part << "\n" << old.note;
  }
  EXPECT_FALSE(absl::StrContains(old.note, "\n"));
  // Calibrating again replaces it.
  ASSERT_TRUE(SaveCalibration(path, Sample("m1", 1e-6)).ok());
  EXPECT_TRUE(LoadCalibration(path, "m1").calibration);
}

TEST_F(CalibrationStoreTest, AnUntrustedEntryIsNotUsedAndOthersStillAre) {
  const std::string path = dir_ + "/calibration.json";
  Calibration busy = Sample("m1", 1e-6);
  busy.points[0].clean = false;
  ASSERT_TRUE(SaveCalibration(path, busy).ok());
  ASSERT_TRUE(SaveCalibration(path, Sample("m2", 1e-6)).ok());
  const CalibrationLookup rejected = LoadCalibration(path, "m1");
  EXPECT_FALSE(rejected.calibration);
  EXPECT_TRUE(absl::StrContains(rejected.rejected, "was not clean")) << rejected.rejected;
  EXPECT_TRUE(absl::StrContains(rejected.note, "re-run `iotax calibrate`")) << rejected.note;
  const CalibrationLookup other = LoadCalibration(path, "m2");
  EXPECT_TRUE(other.calibration) << other.note;
  EXPECT_TRUE(other.rejected.empty());
}

TEST_F(CalibrationStoreTest, EntriesOfOtherMachinesAreKeptAndNotUsed) {
  const std::string path = dir_ + "/calibration.json";
  ASSERT_TRUE(SaveCalibration(path, Sample("m1", 1e-6)).ok());
  ASSERT_TRUE(SaveCalibration(path, Sample("m2", 3e-6)).ok());
  ASSERT_TRUE(SaveCalibration(path, Sample("m1", 5e-6)).ok());  // replaces m1
  EXPECT_DOUBLE_EQ(LoadCalibration(path, "m1").calibration->points[1].async_cost_per_op_seconds, 5e-6);
  EXPECT_DOUBLE_EQ(LoadCalibration(path, "m2").calibration->points[1].async_cost_per_op_seconds, 3e-6);
  const CalibrationLookup other = LoadCalibration(path, "m3");
  EXPECT_FALSE(other.calibration);
  EXPECT_TRUE(absl::StrContains(other.note, "other machines")) << other.note;
  EXPECT_TRUE(absl::StrContains(other.note, "iotax calibrate")) << other.note;
}

TEST_F(CalibrationStoreTest, MissingAndCorruptFilesSayWhatToDo) {
  const CalibrationLookup missing = LoadCalibration(dir_ + "/nope.json", "m1");
  EXPECT_FALSE(missing.calibration);
  EXPECT_TRUE(absl::StrContains(missing.note, "run `iotax calibrate`")) << missing.note;
  const std::string corrupt = dir_ + "/bad.json";
  std::ofstream(corrupt) << "{ not json";
  const CalibrationLookup bad = LoadCalibration(corrupt, "m1");
  EXPECT_FALSE(bad.calibration);
  EXPECT_TRUE(absl::StrContains(bad.note, "not an iotax calibration file")) << bad.note;
  // Saving over a corrupt file rewrites it.
  ASSERT_TRUE(SaveCalibration(corrupt, Sample("m1", 1e-6)).ok());
  EXPECT_TRUE(LoadCalibration(corrupt, "m1").calibration);
}

TEST_F(CalibrationStoreTest, AnUnwritablePlaceIsAClearError) {
  const std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  const absl::Status s = SaveCalibration(file + "/calibration.json", Sample("m1", 1e-6));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "--output")) << s;
}

TEST(CalibrationPath, XdgCacheHomeWins) {
  const char* old = getenv("XDG_CACHE_HOME");
  const std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(DefaultCalibrationPath(), "/tmp/xdg-test/iotax/calibration.json");
  if (old) {
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
    EXPECT_TRUE(absl::EndsWith(DefaultCalibrationPath(), "iotax/calibration.json"));
  }
}

TEST(MachineIdentity, KeyNamesKernelCpuAndCores) {
  const MachineIdentity m = CurrentMachine();
  EXPECT_FALSE(m.kernel.empty());
  EXPECT_GT(m.cores, 0);
  EXPECT_TRUE(absl::StrContains(m.Key(), m.kernel));
  EXPECT_TRUE(absl::EndsWith(m.Key(), " cores"));
}

TEST(CalibrationJson, RejectsEntriesWithoutTheKeyFields) {
  Calibration c;
  EXPECT_FALSE(CalibrationFromJsonText("{\"points\": []}", &c).ok());
  EXPECT_FALSE(CalibrationFromJsonText("nonsense", &c).ok());
  ASSERT_TRUE(CalibrationFromJsonText(CalibrationToJsonText(Sample("k", 1e-6)), &c).ok());
  EXPECT_EQ(c.machine_key, "k");
  EXPECT_TRUE(c.load);
  // Without machine_load the entry still parses (the check rejects it).
  Calibration old = Sample("k", 1e-6);
  old.load.reset();
  ASSERT_TRUE(CalibrationFromJsonText(CalibrationToJsonText(old), &c).ok());
  EXPECT_FALSE(c.load);
  EXPECT_FALSE(CalibrationFromJsonText(R"({"machine_key": "k", "points": [], "machine_load": {"online_cpus": 2}})", &c)
                   .ok());
}

}  // namespace
}  // namespace iotax
