// TokenBucket: client-side rate limiting as client-go does it (golang.org/x/time/rate): `qps`
// tokens a second up to `burst`; reserve() takes a token even when none is left and says how long
// the caller must wait for it, so waiters queue fairly. Owns only the arithmetic; waiting is the
// caller's business. The Kubernetes client (QPS 20, burst 30) and the work queue's overall retry
// limit (10/s, burst 100) both use it.
#pragma once

#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace dbtoken::kube {

class TokenBucket final {
 public:
  // qps <= 0: no limit (reserve() always answers 0).
  TokenBucket(double qps, int burst, const common::Clock& clock);

  // Takes one token; the time until it is really available (zero when it is available now).
  std::chrono::nanoseconds reserve();
  // Takes a token only when one is available now.
  bool tryTake();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  void refillLocked(common::Clock::SteadyTime now);

  const double qps_;
  const int burst_;
  const common::Clock& clock_;
  std::mutex mu_;
  double tokens_;
  common::Clock::SteadyTime last_;
};

}  // namespace dbtoken::kube
