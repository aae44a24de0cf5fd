// Tracer lifecycle and bad input: programs go away with the Tracer, missing
// PIDs and missing privileges give clear errors, thread ids resolve to their
// process, followed children join their parent's slot.
#include <bpf/bpf.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "child_process.h"
#include "require.h"
#include "syscall_names.h"
#include "tracer.h"

namespace iotax {
namespace {

using testing::ChildProcess;

// `bpftool prog show id N` succeeds exactly while program N is loaded.
bool BpftoolShowsProgram(uint32_t id) {
  const std::string cmd = absl::StrCat("bpftool prog show id ", id, " >/dev/null 2>&1");
  return std::system(cmd.c_str()) == 0;
}

TEST(TracerLifecycle, NoProgramRemainsLoadedAfterDestruction) {
  IOTAX_REQUIRE_BPF();
  std::vector<uint32_t> ids;
  {
    absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
    ASSERT_TRUE(tracer.ok()) << tracer.status();
    for (const ProbeStatus& p : (*tracer)->Probes()) {
      EXPECT_TRUE(p.up) << p.name << ": " << p.error;
      ASSERT_NE(p.prog_id, 0u) << p.name;
      ids.push_back(p.prog_id);
    }
    ASSERT_EQ(ids.size(), 8u) << "seven tracepoint programs and the task iterator";
    for (uint32_t id : ids) EXPECT_TRUE(BpftoolShowsProgram(id)) << "program " << id << " while attached";
  }
  // The kernel frees a detached tracepoint program after an RCU grace
  // period, so "gone" may take a moment: wait for it, boundedly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (uint32_t id : ids) {
    int fd;
    while ((fd = bpf_prog_get_fd_by_id(id)) >= 0 && std::chrono::steady_clock::now() < deadline) {
      close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (fd >= 0) close(fd);
    EXPECT_LT(fd, 0) << "program " << id << " still loaded 10 s after the Tracer is gone";
    EXPECT_FALSE(BpftoolShowsProgram(id)) << "bpftool still shows program " << id;
  }
}

// A PID that surely does not exist: one of our children, already reaped.
pid_t ReapedPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(TracerLifecycle, MissingPidIsNotFoundAndNamesThePid) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  const pid_t gone = ReapedPid();
  const absl::Status s = (*tracer)->AddTarget(gone);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_NE(s.message().find(absl::StrCat("PID ", gone)), absl::string_view::npos) << s;
  EXPECT_EQ(s.message().find('\n'), absl::string_view::npos) << "one line: " << s;
  EXPECT_TRUE(absl::IsInvalidArgument((*tracer)->AddTarget(0)));
  EXPECT_TRUE((*tracer)->Read().targets.empty());
}

TEST(TracerLifecycle, WithoutPrivilegesCreateSaysWhatToDo) {
  IOTAX_REQUIRE_BPF();  // root is needed to drop to an unprivileged user
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Create({});
    const std::string msg = t.ok() ? "OK" : absl::StrCat(absl::StatusCodeToString(t.status().code()), ": ",
                                                         t.status().message());
    (void)!write(pipefd[1], msg.data(), msg.size());
    _exit(0);
  }
  close(pipefd[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) msg.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_NE(msg.find("PERMISSION_DENIED"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CAP_BPF+CAP_PERFMON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sudo"), std::string::npos) << msg;
}

TEST(TracerLifecycle, ThreadIdResolvesToItsProcess) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  // A second thread of this process, alive while we add it by its thread id.
  std::promise<pid_t> tid_promise;
  std::promise<void> release;
  std::thread t([&] {
    tid_promise.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
    release.get_future().wait();
  });
  const pid_t tid = tid_promise.get_future().get();
  ASSERT_NE(tid, getpid());
  const absl::Status added = (*tracer)->AddTarget(tid);
  release.set_value();
  t.join();
  ASSERT_TRUE(added.ok()) << added;
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok()) << "adding the same process again is a no-op";
  const AgentSnapshot snap = (*tracer)->Read();
  ASSERT_EQ(snap.targets.size(), 1u);
  EXPECT_EQ(snap.targets[0].pid, getpid());
  EXPECT_TRUE(snap.targets[0].up);
  EXPECT_GE(snap.targets[0].threads_alive, 1);
}

TEST(TracerLifecycle, FollowedChildrenJoinTheirParentsSlot) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.follow_children = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok());
  constexpr int kCalls = 1000;
  const pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < kCalls; ++i) syscall(SYS_getppid);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  const AgentSnapshot snap = (*tracer)->Read();
  ASSERT_EQ(snap.targets.size(), 1u);
  const TargetStats& st = snap.targets[0].stats;
  EXPECT_EQ(st.children_followed, 1u);
  EXPECT_GE(st.syscalls.at(*SyscallNumber("getppid")), static_cast<uint64_t>(kCalls));
  EXPECT_TRUE(snap.targets[0].up) << "the parent (this test) still runs";
}

// read()/write() are classed by what the fd is, decided in the kernel at
// sys_enter: a socket makes them net_read/net_write.
TEST(TracerClasses, ReadAndWriteOnASocketAreNetCalls) {
  IOTAX_REQUIRE_BPF();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok());
  constexpr int kCalls = 100;
  char c = 'x';
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(write(sv[0], &c, 1), 1);
    ASSERT_EQ(read(sv[1], &c, 1), 1);
  }
  const TargetStats st = (*tracer)->Read().targets.at(0).stats;
  close(sv[0]);
  close(sv[1]);
  // This process makes no other socket calls while traced.
  EXPECT_EQ(st.classes[static_cast<int>(SyscallClass::kNetWrite)].calls, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(st.classes[static_cast<int>(SyscallClass::kNetRead)].calls, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(st.classes[static_cast<int>(SyscallClass::kNetRead)].blocked_calls, 0u) << "data was always there";
  EXPECT_GE(st.syscalls.at(*SyscallNumber("read")), static_cast<uint64_t>(kCalls));
}

TEST(TracerLifecycle, ChildrenAreNotFollowedByDefault) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok());
  const pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 1000; ++i) syscall(SYS_getppid);
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  const TargetStats st = (*tracer)->Read().targets.at(0).stats;  // a copy: the snapshot is a temporary
  EXPECT_EQ(st.children_followed, 0u);
  EXPECT_LT(st.syscalls.at(*SyscallNumber("getppid")), 1000u);
}

}  // namespace
}  // namespace iotax
