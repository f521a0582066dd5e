// WorkQueue: the keys of objects waiting to be reconciled, with client-go's semantics. A key is
// queued at most once (adding it again before it is taken changes nothing); a key being
// processed is never handed to a second worker — re-added meanwhile, it is queued again when
// done() is called; delayed adds (addAfter) wait in a timer set that keeps the earliest time per
// key; addRateLimited asks the rate limiter how long. Thread-safe. Time comes from a Clock, and
// get() waits on it: with a FakeClock, a blocked get() wakes when the test advances the clock.
// Exposes the workqueue_* metrics with a name label.
// Two priorities (DESIGN.md "Revocations first"): every urgent key is handed out before any
// normal one, each level in the order its keys went in. A key's priority only rises while it
// waits (an urgent add moves a queued normal key to the back of the urgent line); it is dropped
// when the key is taken, except that a requeue (addAfter, addRateLimited) without a priority
// keeps the one the key was taken at. Normal keys wait while urgent ones are ready: urgent work
// (revocations, finalization) is finite, and a failing urgent key backs off like any other.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "kube/object.h"
#include "runtime/metrics.h"
#include "runtime/rate_limiters.h"

namespace dbtoken::runtime {

// Which keys go first. Ordered: a higher value is handed out first.
enum class Priority { kNormal = 0, kUrgent = 1 };
const char* priorityName(Priority priority);

struct WorkQueueOptions {
  std::string name = "queue";                // the `name` label of the metrics
  const common::Clock* clock = nullptr;      // RealClock when null
  std::unique_ptr<RateLimiter> rateLimiter;  // controller default when null
  Registry* metrics = nullptr;               // no metrics when null; must outlive the queue
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A key already queued at a lower priority moves to the back of this priority's line.
  void add(const kube::ObjectKey& key, Priority priority = Priority::kNormal);
  // Adds the key once the delay has passed (at once when it is not positive). A key already
  // waiting keeps the earlier of the two times and the higher priority. Without a priority:
  // the one the key has in this queue now (taken at, queued or waiting at), normal when none.
  void addAfter(const kube::ObjectKey& key, std::chrono::nanoseconds delay,
                std::optional<Priority> priority = std::nullopt);
  // Adds the key after the rate limiter's delay for it (one more failure), and not before
  // `atLeast` (a server's Retry-After). Priority as for addAfter.
  void addRateLimited(const kube::ObjectKey& key, std::chrono::nanoseconds atLeast = {},
                      std::optional<Priority> priority = std::nullopt);
  // The key succeeded: its failure history is cleared.
  void forget(const kube::ObjectKey& key);
  int numRequeues(const kube::ObjectKey& key) const;

  // The next key of at least priority `atLeast`, blocking until one is ready; nullopt once
  // shutDown() was called. A worker that asks only for urgent keys is a lane kept free for them.
  std::optional<kube::ObjectKey> get(Priority atLeast = Priority::kNormal);
  // The next ready key without blocking (due delayed keys are moved in first).
  std::optional<kube::ObjectKey> tryGet(Priority atLeast = Priority::kNormal);
  // The worker is finished with a key from get()/tryGet().
  void done(const kube::ObjectKey& key);

  // Stops handing out keys: get() answers nullopt at once and adds are ignored. Keys in
  // progress may still be done().
  void shutDown();
  bool shuttingDown() const;

  size_t len() const;  // keys ready to be taken
  size_t len(Priority priority) const;
  size_t waiting() const;  // keys waiting for their delay
  bool isProcessing(const kube::ObjectKey& key) const;
  // When the earliest delayed key becomes ready, if any is waiting.
  std::optional<common::Clock::SteadyTime> nextReadyAt() const;

 private:
  static constexpr size_t kPriorities = 2;
  struct Started {
    common::Clock::SteadyTime at;
    Priority priority;
  };
  struct Waiting {
    common::Clock::SteadyTime at;
    Priority priority;
  };
  using Line = std::list<kube::ObjectKey>;

  void addLocked(const kube::ObjectKey& key, common::Clock::SteadyTime now, Priority priority);
  void addAfterLocked(const kube::ObjectKey& key, std::chrono::nanoseconds delay,
                      std::optional<Priority> priority);
  // The priority the key has here now: the highest of taken at, queued at, waiting at.
  Priority priorityNowLocked(const kube::ObjectKey& key) const;
  void pushReadyLocked(const kube::ObjectKey& key, Priority priority);
  size_t readyLocked() const;
  void promoteDueLocked(common::Clock::SteadyTime now);
  std::optional<kube::ObjectKey> takeLocked(common::Clock::SteadyTime now, Priority atLeast);
  void collectMetrics();

  WorkQueueOptions options_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int selectiveWaiters_ = 0;  // get()s waiting for urgent keys only: wake every waiter then
  // Keys ready to be taken, one line per priority (index = Priority), and where each one sits.
  std::array<Line, kPriorities> ready_;
  std::unordered_map<kube::ObjectKey, Line::iterator, kube::ObjectKeyHash> inLine_;
  // Keys to be processed (queued, or re-added while processing) and at which priority.
  std::unordered_map<kube::ObjectKey, Priority, kube::ObjectKeyHash> dirty_;
  std::unordered_map<kube::ObjectKey, Started, kube::ObjectKeyHash> processing_;
  std::unordered_map<kube::ObjectKey, common::Clock::SteadyTime, kube::ObjectKeyHash> addedAt_;
  std::multimap<common::Clock::SteadyTime, kube::ObjectKey> timers_;
  std::unordered_map<kube::ObjectKey, Waiting, kube::ObjectKeyHash> waitingFor_;
  bool shuttingDown_ = false;

  // Metrics (null without a registry).
  Gauge* depth_ = nullptr;
  Counter* adds_ = nullptr;
  Counter* retries_ = nullptr;
  Histogram* queueDuration_ = nullptr;
  Histogram* workDuration_ = nullptr;
  Gauge* unfinished_ = nullptr;
  Gauge* longestRunning_ = nullptr;
  int collector_ = -1;
};

}  // namespace dbtoken::runtime
