// Backoff: the delay before the next retry, growing exponentially with random jitter. One
// instance tracks one retrying thing (a request, a watch, a work-queue item); reset() after a
// success. It only computes delays: waiting is the caller's business (see sleeper.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <random>

namespace dbtoken::common {

struct BackoffPolicy {
  std::chrono::milliseconds initial{100};  // the first delay before jitter
  std::chrono::milliseconds max{30000};    // no delay is ever longer, jitter included
  double factor = 2.0;                     // each delay is the previous one times this (>= 1)
  double jitter = 0.2;                     // each delay is scaled by a random [1-j, 1+j] (0..1)
};

class Backoff {
 public:
  // Uniform random numbers in [0, 1). Empty: a generator seeded from std::random_device.
  using Random = std::function<double()>;

  explicit Backoff(BackoffPolicy policy, Random random = nullptr);

  // The delay to wait before the next attempt; each call moves one step further.
  std::chrono::milliseconds next();
  // The delay the next call to next() would start from, before jitter.
  std::chrono::milliseconds peekBase() const;
  // Back to the first step (after a success).
  void reset();
  // How many delays have been handed out since construction or reset().
  int steps() const { return steps_; }
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  Random random_;
  // Seeded on the first delay: most backoffs (one per request) never need one, and seeding from
  // std::random_device was 4% of the operator's CPU while it issued tokens.
  std::optional<std::mt19937_64> engine_;
  double base_ms_;
  int steps_ = 0;
};

}  // namespace dbtoken::common
