#include "load_generator.h"

namespace iotax::client {

void StartGate::Open(const Timeline& timeline) {
  std::lock_guard<std::mutex> lock(mu_);
  decided_ = true;
  timeline_ = timeline;
  cv_.notify_all();
}

void StartGate::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  decided_ = true;
  timeline_.reset();
  cv_.notify_all();
}

std::optional<Timeline> StartGate::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return decided_; });
  return timeline_;
}

void ExitGate::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = true;
  cv_.notify_all();
}

void ExitGate::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return open_; });
}

}  // namespace iotax::client
