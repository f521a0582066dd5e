// Controller: N workers take keys from a WorkQueue and call a Reconciler; what happens next is
// decided here, in one place (controller-runtime's reconcileHandler): the reconcile returns an
// Action as a value (wait for a change, requeue after d, or requeue with backoff); a failed
// reconcile goes through the ErrorPolicy (transient codes back off through the rate limiter,
// Retry-After is honoured, codes that cannot succeed until something changes are terminal). An
// exception or error in one reconcile never takes down a worker. Owns the workers and the
// controller_runtime_* metrics; not the informers (watch() only subscribes to them). Which keys
// go first is the caller's to say: watch() takes a function from a changed object to a Priority
// (runtime knows no resource kinds).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "kube/object.h"
#include "runtime/informer.h"
#include "runtime/metrics.h"
#include "runtime/work_queue.h"

namespace dbtoken::runtime {

// The next step after a reconcile (kube-rs's Action).
class Action {
 public:
  enum class Kind { kAwaitChange, kRequeueAfter, kRequeue };

  // Nothing to do until the object (or something mapped to it) changes.
  static Action awaitChange() { return Action(Kind::kAwaitChange, {}); }
  // Run again after this long (a periodic check; the failure count is cleared).
  static Action requeueAfter(std::chrono::nanoseconds d) { return Action(Kind::kRequeueAfter, d); }
  // Run again after the rate limiter's backoff for this key, and not before `atLeast` (a
  // server's Retry-After): the failure count goes on growing.
  static Action requeue(std::chrono::nanoseconds atLeast = {}) {
    return Action(Kind::kRequeue, atLeast);
  }

  Kind kind() const { return kind_; }
  // kRequeueAfter: the delay; kRequeue: the least delay; kAwaitChange: zero.
  std::chrono::nanoseconds delay() const { return delay_; }
  friend bool operator==(const Action&, const Action&) = default;

 private:
  Action(Kind kind, std::chrono::nanoseconds delay) : kind_(kind), delay_(delay) {}
  Kind kind_;
  std::chrono::nanoseconds delay_;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Brings the world in line with the object named by key (level-based: the reconciler never
  // learns why it was called). Must not sleep or retry in a loop: return the next step instead.
  virtual common::Result<Action> reconcile(const kube::ObjectKey& key) = 0;
};

// What to do after a failed reconcile.
using ErrorPolicy = std::function<Action(const kube::ObjectKey& key, const common::Status& error)>;

// Back off through the rate limiter on codes that may succeed on a retry, never sooner than a
// server's Retry-After; wait for a change on the others (the reconciler records a condition).
Action defaultErrorPolicy(const kube::ObjectKey& key, const common::Status& error);

// Maps a changed object to the keys to reconcile.
using KeyMapper = std::function<std::vector<kube::ObjectKey>(const nlohmann::json& object)>;
// The object itself.
KeyMapper mapToSelf();
// The owner named by a controller ownerReference of this kind and API group (any version).
KeyMapper mapToOwner(std::string group, std::string kind);
// The priority of the keys a changed object maps to; empty: every key is normal.
using PriorityOf = std::function<Priority(const nlohmann::json& object)>;

struct ControllerOptions {
  std::string name;  // the `controller` label, the work queue's name, log field
  int workers = 1;   // --max-concurrent-reconciles
  // Workers beside those that take only urgent keys: a revocation never waits for a worker to
  // finish an issue, however long the backlog of issues in progress.
  int urgentWorkers = 0;
  ErrorPolicy errorPolicy = defaultErrorPolicy;
  std::unique_ptr<RateLimiter> rateLimiter;  // controller default when null
  Registry* metrics = nullptr;
  common::Logger logger;
  const common::Clock* clock = nullptr;  // RealClock when null
};

class Controller {
 public:
  Controller(Reconciler& reconciler, ControllerOptions options);
  ~Controller();  // shutdown(0) and join
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Enqueues the keys `mapper` gives for every add, update and delete the informer reports, at
  // the priority `priority` gives for the object (after an update: the new one). The informer
  // calls into this controller: stop it before the controller goes away.
  void watch(Informer& informer, KeyMapper mapper = mapToSelf(), PriorityOf priority = nullptr);
  // The handlers watch() subscribes (tests feed them objects directly).
  EventHandlers eventHandlers(KeyMapper mapper, PriorityOf priority = nullptr);
  WorkQueue& queue() { return queue_; }

  // Starts the workers (callers wait for the informers to sync first).
  void start();
  // Stops taking work and waits up to `grace` for reconciles in flight; true when none is left.
  // Workers are joined when every reconcile has returned (at the latest in the destructor).
  bool shutdown(std::chrono::milliseconds grace);

  // One key, taken without blocking and processed on the calling thread (tests). False when no
  // key was ready.
  bool processNext();
  int activeWorkers() const { return active_.load(); }

 private:
  void worker(Priority atLeast);
  void process(const kube::ObjectKey& key);

  Reconciler& reconciler_;
  ControllerOptions options_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  common::Logger log_;
  WorkQueue queue_;
  std::vector<std::thread> workers_;
  std::atomic<int> active_{0};
  std::mutex mu_;
  std::condition_variable idle_;

  Family<Counter>* reconcileTotal_ = nullptr;
  Counter* reconcileErrors_ = nullptr;
  Histogram* reconcileTime_ = nullptr;
  Gauge* activeWorkersGauge_ = nullptr;
};

}  // namespace dbtoken::runtime
