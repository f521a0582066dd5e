// Clock: the one source of time for everything that schedules, times out or stamps. Production
// code takes a Clock& so tests can drive time with FakeClock instead of sleeping; code that
// blocks until a deadline waits through waitUntil() so a FakeClock's advance() can end the wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace dbtoken::common {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time for deadlines, backoff and durations.
  virtual SteadyTime now() const = 0;
  // Calendar time for timestamps written into objects and logs.
  virtual WallTime wallNow() const = 0;
  // Blocks on cv (lk held, released while blocked) until it is notified or this clock reaches
  // the deadline; may wake spuriously, like std::condition_variable::wait_until.
  virtual std::cv_status waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk,
                                   SteadyTime deadline) const = 0;

  // Waits until pred() holds or the deadline passes; pred() at the end (std's contract).
  template <typename Predicate>
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk, SteadyTime deadline,
                 Predicate pred) const {
    while (!pred()) {
      if (waitUntil(cv, lk, deadline) == std::cv_status::timeout) {
        return pred();
      }
    }
    return true;
  }
};

class RealClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  std::cv_status waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk,
                           SteadyTime deadline) const override {
    return cv.wait_until(lk, deadline);
  }
  using Clock::waitUntil;
};

// A clock that only moves when a test says so. Thread-safe. A thread blocked in waitUntil()
// wakes when advance() reaches its deadline (or when its condition variable is notified), so a
// test can tell a blocked thread from a slow one: awaitWaiters() returns once enough threads
// are blocked on this clock.
class FakeClock final : public Clock {
 public:
  FakeClock();
  SteadyTime now() const override;
  WallTime wallNow() const override;
  std::cv_status waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk,
                           SteadyTime deadline) const override;
  using Clock::waitUntil;
  // Moves time on and wakes the waiters whose deadline it reaches.
  void advance(std::chrono::nanoseconds d);
  void setWall(WallTime t);

  // Threads blocked in waitUntil() whose deadline this clock has not reached yet.
  size_t waiters() const;
  // Blocks until at least n threads wait on this clock; false if that has not happened within
  // `guard` of real time (a test that would otherwise hang fails instead).
  bool awaitWaiters(size_t n,
                    std::chrono::milliseconds guard = std::chrono::milliseconds(10000)) const;

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mu;
    SteadyTime deadline;
  };

  // Held by advance() while it notifies, and by a waiter leaving waitUntil(), so a waiter's
  // condition variable and mutex outlive every notify aimed at them. Taken before mu_ and before
  // a waiter's mutex; mu_ is never held while a waiter's mutex is taken.
  mutable std::mutex notifyMu_;
  mutable std::mutex mu_;
  mutable std::condition_variable waitersChanged_;
  SteadyTime steady_;
  WallTime wall_;
  mutable std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace dbtoken::common
