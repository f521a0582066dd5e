#include "common/backoff.h"

#include <algorithm>
#include <cmath>

namespace dbtoken::common {

Backoff::Backoff(BackoffPolicy policy, Random random)
    : policy_(policy), random_(std::move(random)) {
  policy_.factor = std::max(1.0, policy_.factor);
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  if (policy_.max < policy_.initial) {
    policy_.max = policy_.initial;
  }
  base_ms_ = static_cast<double>(policy_.initial.count());
}

std::chrono::milliseconds Backoff::next() {
  double r = 0;
  if (random_) {
    r = random_();
  } else {
    if (!engine_) {
      engine_.emplace(std::random_device{}());
    }
    r = std::uniform_real_distribution<double>(0.0, 1.0)(*engine_);
  }
  r = std::clamp(r, 0.0, 1.0);
  double scale = 1.0 + policy_.jitter * (2.0 * r - 1.0);
  double maxMs = static_cast<double>(policy_.max.count());
  double delay = std::min(base_ms_ * scale, maxMs);
  base_ms_ = std::min(base_ms_ * policy_.factor, maxMs);
  ++steps_;
  return std::chrono::milliseconds(static_cast<long long>(std::llround(std::max(delay, 0.0))));
}

std::chrono::milliseconds Backoff::peekBase() const {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(base_ms_)));
}

void Backoff::reset() {
  base_ms_ = static_cast<double>(policy_.initial.count());
  steps_ = 0;
}

}  // namespace dbtoken::common
