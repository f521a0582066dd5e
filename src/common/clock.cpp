#include "common/clock.h"

namespace dbtoken::common {

FakeClock::FakeClock()
    // A fixed, recognisable start so test output is stable: 2030-01-01T00:00:00Z.
    : steady_(std::chrono::hours(1)), wall_(std::chrono::seconds(1893456000)) {}

Clock::SteadyTime FakeClock::now() const {
  std::lock_guard lk(mu_);
  return steady_;
}

Clock::WallTime FakeClock::wallNow() const {
  std::lock_guard lk(mu_);
  return wall_;
}

void FakeClock::advance(std::chrono::nanoseconds d) {
  std::lock_guard lk(mu_);
  steady_ += d;
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
}

void FakeClock::setWall(WallTime t) {
  std::lock_guard lk(mu_);
  wall_ = t;
}

}  // namespace dbtoken::common
