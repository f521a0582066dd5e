#include "runtime/work_queue.h"

#include <algorithm>

namespace dbtoken::runtime {
namespace {

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// How long get() sleeps at most before looking at the clock again.
constexpr std::chrono::milliseconds kMaxIdleWait{1000};

}  // namespace

const char* priorityName(Priority priority) {
  switch (priority) {
    case Priority::kNormal:
      return "normal";
    case Priority::kUrgent:
      return "urgent";
  }
  return "?";
}

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      limiter_(options_.rateLimiter ? std::move(options_.rateLimiter)
                                    : makeControllerRateLimiter(clock_)) {
  if (Registry* r = options_.metrics) {
    const LabelValues name{options_.name};
    depth_ = &r->gauge("workqueue_depth", "Current depth of the work queue.", {"name"}).with(name);
    adds_ = &r->counter("workqueue_adds_total", "Total number of adds handled by the work queue.",
                        {"name"})
                 .with(name);
    retries_ = &r->counter("workqueue_retries_total",
                           "Total number of retries handled by the work queue.", {"name"})
                    .with(name);
    auto buckets = exponentialBuckets(1e-8, 10, 10);
    queueDuration_ = &r->histogram("workqueue_queue_duration_seconds",
                                   "How long in seconds an item stays in the work queue before "
                                   "being requested.",
                                   {"name"}, buckets)
                          .with(name);
    workDuration_ = &r->histogram("workqueue_work_duration_seconds",
                                  "How long in seconds processing an item from the work queue "
                                  "takes.",
                                  {"name"}, buckets)
                         .with(name);
    unfinished_ = &r->gauge("workqueue_unfinished_work_seconds",
                            "How many seconds of work has been done that is in progress and "
                            "hasn't been observed by work_duration.",
                            {"name"})
                       .with(name);
    longestRunning_ = &r->gauge("workqueue_longest_running_processor_seconds",
                                "How many seconds has the longest running processor for the work "
                                "queue been running.",
                                {"name"})
                           .with(name);
    collector_ = r->onCollect([this] { collectMetrics(); });
  }
}

WorkQueue::~WorkQueue() {
  if (collector_ >= 0) {
    options_.metrics->removeCollector(collector_);
  }
  shutDown();
}

void WorkQueue::collectMetrics() {
  std::lock_guard lk(mu_);
  auto now = clock_.now();
  double total = 0;
  double longest = 0;
  for (const auto& [key, started] : processing_) {
    double s = seconds(now - started.at);
    total += s;
    longest = std::max(longest, s);
  }
  unfinished_->set(total);
  longestRunning_->set(longest);
}

size_t WorkQueue::readyLocked() const {
  size_t n = 0;
  for (const Line& line : ready_) {
    n += line.size();
  }
  return n;
}

void WorkQueue::pushReadyLocked(const kube::ObjectKey& key, Priority priority) {
  Line& line = ready_[static_cast<size_t>(priority)];
  line.push_back(key);
  inLine_[key] = std::prev(line.end());
  if (depth_ != nullptr) {
    depth_->set(static_cast<double>(readyLocked()));
  }
  if (selectiveWaiters_ > 0) {
    cv_.notify_all();  // one wake-up could go to a waiter that does not take this key
  } else {
    cv_.notify_one();
  }
}

void WorkQueue::addLocked(const kube::ObjectKey& key, common::Clock::SteadyTime now,
                          Priority priority) {
  if (shuttingDown_) {
    return;
  }
  if (auto dirty = dirty_.find(key); dirty != dirty_.end()) {
    if (priority <= dirty->second) {
      return;  // already to be processed, at this priority or a higher one
    }
    Priority was = dirty->second;
    dirty->second = priority;
    if (auto at = inLine_.find(key); at != inLine_.end()) {
      // Queued at a lower priority: to the back of the higher line (done() takes care of a key
      // that is in progress).
      ready_[static_cast<size_t>(was)].erase(at->second);
      inLine_.erase(at);
      pushReadyLocked(key, priority);
    }
    return;
  }
  if (adds_ != nullptr) {
    adds_->inc();
  }
  dirty_.emplace(key, priority);
  addedAt_.try_emplace(key, now);
  if (processing_.count(key) > 0) {
    return;  // queued again by done()
  }
  pushReadyLocked(key, priority);
}

Priority WorkQueue::priorityNowLocked(const kube::ObjectKey& key) const {
  Priority p = Priority::kNormal;
  if (auto it = processing_.find(key); it != processing_.end()) {
    p = std::max(p, it->second.priority);
  }
  if (auto it = dirty_.find(key); it != dirty_.end()) {
    p = std::max(p, it->second);
  }
  if (auto it = waitingFor_.find(key); it != waitingFor_.end()) {
    p = std::max(p, it->second.priority);
  }
  return p;
}

void WorkQueue::add(const kube::ObjectKey& key, Priority priority) {
  std::lock_guard lk(mu_);
  addLocked(key, clock_.now(), priority);
}

void WorkQueue::addAfter(const kube::ObjectKey& key, std::chrono::nanoseconds delay,
                         std::optional<Priority> priority) {
  std::lock_guard lk(mu_);
  addAfterLocked(key, delay, priority);
}

void WorkQueue::addAfterLocked(const kube::ObjectKey& key, std::chrono::nanoseconds delay,
                               std::optional<Priority> priority) {
  if (shuttingDown_) {
    return;
  }
  auto now = clock_.now();
  Priority p = priority ? *priority : priorityNowLocked(key);
  if (delay.count() <= 0) {
    addLocked(key, now, p);
    return;
  }
  auto at = now + delay;
  auto it = waitingFor_.find(key);
  if (it != waitingFor_.end()) {
    it->second.priority = std::max(it->second.priority, p);
    if (it->second.at <= at) {
      return;  // already waiting for an earlier time
    }
    auto range = timers_.equal_range(it->second.at);
    for (auto t = range.first; t != range.second; ++t) {
      if (t->second == key) {
        timers_.erase(t);
        break;
      }
    }
    it->second.at = at;
  } else {
    waitingFor_.emplace(key, Waiting{at, p});
  }
  timers_.emplace(at, key);
  cv_.notify_all();  // a sleeping get() may need to wake earlier
}

void WorkQueue::addRateLimited(const kube::ObjectKey& key, std::chrono::nanoseconds atLeast,
                               std::optional<Priority> priority) {
  auto delay = std::max(limiter_->when(key), atLeast);
  if (retries_ != nullptr) {
    retries_->inc();
  }
  addAfter(key, delay, priority);
}

void WorkQueue::forget(const kube::ObjectKey& key) {
  limiter_->forget(key);
}

int WorkQueue::numRequeues(const kube::ObjectKey& key) const {
  return limiter_->numRequeues(key);
}

void WorkQueue::promoteDueLocked(common::Clock::SteadyTime now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    kube::ObjectKey key = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Priority priority = Priority::kNormal;
    if (auto w = waitingFor_.find(key); w != waitingFor_.end()) {
      priority = w->second.priority;
      waitingFor_.erase(w);
    }
    addLocked(key, now, priority);
  }
}

std::optional<kube::ObjectKey> WorkQueue::takeLocked(common::Clock::SteadyTime now,
                                                     Priority atLeast) {
  size_t lowest = static_cast<size_t>(atLeast);
  size_t level = kPriorities;
  while (level > lowest && ready_[level - 1].empty()) {
    --level;
  }
  if (level == lowest) {
    return std::nullopt;
  }
  Line& line = ready_[level - 1];
  kube::ObjectKey key = std::move(line.front());
  line.pop_front();
  inLine_.erase(key);
  if (depth_ != nullptr) {
    depth_->set(static_cast<double>(readyLocked()));
  }
  dirty_.erase(key);
  processing_[key] = Started{now, static_cast<Priority>(level - 1)};
  auto added = addedAt_.find(key);
  if (added != addedAt_.end()) {
    if (queueDuration_ != nullptr) {
      queueDuration_->observe(seconds(now - added->second));
    }
    addedAt_.erase(added);
  }
  return key;
}

std::optional<kube::ObjectKey> WorkQueue::get(Priority atLeast) {
  std::unique_lock lk(mu_);
  bool selective = atLeast != Priority::kNormal;
  for (;;) {
    if (shuttingDown_) {
      return std::nullopt;
    }
    auto now = clock_.now();
    promoteDueLocked(now);
    if (auto key = takeLocked(now, atLeast)) {
      return key;
    }
    auto wakeAt = now + kMaxIdleWait;
    if (!timers_.empty()) {
      wakeAt = std::min(wakeAt, timers_.begin()->first);
    }
    selectiveWaiters_ += selective ? 1 : 0;
    clock_.waitUntil(cv_, lk, wakeAt);  // on the injected clock, so a FakeClock can end it
    selectiveWaiters_ -= selective ? 1 : 0;
  }
}

std::optional<kube::ObjectKey> WorkQueue::tryGet(Priority atLeast) {
  std::lock_guard lk(mu_);
  if (shuttingDown_) {
    return std::nullopt;
  }
  auto now = clock_.now();
  promoteDueLocked(now);
  return takeLocked(now, atLeast);
}

void WorkQueue::done(const kube::ObjectKey& key) {
  std::lock_guard lk(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) {
    return;
  }
  auto now = clock_.now();
  if (workDuration_ != nullptr) {
    workDuration_->observe(seconds(now - it->second.at));
  }
  processing_.erase(it);
  if (auto dirty = dirty_.find(key); dirty != dirty_.end() && !shuttingDown_) {
    pushReadyLocked(key, dirty->second);
  }
}

void WorkQueue::shutDown() {
  std::lock_guard lk(mu_);
  shuttingDown_ = true;
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lk(mu_);
  return shuttingDown_;
}

size_t WorkQueue::len() const {
  std::lock_guard lk(mu_);
  return readyLocked();
}

size_t WorkQueue::len(Priority priority) const {
  std::lock_guard lk(mu_);
  return ready_[static_cast<size_t>(priority)].size();
}

size_t WorkQueue::waiting() const {
  std::lock_guard lk(mu_);
  return timers_.size();
}

bool WorkQueue::isProcessing(const kube::ObjectKey& key) const {
  std::lock_guard lk(mu_);
  return processing_.count(key) > 0;
}

std::optional<common::Clock::SteadyTime> WorkQueue::nextReadyAt() const {
  std::lock_guard lk(mu_);
  if (timers_.empty()) {
    return std::nullopt;
  }
  return timers_.begin()->first;
}

}  // namespace dbtoken::runtime
