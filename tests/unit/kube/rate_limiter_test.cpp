#include <catch2/catch.hpp>

#include "kube/rate_limiter.h"

using namespace dbtoken;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST_CASE("TokenBucket: the burst is free, then each token waits 1/qps, queued behind the last") {
  common::FakeClock clock;
  kube::TokenBucket bucket(20, 30, clock);
  for (int i = 0; i < 30; ++i) {
    CHECK(bucket.reserve() == nanoseconds(0));
  }
  CHECK(bucket.reserve() == milliseconds(50));
  CHECK(bucket.reserve() == milliseconds(100));
  clock.advance(milliseconds(100));
  CHECK(bucket.reserve() == milliseconds(50));
}

TEST_CASE("TokenBucket: tokens refill at qps up to the burst, never beyond") {
  common::FakeClock clock;
  kube::TokenBucket bucket(10, 2, clock);
  CHECK(bucket.tryTake());
  CHECK(bucket.tryTake());
  CHECK_FALSE(bucket.tryTake());
  clock.advance(milliseconds(100));
  CHECK(bucket.tryTake());
  CHECK_FALSE(bucket.tryTake());
  clock.advance(std::chrono::hours(1));
  CHECK(bucket.tryTake());
  CHECK(bucket.tryTake());
  CHECK_FALSE(bucket.tryTake());
}

TEST_CASE("TokenBucket: qps 0 means no limit") {
  common::FakeClock clock;
  kube::TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 100; ++i) {
    CHECK(bucket.reserve() == nanoseconds(0));
  }
}

TEST_CASE("TokenBucket: a spam filter of burst 25 and one token per 5 minutes") {
  common::FakeClock clock;
  kube::TokenBucket bucket(1.0 / 300, 25, clock);
  int taken = 0;
  for (int i = 0; i < 40; ++i) {
    taken += bucket.tryTake() ? 1 : 0;
  }
  CHECK(taken == 25);
  clock.advance(std::chrono::seconds(299));
  CHECK_FALSE(bucket.tryTake());
  clock.advance(std::chrono::seconds(1));
  CHECK(bucket.tryTake());
}
