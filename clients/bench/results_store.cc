#include "results_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace iotax::bench {
namespace {

using nlohmann::json;

constexpr int kSchemaVersion = 1;

absl::Status MakeDirs(const std::string& dir) {
  std::string path;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      path = dir.substr(0, i);
      if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::ErrnoToStatus(errno, absl::StrCat("cannot create the output directory ", path));
      }
    }
  }
  return absl::OkStatus();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status MoveAside(const std::string& path) {
  const std::string aside =
      absl::StrCat(path, ".old-", absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()));
  if (rename(path.c_str(), aside.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot move ", path, " aside"));
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat(path, " is not valid JSON (a truncated copy?): start over with --force"));
  }
  return j;
}

}  // namespace

std::string NowRfc3339() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", tmp));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      return absl::ErrnoToStatus(e, absl::StrCat("cannot write ", tmp));
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot rename ", tmp));
  return absl::OkStatus();
}

absl::StatusOr<ResultsStore> ResultsStore::Create(const std::string& dir, const BenchConfig& config,
                                                  const json& machine, bool force) {
  if (absl::Status s = MakeDirs(dir); !s.ok()) return s;
  const std::string path = absl::StrCat(dir, "/", kFileName);
  if (Exists(path)) {
    if (!force) {
      return absl::AlreadyExistsError(absl::StrCat(dir, " already holds results (", path,
                                                   "): continue them with --resume ", dir,
                                                   ", pick another --out, or add --force to start over"));
    }
    if (absl::Status s = MoveAside(path); !s.ok()) return s;
  }
  ResultsStore store;
  store.dir_ = dir;
  store.config_hash_ = config.Hash();
  store.config_text_ = config.Canonical();
  store.machine_ = machine;
  store.started_at_ = NowRfc3339();
  if (absl::Status s = store.Save(); !s.ok()) return s;
  return store;
}

absl::StatusOr<std::string> ResultsStore::StoredConfigText(const std::string& dir) {
  auto j = ReadJson(absl::StrCat(dir, "/", kFileName));
  if (!j.ok()) {
    return absl::NotFoundError(absl::StrCat(dir, " holds no ", kFileName, " to resume: start a run with --out ", dir));
  }
  if (!j->contains("config") || !(*j)["config"].contains("text")) {
    return absl::DataLossError(absl::StrCat(dir, "/", kFileName, " has no config: start over with --force"));
  }
  return (*j)["config"]["text"].get<std::string>();
}

absl::StatusOr<ResultsStore> ResultsStore::Resume(const std::string& dir, const BenchConfig& config,
                                                  const json& machine, bool force) {
  const std::string path = absl::StrCat(dir, "/", kFileName);
  auto j = ReadJson(path);
  if (!j.ok()) {
    if (absl::IsNotFound(j.status())) {
      return absl::NotFoundError(
          absl::StrCat(dir, " holds no ", kFileName, " to resume: start a run with --out ", dir));
    }
    if (force) return Create(dir, config, machine, true);
    return j.status();
  }
  const std::string stored_hash = j->value("config", json::object()).value("hash", "");
  if (stored_hash != config.Hash()) {
    if (force) return Create(dir, config, machine, true);
    return absl::FailedPreconditionError(absl::StrCat(
        "the config changed since ", path, " was started (its hash ", stored_hash, ", this config's ", config.Hash(),
        "): its runs would not be comparable. Resume with the same config (omit --config to use the stored one), "
        "use another --out, or add --force to start over"));
  }
  if (j->value("schema_version", 0) != kSchemaVersion) {
    if (force) return Create(dir, config, machine, true);
    return absl::FailedPreconditionError(absl::StrCat(path, " has schema version ", j->value("schema_version", 0),
                                                      ", this iotax-bench writes ", kSchemaVersion,
                                                      ": add --force to start over"));
  }
  ResultsStore store;
  store.dir_ = dir;
  store.config_hash_ = stored_hash;
  store.config_text_ = config.Canonical();
  store.machine_ = j->contains("machine") ? (*j)["machine"] : machine;
  store.started_at_ = j->value("started_at", NowRfc3339());
  if (j->contains("extra") && (*j)["extra"].is_object()) store.extra_ = (*j)["extra"];
  if (j->contains("runs") && (*j)["runs"].is_array()) {
    for (const json& r : (*j)["runs"]) {
      auto run = RunRecord::FromJson(r);
      if (!run.ok()) {
        return absl::DataLossError(absl::StrCat(path, ": ", run.status().message(), ": start over with --force"));
      }
      store.index_[run->key] = store.runs_.size();
      store.runs_.push_back(std::move(*run));
    }
  }
  return store;
}

const RunRecord* ResultsStore::Find(const std::string& key) const {
  auto it = index_.find(key);
  if (it == index_.end() || !runs_[it->second].ok) return nullptr;
  return &runs_[it->second];
}

absl::Status ResultsStore::Add(RunRecord run) {
  if (auto it = index_.find(run.key); it != index_.end()) {
    runs_[it->second] = std::move(run);
  } else {
    index_[run.key] = runs_.size();
    runs_.push_back(std::move(run));
  }
  return Save();
}

absl::Status ResultsStore::SetSummary(json summary, bool complete) {
  summary_ = std::move(summary);
  complete_ = complete;
  return Save();
}

absl::Status ResultsStore::Save() const {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["tool"] = "iotax-bench";
  j["config"] = {{"hash", config_hash_}, {"text", config_text_}};
  j["machine"] = machine_;
  j["started_at"] = started_at_;
  j["updated_at"] = NowRfc3339();
  j["complete"] = complete_;
  j["extra"] = extra_;
  json runs = json::array();
  for (const RunRecord& r : runs_) runs.push_back(r.ToJson());
  j["runs"] = std::move(runs);
  j["summary"] = summary_.is_null() ? json::object() : summary_;
  return WriteFileAtomically(absl::StrCat(dir_, "/", kFileName), j.dump(1));
}

}  // namespace iotax::bench
