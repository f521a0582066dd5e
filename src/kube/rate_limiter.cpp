#include "kube/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace dbtoken::kube {

TokenBucket::TokenBucket(double qps, int burst, const common::Clock& clock)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      clock_(clock),
      tokens_(static_cast<double>(burst_)),
      last_(clock.now()) {}

void TokenBucket::refillLocked(common::Clock::SteadyTime now) {
  if (now <= last_) {
    return;
  }
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_ = now;
}

std::chrono::nanoseconds TokenBucket::reserve() {
  if (qps_ <= 0) {
    return std::chrono::nanoseconds(0);
  }
  std::lock_guard lk(mu_);
  refillLocked(clock_.now());
  tokens_ -= 1.0;
  if (tokens_ >= 0) {
    return std::chrono::nanoseconds(0);
  }
  double seconds = -tokens_ / qps_;
  return std::chrono::nanoseconds(static_cast<long long>(std::ceil(seconds * 1e9)));
}

bool TokenBucket::tryTake() {
  if (qps_ <= 0) {
    return true;
  }
  std::lock_guard lk(mu_);
  refillLocked(clock_.now());
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

}  // namespace dbtoken::kube
