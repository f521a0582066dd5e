#include <catch2/catch.hpp>

#include <future>

#include "common/clock.h"

using namespace dbtoken::common;
using std::chrono::milliseconds;

TEST_CASE("FakeClock: a wait ends when advance() reaches its deadline, not before") {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  auto deadline = clock.now() + milliseconds(100);
  auto waited = std::async(std::launch::async, [&] {
    std::unique_lock lk(mu);
    return clock.waitUntil(cv, lk, deadline, [] { return false; });
  });
  REQUIRE(clock.awaitWaiters(1));
  clock.advance(milliseconds(99));
  CHECK(clock.waiters() == 1);
  CHECK(waited.wait_for(milliseconds(0)) == std::future_status::timeout);
  clock.advance(milliseconds(1));
  CHECK(clock.waiters() == 0);  // no longer counted, even before the waiter runs
  REQUIRE(waited.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_FALSE(waited.get());
}

TEST_CASE("FakeClock: a notify ends a wait before its deadline; a past deadline does not block") {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  auto waited = std::async(std::launch::async, [&] {
    std::unique_lock lk(mu);
    return clock.waitUntil(cv, lk, clock.now() + std::chrono::hours(1), [&] { return ready; });
  });
  REQUIRE(clock.awaitWaiters(1));
  {
    std::lock_guard lk(mu);
    ready = true;
  }
  cv.notify_all();
  REQUIRE(waited.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(waited.get());
  CHECK(clock.waiters() == 0);

  std::unique_lock lk(mu);
  CHECK(clock.waitUntil(cv, lk, clock.now()) == std::cv_status::timeout);
  RealClock real;
  CHECK(real.waitUntil(cv, lk, real.now()) == std::cv_status::timeout);
}
