// A cgroup v2 directory made for one test and removed after it (root): the
// way tests put processes in a cgroup of their own. Skips are the caller's:
// path() is "" with why() when no cgroup2 file system is mounted or the
// directory cannot be made.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace iotax::testing {

class TestCgroup {
 public:
  explicit TestCgroup(const std::string& name) {
    const std::string mount = CgroupV2Mount();
    if (mount.empty()) {
      why_ = "no cgroup2 file system is mounted here";
      return;
    }
    const std::string path = mount + "/" + name + "-" + std::to_string(getpid());
    if (mkdir(path.c_str(), 0755) != 0) {
      why_ = "cannot make a cgroup under " + mount + ": " + std::strerror(errno);
      return;
    }
    path_ = path;
  }
  // Call once its processes are gone (their exit is asynchronous: retried up to 5 s).
  bool Remove() {
    for (int i = 0; i < 100 && !path_.empty() && rmdir(path_.c_str()) != 0; ++i) usleep(50'000);
    return path_.empty() || access(path_.c_str(), F_OK) != 0;
  }
  ~TestCgroup() { Remove(); }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::string& path() const { return path_; }
  const std::string& why() const { return why_; }
  // Moves process `pid` into it.
  void Add(int pid) const { std::ofstream(path_ + "/cgroup.procs") << pid << "\n"; }

 private:
  static std::string CgroupV2Mount() {
    std::ifstream mounts("/proc/self/mounts");
    std::string device, dir, type, rest;
    while (mounts >> device >> dir >> type && std::getline(mounts, rest)) {
      if (type == "cgroup2") return dir;
    }
    return "";
  }

  std::string path_;
  std::string why_;
};

}  // namespace iotax::testing
