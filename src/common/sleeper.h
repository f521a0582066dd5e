// Sleeper: how code that must wait between attempts waits, so tests never wait in real time.
// RealSleeper blocks the thread; RecordingSleeper (for tests) records each wait and, when given
// a FakeClock, advances it by the same amount instead of blocking.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace dbtoken::common {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleepFor(std::chrono::milliseconds d) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void sleepFor(std::chrono::milliseconds d) override;
};

class RecordingSleeper final : public Sleeper {
 public:
  explicit RecordingSleeper(FakeClock* clock = nullptr) : clock_(clock) {}
  void sleepFor(std::chrono::milliseconds d) override;
  std::vector<std::chrono::milliseconds> waits() const;
  std::chrono::milliseconds total() const;

 private:
  FakeClock* clock_;
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace dbtoken::common
