#include "calibration_store.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "calibration_check.h"
#include "nlohmann/json.hpp"

namespace iotax {
namespace {

using nlohmann::json;

json PointToJson(const CalibrationPoint& p) {
  return json{{"offered_rate", p.offered_rate},
              {"requests_per_second", p.requests_per_second},
              {"blocked_io_calls_per_second", p.blocked_io_calls_per_second},
              {"blocking_cpu_per_request_seconds", p.blocking_cpu_per_request},
              {"uring_cpu_per_request_seconds", p.uring_cpu_per_request},
              {"direct_per_request_seconds", p.direct_per_request},
              {"indirect_per_request_seconds", p.indirect_per_request},
              {"async_cost_per_call_seconds", p.async_cost_per_op_seconds},
              {"async_cost_per_call_se_seconds", p.async_cost_per_op_se_seconds},
              {"clean", p.clean}};
}

json EntryToJson(const Calibration& c) {
  json points = json::array();
  for (const CalibrationPoint& p : c.points) points.push_back(PointToJson(p));
  json entry{{"machine_key", c.machine_key}, {"created_at", c.created_at},
             {"connections", c.connections}, {"message_size", c.message_size},
             {"seconds_per_run", c.seconds_per_run}, {"pmu_up", c.pmu_up},
             {"points", points}};
  if (c.load) {
    entry["machine_load"] = json{{"load_average_1m", c.load->load_average_1m}, {"online_cpus", c.load->online_cpus}};
    if (c.load->runnable_now) entry["machine_load"]["runnable_now"] = *c.load->runnable_now;
  }
  return entry;
}

absl::Status EntryFromJson(const json& j, Calibration* c) {
  try {
    c->machine_key = j.at("machine_key").get<std::string>();
    c->created_at = j.value("created_at", "");
    c->connections = j.value("connections", 0);
    c->message_size = j.value("message_size", 0);
    c->seconds_per_run = j.value("seconds_per_run", 0.0);
    c->pmu_up = j.value("pmu_up", false);
    c->load.reset();
    if (j.contains("machine_load")) {
      const json& m = j["machine_load"];
      c->load = MachineLoad{m.at("load_average_1m").get<double>(), m.at("online_cpus").get<int>()};
      if (m.contains("runnable_now")) c->load->runnable_now = m.at("runnable_now").get<double>();
    }
    c->points.clear();
    for (const json& p : j.at("points")) {
      CalibrationPoint q;
      q.offered_rate = p.value("offered_rate", 0.0);
      q.requests_per_second = p.value("requests_per_second", 0.0);
      q.blocked_io_calls_per_second = p.at("blocked_io_calls_per_second").get<double>();
      q.blocking_cpu_per_request = p.value("blocking_cpu_per_request_seconds", 0.0);
      q.uring_cpu_per_request = p.value("uring_cpu_per_request_seconds", 0.0);
      q.direct_per_request = p.value("direct_per_request_seconds", 0.0);
      q.indirect_per_request = p.value("indirect_per_request_seconds", 0.0);
      q.async_cost_per_op_seconds = p.at("async_cost_per_call_seconds").get<double>();
      q.async_cost_per_op_se_seconds = p.value("async_cost_per_call_se_seconds", 0.0);
      q.clean = p.value("clean", false);
      c->points.push_back(q);
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed calibration entry: ", e.what()));
  }
  std::sort(c->points.begin(), c->points.end(), [](const CalibrationPoint& a, const CalibrationPoint& b) {
    return a.blocked_io_calls_per_second < b.blocked_io_calls_per_second;
  });
  return absl::OkStatus();
}

std::string ReadFirstMatch(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return "";
}

}  // namespace

std::string MachineIdentity::Key() const { return absl::StrCat(kernel, "|", cpu_model, "|", cores, " cores"); }

MachineIdentity CurrentMachine() {
  MachineIdentity m;
  utsname u{};
  if (uname(&u) == 0) m.kernel = u.release;
  m.cpu_model = ReadFirstMatch("/proc/cpuinfo", "model name");
  if (m.cpu_model.empty()) m.cpu_model = "unknown CPU";
  m.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return m;
}

std::string DefaultCalibrationPath() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] != '\0') {
    return absl::StrCat(xdg, "/iotax/calibration.json");
  }
  if (geteuid() == 0) return "/var/cache/iotax/calibration.json";
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/tmp", "/.cache/iotax/calibration.json");
}

std::string CalibrationToJsonText(const Calibration& c) { return EntryToJson(c).dump(2); }

absl::Status CalibrationFromJsonText(const std::string& text, Calibration* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return EntryFromJson(j, out);
}

CalibrationLookup LoadCalibration(const std::string& path, const std::string& machine_key) {
  CalibrationLookup lookup;
  std::ifstream in(path);
  if (!in) {
    lookup.note = absl::StrCat("no calibration at ", path, ": run `iotax calibrate` to measure what an async design ",
                               "costs on this machine");
    return lookup;
  }
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("machines") || !j["machines"].is_array()) {
    lookup.note = absl::StrCat(path, " is not an iotax calibration file (ignored): run `iotax calibrate` to rewrite it");
    return lookup;
  }
  std::vector<std::string> others;
  for (const json& entry : j["machines"]) {
    Calibration c;
    if (!EntryFromJson(entry, &c).ok()) continue;
    if (c.machine_key != machine_key) {
      others.push_back(c.machine_key);
      continue;
    }
    if (absl::Status trusted = CheckCalibration(c); !trusted.ok()) {
      lookup.rejected = std::string(trusted.message());
      lookup.note = absl::StrCat(path, ": the calibration for this machine (", c.created_at, ") is not used: ",
                                 lookup.rejected, ": re-run `iotax calibrate` on a quiet machine");
      return lookup;
    }
    c.path = path;
    lookup.note = absl::StrCat("calibration from ", path, " (", c.created_at, ")");
    lookup.calibration = std::move(c);
    return lookup;
  }
  lookup.note = others.empty()
                    ? absl::StrCat(path, " holds no usable calibration: run `iotax calibrate`")
                    : absl::StrCat(path, " holds calibrations for other machines only (this one is '", machine_key,
                                   "'): run `iotax calibrate` here");
  return lookup;
}

absl::Status SaveCalibration(const std::string& path, const Calibration& calibration) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(absl::StrCat("cannot create ", target.parent_path().string(), ": ",
                                                      ec.message(), ": pass --output=PATH somewhere writable"));
    }
  }
  // 2: entries carry machine_load and each point `clean` (CheckCalibration
  // rejects entries without them).
  json root{{"schema_version", 2}, {"machines", json::array()}};
  if (std::ifstream in(path); in) {
    std::stringstream text;
    text << in.rdbuf();
    json old = json::parse(text.str(), nullptr, false);
    if (!old.is_discarded() && old.contains("machines") && old["machines"].is_array()) {
      for (const json& entry : old["machines"]) {
        if (entry.value("machine_key", "") != calibration.machine_key) root["machines"].push_back(entry);
      }
    }
  }
  root["machines"].push_back(EntryToJson(calibration));
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno),
                                                      ": pass --output=PATH somewhere writable"));
    }
    out << root.dump(2) << "\n";
    if (!out.flush()) return absl::DataLossError(absl::StrCat("writing ", tmp, " failed: is the disk full?"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot replace ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace iotax
