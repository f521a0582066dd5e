#include "runtime/rate_limiters.h"

#include <algorithm>
#include <cmath>

namespace dbtoken::runtime {

ItemExponentialRateLimiter::ItemExponentialRateLimiter(std::chrono::nanoseconds base,
                                                       std::chrono::nanoseconds max)
    : base_(base), max_(std::max(base, max)) {}

std::chrono::nanoseconds ItemExponentialRateLimiter::when(const kube::ObjectKey& key) {
  int exp = 0;
  {
    std::lock_guard lk(mu_);
    exp = failures_[key]++;
  }
  // Computed in floating point so a long failure streak cannot overflow.
  double delay = static_cast<double>(base_.count()) * std::pow(2.0, exp);
  if (delay >= static_cast<double>(max_.count())) {
    return max_;
  }
  return std::chrono::nanoseconds(static_cast<long long>(delay));
}

void ItemExponentialRateLimiter::forget(const kube::ObjectKey& key) {
  std::lock_guard lk(mu_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::numRequeues(const kube::ObjectKey& key) const {
  std::lock_guard lk(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, const common::Clock& clock)
    : bucket_(qps, burst, clock) {}

std::chrono::nanoseconds BucketRateLimiter::when(const kube::ObjectKey&) {
  return bucket_.reserve();
}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

std::chrono::nanoseconds MaxOfRateLimiter::when(const kube::ObjectKey& key) {
  std::chrono::nanoseconds longest{0};
  for (auto& l : limiters_) {
    longest = std::max(longest, l->when(key));
  }
  return longest;
}

void MaxOfRateLimiter::forget(const kube::ObjectKey& key) {
  for (auto& l : limiters_) {
    l->forget(key);
  }
}

int MaxOfRateLimiter::numRequeues(const kube::ObjectKey& key) const {
  int most = 0;
  for (const auto& l : limiters_) {
    most = std::max(most, l->numRequeues(key));
  }
  return most;
}

std::unique_ptr<RateLimiter> makeControllerRateLimiter(const common::Clock& clock,
                                                       ControllerRateLimits limits) {
  std::vector<std::unique_ptr<RateLimiter>> all;
  all.push_back(std::make_unique<ItemExponentialRateLimiter>(limits.baseDelay, limits.maxDelay));
  all.push_back(std::make_unique<BucketRateLimiter>(limits.qps, limits.burst, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(all));
}

}  // namespace dbtoken::runtime
