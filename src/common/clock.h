// Clock: the one source of time for everything that schedules, times out or stamps. Production
// code takes a Clock& so tests can drive time with FakeClock instead of sleeping.
#pragma once

#include <chrono>
#include <mutex>

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
};

class RealClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when a test says so. Thread-safe.
class FakeClock final : public Clock {
 public:
  FakeClock();
  SteadyTime now() const override;
  WallTime wallNow() const override;
  void advance(std::chrono::nanoseconds d);
  void setWall(WallTime t);

 private:
  mutable std::mutex mu_;
  SteadyTime steady_;
  WallTime wall_;
};

}  // namespace dbtoken::common
