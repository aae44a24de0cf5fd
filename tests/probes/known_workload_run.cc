#include "known_workload_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace iotax::testing {
namespace {

// A one-byte file the workload maps; writing 'g' into it is the "go".
class GoFile {
 public:
  GoFile() {
    char path[] = "/tmp/iotax-go-XXXXXX";
    fd_ = mkstemp(path);
    if (fd_ >= 0) {
      path_ = path;
      if (write(fd_, "0", 1) != 1) {
        close(fd_);
        fd_ = -1;
      }
    }
  }
  ~GoFile() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  bool Go() { return pwrite(fd_, "g", 1, 0) == 1; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace

absl::StatusOr<WorkloadReport> RunKnownWorkload(const KnownWorkloadParams& params,
                                                const std::function<absl::Status(pid_t)>& attach,
                                                std::chrono::milliseconds timeout) {
  GoFile go;
  if (!go.ok()) return absl::InternalError("cannot create the go file in /tmp");
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(
      {KNOWN_WORKLOAD_PATH, go.path(), absl::StrCat(params.n), absl::StrCat(params.sleep_ms),
       absl::StrCat(params.spin_ms), absl::StrCat(params.cpu)});
  if (!child.ok()) return child.status();
  if (auto ready = child->ReadStdoutUntil("ready\n", std::chrono::seconds(10)); !ready.ok()) return ready.status();
  if (absl::Status s = attach(child->pid()); !s.ok()) return s;
  if (!go.Go()) return absl::InternalError("cannot write the go byte");
  absl::StatusOr<std::string> out = child->Finish(timeout);
  if (!out.ok()) return out.status();
  WorkloadReport report;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t v = 0;
    if (!absl::SimpleAtoi(kv.second, &v))
      return absl::DataLossError(absl::StrCat("unparsable workload line: ", line));
    report[kv.first] = v;
  }
  return report;
}

}  // namespace iotax::testing
