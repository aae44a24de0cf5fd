#include "privileges.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "capabilities.h"

namespace iotax {
namespace {

int LastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  return (in >> last) ? last : 40;  // CAP_CHECKPOINT_RESTORE, the last one in 6.x
}

std::string Errno(const char* what) { return absl::StrCat(what, " failed: ", std::strerror(errno)); }

}  // namespace

absl::StatusOr<UserIds> LookUpUser(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  uid_t uid = 0;
  int rc = 0;
  if (absl::SimpleAtoi(name, &uid)) {
    rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  } else {
    rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  }
  if (rc != 0 || found == nullptr) {
    return absl::NotFoundError(absl::StrCat("--user=", name,
                                            " is not a user of this system: pass an existing unprivileged user, "
                                            "e.g. --user=nobody"));
  }
  if (found->pw_uid == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--user=", name,
                                                   " is root, which would keep every privilege: pass an unprivileged "
                                                   "user, e.g. --user=nobody"));
  }
  return UserIds{found->pw_name, found->pw_uid, found->pw_gid};
}

absl::Status CheckCanSwitchUser(const UserIds& user) {
  const absl::StatusOr<uint64_t> effective = caps::ReadEffective();
  if (!effective.ok()) return effective.status();
  if (caps::Has(*effective, CAP_SETUID) && caps::Has(*effective, CAP_SETGID)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("--user=", user.name,
                                                  " needs CAP_SETUID and CAP_SETGID to switch users: start iotaxd as "
                                                  "root, or leave out --user (it then keeps its own user)"));
}

absl::StatusOr<DropReport> DropPrivileges(const std::optional<UserIds>& user) {
  // Capabilities (and prctl state) belong to threads: one left with its
  // capabilities would undo the whole point.
  if (const int threads = CountThreads(); threads != 1) {
    return absl::InternalError(absl::StrCat("cannot drop capabilities with ", threads,
                                            " threads running (capabilities are per thread): this is a bug in iotaxd"));
  }
  DropReport report;
  const absl::StatusOr<uint64_t> effective = caps::ReadEffective();
  if (!effective.ok()) return effective.status();
  // Nothing executed from here on can gain a capability (setuid or file-capability binaries).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return absl::InternalError(Errno("prctl(PR_SET_NO_NEW_PRIVS)"));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return absl::InternalError(Errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)"));
  }
  if (caps::Has(*effective, CAP_SETPCAP)) {
    for (int cap = 0; cap <= LastCap(); ++cap) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
        return absl::InternalError(absl::StrCat("prctl(PR_CAPBSET_DROP, ", cap, ") failed: ", std::strerror(errno)));
      }
    }
    report.bounding_set_cleared = true;
  }
  if (user) {
    // Groups first: after setuid there is no privilege left to change them.
    if (setgroups(0, nullptr) != 0) return absl::InternalError(Errno("setgroups"));
    if (setresgid(user->gid, user->gid, user->gid) != 0) return absl::InternalError(Errno("setresgid"));
    if (setresuid(user->uid, user->uid, user->uid) != 0) return absl::InternalError(Errno("setresuid"));
    report.user = user;
  }
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2]{};
  if (syscall(SYS_capset, &hdr, none) != 0) return absl::InternalError(Errno("capset"));

  // Read back what the kernel now says, rather than trusting the calls.
  const CapabilitySets now = ReadCapabilitySets();
  if (now.effective != 0 || now.permitted != 0 || now.inheritable != 0 || now.ambient != 0) {
    return absl::InternalError(absl::StrCat("capabilities still held after dropping them (effective ", now.effective,
                                            ", permitted ", now.permitted, ")"));
  }
  if (user) {
    uid_t r = 0, e = 0, s = 0;
    gid_t gr = 0, ge = 0, gs = 0;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&gr, &ge, &gs) != 0 || r != user->uid || e != user->uid ||
        s != user->uid || gr != user->gid || ge != user->gid || gs != user->gid) {
      return absl::InternalError(absl::StrCat("switching to user ", user->name, " did not take effect"));
    }
  }
  return report;
}

CapabilitySets ReadCapabilitySets(const std::string& status_path) {
  CapabilitySets sets;
  std::ifstream in(status_path);
  std::string line;
  const std::pair<const char*, uint64_t*> fields[] = {{"CapEff:", &sets.effective},
                                                      {"CapPrm:", &sets.permitted},
                                                      {"CapInh:", &sets.inheritable},
                                                      {"CapBnd:", &sets.bounding},
                                                      {"CapAmb:", &sets.ambient}};
  while (std::getline(in, line)) {
    for (const auto& [name, out] : fields) {
      if (absl::StartsWith(line, name)) {
        uint64_t value = 0;
        if (absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line.substr(std::strlen(name))), &value)) *out = value;
      }
    }
  }
  return sets;
}

int CountThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

int FirstUnprivilegedPort() {
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int port = 1024;
  return (in >> port) ? port : 1024;
}

}  // namespace iotax
