#include <catch2/catch.hpp>

#include "runtime/rate_limiters.h"

using namespace dbtoken;
using kube::ObjectKey;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST_CASE("ItemExponentialRateLimiter: 5 ms doubling per failure, capped at 1000 s") {
  runtime::ItemExponentialRateLimiter limiter(milliseconds(5), seconds(1000));
  const ObjectKey a{"ns", "a"};
  struct Row {
    int failure;
    nanoseconds delay;
  };
  const Row rows[] = {
      {1, milliseconds(5)},      {2, milliseconds(10)},      {3, milliseconds(20)},
      {4, milliseconds(40)},     {5, milliseconds(80)},      {10, milliseconds(2560)},
      {15, milliseconds(81920)}, {18, milliseconds(655360)}, {19, seconds(1000)},
      {60, seconds(1000)},       {2000, seconds(1000)}};
  int failures = 0;
  for (const Row& row : rows) {
    INFO("failure " << row.failure);
    nanoseconds d{0};
    while (failures < row.failure) {
      d = limiter.when(a);
      ++failures;
    }
    CHECK(d == row.delay);
  }
  CHECK(limiter.numRequeues(a) == 2000);
  CHECK(limiter.when({"ns", "b"}) == milliseconds(5));  // per item
  limiter.forget(a);
  CHECK(limiter.numRequeues(a) == 0);
  CHECK(limiter.when(a) == milliseconds(5));
}

TEST_CASE("Controller rate limiter: the max of per-item backoff and an overall 10/s burst 100") {
  common::FakeClock clock;
  auto limiter = runtime::makeControllerRateLimiter(clock);
  // 100 different failing keys: the burst absorbs them, each waits its own 5 ms.
  for (int i = 0; i < 100; ++i) {
    CHECK(limiter->when({"ns", "k" + std::to_string(i)}) == milliseconds(5));
  }
  // Beyond the burst the bucket decides: 100 ms, 200 ms, ... for new keys.
  CHECK(limiter->when({"ns", "x"}) == milliseconds(100));
  CHECK(limiter->when({"ns", "y"}) == milliseconds(200));
  clock.advance(seconds(60));
  // A key that failed often waits for its own backoff even when the bucket is full.
  for (int i = 0; i < 12; ++i) {
    (void)limiter->when({"ns", "hot"});
  }
  CHECK(limiter->when({"ns", "hot"}) == milliseconds(5 << 12));
  CHECK(limiter->numRequeues({"ns", "hot"}) == 13);
}
