// Rate limiters for the work queue's retries, with client-go's semantics: how long to wait before
// an item that failed is tried again. The default is the max of a per-item exponential backoff
// (5 ms doubling to 1000 s) and an overall token bucket (10/s, burst 100), so one failing object
// backs off on its own while many failing objects cannot flood the API server. Owns only the
// arithmetic; the queue does the waiting.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "kube/object.h"
#include "kube/rate_limiter.h"

namespace dbtoken::runtime {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // How long this item waits before its next try; counts one more failure.
  virtual std::chrono::nanoseconds when(const kube::ObjectKey& key) = 0;
  // The item succeeded: its failure count starts over.
  virtual void forget(const kube::ObjectKey& key) = 0;
  virtual int numRequeues(const kube::ObjectKey& key) const = 0;
};

// base * 2^failures, capped at max (client-go's ItemExponentialFailureRateLimiter).
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(std::chrono::nanoseconds base, std::chrono::nanoseconds max);
  std::chrono::nanoseconds when(const kube::ObjectKey& key) override;
  void forget(const kube::ObjectKey& key) override;
  int numRequeues(const kube::ObjectKey& key) const override;

 private:
  const std::chrono::nanoseconds base_;
  const std::chrono::nanoseconds max_;
  mutable std::mutex mu_;
  std::unordered_map<kube::ObjectKey, int, kube::ObjectKeyHash> failures_;
};

// One token bucket for all items (client-go's BucketRateLimiter).
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, const common::Clock& clock);
  std::chrono::nanoseconds when(const kube::ObjectKey& key) override;
  void forget(const kube::ObjectKey&) override {}
  int numRequeues(const kube::ObjectKey&) const override { return 0; }

 private:
  kube::TokenBucket bucket_;
};

// The longest wait any of its limiters asks for (client-go's MaxOfRateLimiter).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  std::chrono::nanoseconds when(const kube::ObjectKey& key) override;
  void forget(const kube::ObjectKey& key) override;
  int numRequeues(const kube::ObjectKey& key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

struct ControllerRateLimits {
  std::chrono::nanoseconds baseDelay = std::chrono::milliseconds(5);
  std::chrono::nanoseconds maxDelay = std::chrono::seconds(1000);
  double qps = 10;
  int burst = 100;
};

// controller-runtime's default: max(per-item exponential, overall bucket).
std::unique_ptr<RateLimiter> makeControllerRateLimiter(const common::Clock& clock,
                                                       ControllerRateLimits limits = {});

}  // namespace dbtoken::runtime
