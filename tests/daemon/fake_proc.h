// A fake /proc tree in a temporary directory, with just the files the proc
// readers use: <pid>/comm, <pid>/stat, <pid>/status, <pid>/task/<tid>.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace iotax::testing {

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/iotax_fake_proc_XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeProc() { std::filesystem::remove_all(root_); }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;

  const std::string& root() const { return root_; }

  // A process (thread-group leader) in state `state` with `threads` threads.
  void AddProcess(int pid, const std::string& comm, int ppid = 1, int threads = 1, char state = 'S') {
    const std::string dir = Dir(pid);
    std::filesystem::create_directories(dir + "/task");
    Write(dir + "/comm", comm + "\n");
    SetState(pid, comm, state, ppid);
    for (int i = 0; i < threads; ++i) std::filesystem::create_directories(dir + "/task/" + std::to_string(pid + i));
    Write(dir + "/status", "Name:\t" + comm + "\nState:\t" + std::string(1, state) + "\nTgid:\t" + std::to_string(pid) +
                               "\nPid:\t" + std::to_string(pid) + "\nPPid:\t" + std::to_string(ppid) + "\n");
  }

  // A thread `tid` of process `tgid`, visible as /proc/<tid> like the kernel does.
  void AddThread(int tid, int tgid, const std::string& comm) {
    const std::string dir = Dir(tid);
    std::filesystem::create_directories(dir + "/task");
    Write(dir + "/comm", comm + "\n");
    Write(dir + "/stat", std::to_string(tid) + " (" + comm + ") S 1 0 0\n");
    Write(dir + "/status", "Name:\t" + comm + "\nTgid:\t" + std::to_string(tgid) + "\nPid:\t" + std::to_string(tid) +
                               "\nPPid:\t1\n");
  }

  void MakeZombie(int pid, const std::string& comm) { SetState(pid, comm, 'Z', 1); }
  void Remove(int pid) { std::filesystem::remove_all(Dir(pid)); }

 private:
  std::string Dir(int pid) const { return root_ + "/" + std::to_string(pid); }
  void SetState(int pid, const std::string& comm, char state, int ppid) {
    Write(Dir(pid) + "/stat", std::to_string(pid) + " (" + comm + ") " + state + " " + std::to_string(ppid) + " 0 0\n");
  }
  static void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  std::string root_;
};

}  // namespace iotax::testing
