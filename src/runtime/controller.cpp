#include "runtime/controller.h"

#include "kube/object.h"

namespace dbtoken::runtime {

using common::Code;
using common::Status;

Action defaultErrorPolicy(const kube::ObjectKey&, const Status& error) {
  if (!error.retryable()) {
    return Action::awaitChange();
  }
  return Action::requeue(error.retryAfter().value_or(std::chrono::milliseconds(0)));
}

KeyMapper mapToSelf() {
  return [](const nlohmann::json& object) {
    return std::vector<kube::ObjectKey>{kube::keyOf(object)};
  };
}

KeyMapper mapToOwner(std::string group, std::string kind) {
  return [group = std::move(group), kind = std::move(kind)](const nlohmann::json& object) {
    std::vector<kube::ObjectKey> out;
    for (const auto& ref : kube::ownerReferencesOf(object)) {
      std::string refGroup = ref.apiVersion.find('/') == std::string::npos
                                 ? ""
                                 : ref.apiVersion.substr(0, ref.apiVersion.find('/'));
      if (ref.controller && ref.kind == kind && refGroup == group) {
        out.push_back({kube::namespaceOf(object), ref.name});
      }
    }
    return out;
  };
}

Controller::Controller(Reconciler& reconciler, ControllerOptions options)
    : reconciler_(reconciler),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      log_(options_.logger.named("controller").with({{"controller", options_.name}})),
      queue_(WorkQueueOptions{options_.name, options_.clock, std::move(options_.rateLimiter),
                              options_.metrics}) {
  if (!options_.errorPolicy) {
    options_.errorPolicy = defaultErrorPolicy;
  }
  if (options_.workers < 1) {
    options_.workers = 1;
  }
  if (Registry* r = options_.metrics) {
    const LabelValues name{options_.name};
    reconcileTotal_ =
        &r->counter("controller_runtime_reconcile_total",
                    "Total number of reconciliations per controller", {"controller", "result"});
    for (const char* result : {"success", "error", "requeue", "requeue_after"}) {
      reconcileTotal_->with({options_.name, result});  // every series exists from the start
    }
    reconcileErrors_ =
        &r->counter("controller_runtime_reconcile_errors_total",
                    "Total number of reconciliation errors per controller", {"controller"})
             .with(name);
    reconcileTime_ =
        &r->histogram(
              "controller_runtime_reconcile_time_seconds",
              "Length of time per reconciliation per controller", {"controller"},
              {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
               0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
               6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60})
             .with(name);
    r->gauge("controller_runtime_max_concurrent_reconciles",
             "Maximum number of concurrent reconciles per controller", {"controller"})
        .with(name)
        .set(options_.workers);
    activeWorkersGauge_ =
        &r->gauge("controller_runtime_active_workers",
                  "Number of currently used workers per controller", {"controller"})
             .with(name);
  }
}

Controller::~Controller() {
  shutdown(std::chrono::milliseconds(0));
  for (auto& w : workers_) {
    if (w.joinable()) {
      w.join();
    }
  }
}

EventHandlers Controller::eventHandlers(KeyMapper mapper, PriorityOf priority) {
  auto enqueue = [this, mapper = std::move(mapper),
                  priority = std::move(priority)](const ObjectPtr& object) {
    const Priority p = priority ? priority(*object) : Priority::kNormal;
    for (const auto& key : mapper(*object)) {
      queue_.add(key, p);
    }
  };
  return {enqueue, [enqueue](const ObjectPtr&, const ObjectPtr& now) { enqueue(now); }, enqueue};
}

void Controller::watch(Informer& informer, KeyMapper mapper, PriorityOf priority) {
  informer.addHandlers(eventHandlers(std::move(mapper), std::move(priority)));
}

void Controller::start() {
  if (!workers_.empty()) {
    return;
  }
  log_.info("starting workers",
            {{"workers", options_.workers}, {"urgentWorkers", options_.urgentWorkers}});
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { worker(Priority::kNormal); });
  }
  for (int i = 0; i < options_.urgentWorkers; ++i) {
    workers_.emplace_back([this] { worker(Priority::kUrgent); });
  }
}

bool Controller::shutdown(std::chrono::milliseconds grace) {
  queue_.shutDown();
  std::unique_lock lk(mu_);
  bool drained =
      clock_.waitUntil(idle_, lk, clock_.now() + grace, [this] { return active_.load() == 0; });
  if (!drained) {
    log_.warn("reconciles still running at the end of the shutdown grace period",
              {{"active", active_.load()}});
  }
  return drained;
}

void Controller::worker(Priority atLeast) {
  while (auto key = queue_.get(atLeast)) {
    process(*key);
  }
}

bool Controller::processNext() {
  auto key = queue_.tryGet();
  if (!key) {
    return false;
  }
  process(*key);
  return true;
}

void Controller::process(const kube::ObjectKey& key) {
  ++active_;
  if (activeWorkersGauge_ != nullptr) {
    activeWorkersGauge_->inc();
  }
  auto started = clock_.now();
  common::Result<Action> outcome = Status(Code::kInternal, "reconcile did not run");
  try {
    outcome = reconciler_.reconcile(key);
  } catch (const std::exception& e) {
    outcome = Status(Code::kInternal, std::string("reconcile threw: ") + e.what());
  } catch (...) {
    outcome = Status(Code::kInternal, "reconcile threw a non-standard exception");
  }
  auto elapsed = clock_.now() - started;
  if (reconcileTime_ != nullptr) {
    reconcileTime_->observe(std::chrono::duration<double>(elapsed).count());
  }

  Action action = Action::awaitChange();
  const char* result = "success";
  if (outcome.ok()) {
    action = outcome.value();
    if (action.kind() == Action::Kind::kRequeue) {
      result = "requeue";
    } else if (action.kind() == Action::Kind::kRequeueAfter) {
      result = "requeue_after";
    }
  } else {
    result = "error";
    if (reconcileErrors_ != nullptr) {
      reconcileErrors_->inc();
    }
    action = options_.errorPolicy(key, outcome.status());
    // The one line of a failed reconcile. A Conflict is the object changing under a stale read
    // (often by this process's own write): re-read and retried, worth a debug line only.
    const bool conflict = outcome.status().code() == Code::kConflict;
    log_.log(
        conflict ? common::LogLevel::kDebug : common::LogLevel::kError,
        conflict ? "reconcile conflicted; re-reading" : "reconcile failed",
        {{"key", key.toString()},
         {"error", outcome.status().toString()},
         {"next", action.kind() == Action::Kind::kAwaitChange ? "wait for a change" : "retry"}});
  }
  if (reconcileTotal_ != nullptr) {
    reconcileTotal_->with({options_.name, result}).inc();
  }
  switch (action.kind()) {
    case Action::Kind::kAwaitChange:
      queue_.forget(key);
      break;
    case Action::Kind::kRequeueAfter:
      queue_.forget(key);
      queue_.addAfter(key, action.delay());
      break;
    case Action::Kind::kRequeue:
      queue_.addRateLimited(key, action.delay());  // at the priority the key was taken at
      break;
  }
  queue_.done(key);
  if (activeWorkersGauge_ != nullptr) {
    activeWorkersGauge_->dec();
  }
  {
    std::lock_guard lk(mu_);
    --active_;
  }
  idle_.notify_all();
}

}  // namespace dbtoken::runtime
