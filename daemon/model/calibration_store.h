// Where `iotax calibrate` keeps its results and how they are read back: one
// JSON file holding one entry per machine, keyed by kernel release, CPU model
// and core count, so a cache shared between machines (or a kernel upgrade)
// never applies one machine's figures to another.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "async_cost.h"

namespace iotax {

struct MachineIdentity {
  std::string kernel;     // uname -r
  std::string cpu_model;  // "model name" of /proc/cpuinfo
  int cores = 0;          // online CPUs
  std::string Key() const;  // "kernel|cpu model|N cores"
};

MachineIdentity CurrentMachine();

// $XDG_CACHE_HOME/iotax/calibration.json when XDG_CACHE_HOME is set;
// otherwise /var/cache/iotax/calibration.json for root and
// ~/.cache/iotax/calibration.json for other users.
std::string DefaultCalibrationPath();

struct CalibrationLookup {
  std::optional<Calibration> calibration;  // for `machine_key`, when present and trusted
  // Why there is none (no file, other machine, unreadable, rejected) and
  // what to do, or where it came from; one line.
  std::string note;
  // Non-empty when this machine's entry exists but fails CheckCalibration:
  // the reason (callers warn; the note already carries it).
  std::string rejected;
};

// Reads the entry for `machine_key` from `path`. A missing file is not an
// error (the note says to run `iotax calibrate`); a corrupt one is reported
// in the note and ignored; an entry that fails CheckCalibration is not
// returned (`rejected` says why).
CalibrationLookup LoadCalibration(const std::string& path, const std::string& machine_key);

// Adds or replaces the entry for calibration.machine_key in `path`
// (creating the directory), atomically (temporary file + rename).
absl::Status SaveCalibration(const std::string& path, const Calibration& calibration);

// JSON text of one calibration entry and back (exposed for tests).
std::string CalibrationToJsonText(const Calibration& calibration);
absl::Status CalibrationFromJsonText(const std::string& text, Calibration* out);

}  // namespace iotax
