// Progress on stderr: on a terminal one line redrawn every 250 ms (a bar,
// runs done/total, the run in progress, elapsed time and time left); to a
// file or pipe one plain line per finished run. Time left is the sum of the
// remaining runs' expected lengths plus the per-run set-up overhead seen so far.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace iotax::bench {

// "1:05", "12:00", "1:02:03".
std::string FormatClock(double seconds);
// "[#####-----]" of `width` cells for done/total.
std::string Bar(int done, int total, int width);

class Progress {
 public:
  // `total` runs, `done` of them already finished (resumed); `remaining_s`
  // the expected seconds of the rest, without set-up overhead.
  Progress(int total, int done, double remaining_s, std::FILE* out, bool tty);
  ~Progress();

  void Started(const std::string& label, double expected_s);
  // `wall_s` the run took; `expected_s` what it was expected to take.
  void Finished(const std::string& label, bool ok, double wall_s, double expected_s, const std::string& note);
  // Prints a message on its own line without breaking the bar.
  void Message(const std::string& text);
  void Stop();

  double SecondsLeft() const;  // for tests and the final line

 private:
  void Draw();
  void Loop();

  std::FILE* out_;
  bool tty_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int total_, done_;
  double remaining_s_;
  double overhead_sum_ = 0;
  int overhead_n_ = 0;
  std::string current_;
  double current_expected_s_ = 0;
  double current_started_ = 0;
  double started_;
  std::thread thread_;
};

}  // namespace iotax::bench
