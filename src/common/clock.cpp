#include "common/clock.h"

#include <algorithm>

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

std::cv_status FakeClock::waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk,
                                    SteadyTime deadline) const {
  auto self = std::make_shared<Waiter>(Waiter{&cv, lk.mutex(), deadline});
  {
    // The caller holds lk, so advance() cannot notify before cv.wait() below releases it.
    std::lock_guard g(mu_);
    if (steady_ >= deadline) {
      return std::cv_status::timeout;
    }
    waiters_.push_back(self);
  }
  waitersChanged_.notify_all();
  cv.wait(lk);
  // Leave without lk: advance() takes notifyMu_ before a waiter's mutex.
  lk.unlock();
  bool due = false;
  {
    std::lock_guard n(notifyMu_);
    std::lock_guard g(mu_);
    waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), self), waiters_.end());
    due = steady_ >= deadline;
  }
  waitersChanged_.notify_all();
  lk.lock();
  return due ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void FakeClock::advance(std::chrono::nanoseconds d) {
  std::lock_guard n(notifyMu_);
  std::vector<std::shared_ptr<Waiter>> due;
  {
    std::lock_guard lk(mu_);
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    for (const auto& w : waiters_) {
      if (w->deadline <= steady_) {
        due.push_back(w);
      }
    }
    // No longer counted as waiting, even before the woken thread runs.
    waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                  [&](const auto& w) { return w->deadline <= steady_; }),
                   waiters_.end());
  }
  for (const auto& w : due) {
    // Taking the waiter's mutex means it is inside cv.wait() (or has not registered yet): the
    // notify cannot fall between its check of the time and its wait.
    { std::lock_guard wl(*w->mu); }
    w->cv->notify_all();
  }
  waitersChanged_.notify_all();
}

void FakeClock::setWall(WallTime t) {
  std::lock_guard lk(mu_);
  wall_ = t;
}

size_t FakeClock::waiters() const {
  std::lock_guard lk(mu_);
  return waiters_.size();
}

bool FakeClock::awaitWaiters(size_t n, std::chrono::milliseconds guard) const {
  std::unique_lock lk(mu_);
  return waitersChanged_.wait_for(lk, guard, [&] { return waiters_.size() >= n; });
}

}  // namespace dbtoken::common
