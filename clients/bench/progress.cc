#include "progress.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clock.h"

namespace iotax::bench {
namespace {

double Now() { return static_cast<double>(client::NowNs()) / 1e9; }

// Set-up and teardown per run before any run was timed.
constexpr double kInitialOverheadS = 0.1;

}  // namespace

std::string FormatClock(double seconds) {
  const long s = std::max(0L, static_cast<long>(seconds + 0.5));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Bar(int done, int total, int width) {
  const int filled = total > 0 ? std::min(width, done * width / total) : width;
  return absl::StrCat("[", std::string(static_cast<size_t>(filled), '#'),
                      std::string(static_cast<size_t>(width - filled), '-'), "]");
}

Progress::Progress(int total, int done, double remaining_s, std::FILE* out, bool tty)
    : out_(out), tty_(tty), total_(total), done_(done), remaining_s_(remaining_s), started_(Now()) {
  if (tty_) thread_ = std::thread([this] { Loop(); });
}

Progress::~Progress() { Stop(); }

void Progress::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (tty_) std::fprintf(out_, "\n");
  std::fflush(out_);
}

double Progress::SecondsLeft() const {
  std::lock_guard<std::mutex> lock(mu_);
  const double overhead = overhead_n_ > 0 ? overhead_sum_ / overhead_n_ : kInitialOverheadS;
  const int left_runs = total_ - done_;
  // The run in progress counts with what is left of it.
  double in_progress = 0;
  if (!current_.empty()) in_progress = std::max(0.0, current_expected_s_ + overhead - (Now() - current_started_));
  return std::max(0.0, remaining_s_ - (current_.empty() ? 0 : current_expected_s_)) +
         overhead * std::max(0, left_runs - (current_.empty() ? 0 : 1)) + in_progress;
}

void Progress::Started(const std::string& label, double expected_s) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = label;
  current_expected_s_ = expected_s;
  current_started_ = Now();
}

void Progress::Finished(const std::string& label, bool ok, double wall_s, double expected_s, const std::string& note) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    remaining_s_ = std::max(0.0, remaining_s_ - expected_s);
    overhead_sum_ += std::max(0.0, wall_s - expected_s);
    ++overhead_n_;
    current_.clear();
  }
  const double left = SecondsLeft();
  if (tty_) {
    if (!ok) Message(absl::StrCat("FAILED ", label, ": ", note));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(out_, "iotax-bench: %d/%d %s %s (%.1f s)%s, elapsed %s, about %s left\n", done_, total_,
               ok ? "done" : "FAILED", label.c_str(), wall_s, note.empty() ? "" : absl::StrCat(": ", note).c_str(),
               FormatClock(Now() - started_).c_str(), FormatClock(left).c_str());
  std::fflush(out_);
}

void Progress::Message(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "iotax-bench: %s\n", text.c_str());
  std::fflush(out_);
}

void Progress::Draw() {
  const double left = SecondsLeft();
  std::lock_guard<std::mutex> lock(mu_);
  std::string line = absl::StrFormat("%s %d/%d runs  elapsed %s  left ~%s  %s", Bar(done_, total_, 24), done_, total_,
                                     FormatClock(Now() - started_), FormatClock(left), current_);
  if (line.size() > 150) line.resize(150);
  std::fprintf(out_, "\r\033[K%s", line.c_str());
  std::fflush(out_);
}

void Progress::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Draw();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; });
  }
}

}  // namespace iotax::bench
