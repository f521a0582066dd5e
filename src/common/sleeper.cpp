#include "common/sleeper.h"

#include <thread>

namespace dbtoken::common {

void RealSleeper::sleepFor(std::chrono::milliseconds d) {
  if (d.count() > 0) {
    std::this_thread::sleep_for(d);
  }
}

void RecordingSleeper::sleepFor(std::chrono::milliseconds d) {
  {
    std::lock_guard lk(mu_);
    waits_.push_back(d);
  }
  if (clock_ != nullptr) {
    clock_->advance(d);
  }
}

std::vector<std::chrono::milliseconds> RecordingSleeper::waits() const {
  std::lock_guard lk(mu_);
  return waits_;
}

std::chrono::milliseconds RecordingSleeper::total() const {
  std::lock_guard lk(mu_);
  std::chrono::milliseconds sum{0};
  for (auto w : waits_) {
    sum += w;
  }
  return sum;
}

}  // namespace dbtoken::common
