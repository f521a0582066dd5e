#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "runtime/controller.h"

using namespace dbtoken;
using common::Code;
using common::Status;
using kube::ObjectKey;
using runtime::Action;
using std::chrono::milliseconds;

namespace {

// A reconciler whose answer per key is scripted; it counts its calls.
class ScriptedReconciler final : public runtime::Reconciler {
 public:
  std::function<common::Result<Action>(const ObjectKey&)> answer;
  std::map<std::string, int> calls;
  common::Result<Action> reconcile(const ObjectKey& key) override {
    ++calls[key.name];
    return answer(key);
  }
};

struct ControllerFixture {
  common::FakeClock clock;
  runtime::Registry metrics;
  ScriptedReconciler reconciler;
  std::unique_ptr<runtime::Controller> controller;
  ControllerFixture() {
    runtime::ControllerOptions o;
    o.name = "dbtoken";
    o.clock = &clock;
    o.metrics = &metrics;
    controller = std::make_unique<runtime::Controller>(reconciler, std::move(o));
  }
  std::string text() { return metrics.render(); }
};

}  // namespace

TEST_CASE("Controller: the reconcile's Action decides what happens next") {
  struct Row {
    const char* sentence;
    common::Result<Action> outcome;
    const char* result;                  // the result label counted
    std::optional<milliseconds> nextIn;  // when the key comes back; nullopt: it does not
  };
  const Row rows[] = {
      {"awaitChange: nothing more until the object changes", Action::awaitChange(), "success",
       std::nullopt},
      {"requeueAfter: back after exactly that long", Action::requeueAfter(std::chrono::seconds(30)),
       "requeue_after", milliseconds(30000)},
      {"requeue: back after the rate limiter's 5 ms", Action::requeue(), "requeue",
       milliseconds(5)},
      {"a transient error backs off through the rate limiter",
       Status(Code::kUnavailable, "503 from the API"), "error", milliseconds(5)},
      {"an error with Retry-After comes back after it",
       Status(Code::kUnavailable, "429").withRetryAfter(std::chrono::seconds(7)), "error",
       milliseconds(7000)},
      {"requeue with a least delay: back after the longer of it and the rate limiter's",
       Action::requeue(std::chrono::seconds(30)), "requeue", milliseconds(30000)},
      {"a conflict is retried (re-read)", Status(Code::kConflict, "409"), "error", milliseconds(5)},
      {"an error that cannot succeed until something changes is terminal",
       Status(Code::kInvalidArgument, "bad spec"), "error", std::nullopt},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    ControllerFixture f;
    f.reconciler.answer = [&](const ObjectKey&) { return row.outcome; };
    f.controller->queue().add({"ns", "a"});
    REQUIRE(f.controller->processNext());
    CHECK_THAT(f.text(),
               Catch::Contains("controller_runtime_reconcile_total{controller=\"dbtoken\","
                               "result=\"" +
                               std::string(row.result) + "\"} 1"));
    if (!row.nextIn) {
      CHECK(f.controller->queue().waiting() == 0);
      CHECK(f.controller->queue().len() == 0);
      continue;
    }
    f.clock.advance(*row.nextIn - milliseconds(1));
    CHECK_FALSE(f.controller->processNext());
    f.clock.advance(milliseconds(1));
    CHECK(f.controller->processNext());
    CHECK(f.reconciler.calls["a"] == 2);
  }
}

TEST_CASE("Controller: an exception in a reconcile is an error for that key, not a dead worker") {
  ControllerFixture f;
  std::mutex mu;
  std::condition_variable reconciled;
  std::vector<std::string> order;
  f.reconciler.answer = [&](const ObjectKey& key) -> common::Result<Action> {
    {
      std::lock_guard lk(mu);
      order.push_back(key.name);
    }
    reconciled.notify_all();
    if (key.name == "bad") {
      throw std::runtime_error("boom");
    }
    return Action::awaitChange();
  };
  f.controller->queue().add({"ns", "bad"});
  f.controller->queue().add({"ns", "good"});
  f.controller->start();  // one worker: "good" can only run if it survived "bad"
  {
    std::unique_lock lk(mu);
    CHECK(reconciled.wait_for(lk, std::chrono::seconds(10), [&] { return order.size() == 2; }));
  }
  CHECK(f.controller->shutdown(std::chrono::seconds(2)));
  std::lock_guard lk(mu);
  CHECK(order == std::vector<std::string>{"bad", "good"});
  CHECK_THAT(f.text(), Catch::Contains(
                           "controller_runtime_reconcile_errors_total{controller=\"dbtoken\"} 1"));
  CHECK_THAT(f.text(),
             Catch::Contains("controller_runtime_reconcile_total{controller=\"dbtoken\",result="
                             "\"success\"} 1"));
}

namespace {

// A reconciler that holds every reconcile until the test opens the gate, so a test can see
// which reconciles run at the same time.
class GatedReconciler final : public runtime::Reconciler {
 public:
  common::Result<Action> reconcile(const ObjectKey& key) override {
    std::unique_lock lk(mu_);
    overlap_ = overlap_ || !running_.insert(key.name).second;
    ++started_;
    maxConcurrent_ = std::max(maxConcurrent_, static_cast<int>(running_.size()));
    changed_.notify_all();
    changed_.wait(lk, [&] { return open_; });
    running_.erase(key.name);
    ++finished_;
    changed_.notify_all();
    return Action::awaitChange();
  }
  // Waits (the guard only turns a hang into a failure) until n reconciles are running at once.
  bool awaitRunning(size_t n) {
    std::unique_lock lk(mu_);
    return changed_.wait_for(lk, std::chrono::seconds(10), [&] { return running_.size() >= n; });
  }
  void open() {
    {
      std::lock_guard lk(mu_);
      open_ = true;
    }
    changed_.notify_all();
  }
  std::set<std::string> running() {
    std::lock_guard lk(mu_);
    return running_;
  }
  int started() {
    std::lock_guard lk(mu_);
    return started_;
  }
  int finished() {
    std::lock_guard lk(mu_);
    return finished_;
  }
  int maxConcurrent() {
    std::lock_guard lk(mu_);
    return maxConcurrent_;
  }
  bool overlap() {
    std::lock_guard lk(mu_);
    return overlap_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::set<std::string> running_;
  bool open_ = false;
  bool overlap_ = false;
  int started_ = 0;
  int finished_ = 0;
  int maxConcurrent_ = 0;
};

// Runs f when the scope ends: opens the gate even when a REQUIRE fails, so a broken controller
// fails the test instead of hanging it in the join.
template <typename F>
class Finally {
 public:
  explicit Finally(F f) : f_(std::move(f)) {}
  ~Finally() { f_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  F f_;
};

}  // namespace

TEST_CASE(
    "Controller: with N workers one key never runs twice at once, shutdown waits for "
    "reconciles in flight") {
  common::FakeClock clock;
  GatedReconciler reconciler;
  runtime::Registry metrics;
  runtime::ControllerOptions o;
  o.name = "parallel";
  o.workers = 4;
  o.metrics = &metrics;
  o.clock = &clock;
  runtime::Controller controller(reconciler, std::move(o));
  std::future<bool> drained;
  Finally unblock([&] { reconciler.open(); });
  for (int k = 0; k < 6; ++k) {
    controller.queue().add({"ns", "k" + std::to_string(k)});
  }
  controller.start();
  // All four workers busy at once, with four different keys.
  REQUIRE(reconciler.awaitRunning(4));
  CHECK(controller.activeWorkers() == 4);
  CHECK(controller.queue().len() == 2);
  // Keys in flight added again are held back until done, not handed to the two idle keys'
  // workers: no worker is free, and none may take a running key.
  for (const auto& name : reconciler.running()) {
    controller.queue().add({"ns", name});
  }
  CHECK(controller.queue().len() == 2);

  // shutdown() waits on the controller's clock while the reconciles are held: it is blocked,
  // not finished, until they return.
  drained =
      std::async(std::launch::async, [&] { return controller.shutdown(std::chrono::seconds(5)); });
  REQUIRE(clock.awaitWaiters(1));
  CHECK(drained.wait_for(milliseconds(0)) == std::future_status::timeout);
  CHECK(reconciler.finished() == 0);
  reconciler.open();
  REQUIRE(drained.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(drained.get());
  CHECK(controller.activeWorkers() == 0);
  CHECK(reconciler.finished() == 4);
  CHECK(reconciler.started() == 4);  // nothing was taken after shutdown
  CHECK_FALSE(reconciler.overlap());
  CHECK(reconciler.maxConcurrent() == 4);
  CHECK_THAT(
      metrics.render(),
      Catch::Contains("controller_runtime_max_concurrent_reconciles{controller=\"parallel\"} 4"));
}

TEST_CASE("Controller: shutdown with a reconcile still running reports it after the grace period") {
  common::FakeClock clock;
  GatedReconciler reconciler;
  runtime::ControllerOptions o;
  o.name = "blocking";
  o.clock = &clock;
  runtime::Controller controller(reconciler, std::move(o));
  std::future<bool> first;
  Finally unblock([&] { reconciler.open(); });
  controller.queue().add({"ns", "a"});
  controller.start();
  REQUIRE(reconciler.awaitRunning(1));
  first = std::async(std::launch::async, [&] { return controller.shutdown(milliseconds(30)); });
  REQUIRE(clock.awaitWaiters(1));  // shutdown() is waiting out its grace period
  clock.advance(milliseconds(29));
  CHECK(first.wait_for(milliseconds(0)) == std::future_status::timeout);
  clock.advance(milliseconds(1));
  REQUIRE(first.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_FALSE(first.get());
  CHECK(controller.activeWorkers() == 1);
  reconciler.open();
  CHECK(controller.shutdown(std::chrono::seconds(2)));  // returns when the reconcile does
  CHECK(controller.activeWorkers() == 0);
}

TEST_CASE("Controller: an urgent key does not wait for busy workers: it has a lane of its own") {
  common::FakeClock clock;
  GatedReconciler reconciler;
  runtime::ControllerOptions o;
  o.name = "lanes";
  o.clock = &clock;
  o.workers = 2;
  o.urgentWorkers = 1;
  runtime::Controller controller(reconciler, std::move(o));
  Finally unblock([&] { reconciler.open(); });
  for (const char* name : {"issue-0", "issue-1", "issue-2", "issue-3"}) {
    controller.queue().add({"ns", name});
  }
  controller.start();
  REQUIRE(reconciler.awaitRunning(2));  // both ordinary workers are held by issues
  controller.queue().add({"ns", "revoke"}, runtime::Priority::kUrgent);
  REQUIRE(reconciler.awaitRunning(3));
  // The lane took the revocation, and only it: no third issue ever started.
  CHECK(reconciler.running() == std::set<std::string>{"issue-0", "issue-1", "revoke"});
  reconciler.open();
  CHECK(controller.shutdown(std::chrono::seconds(5)));
}

TEST_CASE("Controller: mapToOwner maps a dependent to its controller owner of the right kind") {
  nlohmann::json secret = {{"metadata",
                            {{"name", "s"},
                             {"namespace", "telemetry"},
                             {"ownerReferences",
                              {{{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                                {"kind", "DatabaseToken"},
                                {"name", "writer"},
                                {"uid", "u1"},
                                {"controller", true}},
                               {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"name", "other"},
                                {"uid", "u2"},
                                {"controller", false}}}}}}};
  auto keys = runtime::mapToOwner("tokens.influxdb.dev", "DatabaseToken")(secret);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0] == ObjectKey{"telemetry", "writer"});
  CHECK(runtime::mapToOwner("other.group", "DatabaseToken")(secret).empty());
  CHECK(runtime::mapToSelf()(secret) == std::vector<ObjectKey>{{"telemetry", "s"}});
}

namespace {

// A changed object as an informer hands it over; "urgent" says what the priority function sees.
runtime::ObjectPtr informed(const std::string& name, bool urgent) {
  return std::make_shared<const nlohmann::json>(
      nlohmann::json{{"metadata", {{"name", name}, {"namespace", "ns"}}}, {"urgent", urgent}});
}

runtime::Priority urgentField(const nlohmann::json& object) {
  return object.value("urgent", false) ? runtime::Priority::kUrgent : runtime::Priority::kNormal;
}

}  // namespace

TEST_CASE(
    "Controller: with a backlog of normal keys, an object the priority function calls "
    "urgent is reconciled next") {
  ControllerFixture f;
  std::vector<std::string> order;
  f.reconciler.answer = [&](const ObjectKey& key) -> common::Result<Action> {
    order.push_back(key.name);
    return Action::awaitChange();
  };
  auto handlers = f.controller->eventHandlers(runtime::mapToSelf(), urgentField);
  for (int i = 0; i < 1000; ++i) {
    handlers.onAdd(informed("issue-" + std::to_string(i), false));
  }
  REQUIRE(f.controller->processNext());  // the first issue is done
  // One already queued becomes urgent (an update: its new state), and a new one arrives urgent.
  handlers.onUpdate(informed("issue-500", false), informed("issue-500", true));
  handlers.onAdd(informed("revoke-me", true));
  handlers.onAdd(informed("issue-0", false));  // queued again behind the others
  REQUIRE(f.controller->processNext());
  REQUIRE(f.controller->processNext());
  REQUIRE(f.controller->processNext());
  CHECK(order == std::vector<std::string>{"issue-0", "issue-500", "revoke-me", "issue-1"});
  int rest = 0;
  while (f.controller->processNext()) {
    ++rest;
  }
  CHECK(rest == 998);  // issue-2..999 but issue-500 (997), and issue-0 again
  CHECK(f.reconciler.calls["issue-500"] == 1);
}

TEST_CASE("Controller: without a priority function every key is normal, in order") {
  ControllerFixture f;
  std::vector<std::string> order;
  f.reconciler.answer = [&](const ObjectKey& key) -> common::Result<Action> {
    order.push_back(key.name);
    return Action::awaitChange();
  };
  auto handlers = f.controller->eventHandlers(runtime::mapToSelf());
  handlers.onAdd(informed("a", false));
  handlers.onAdd(informed("b", true));
  while (f.controller->processNext()) {
  }
  CHECK(order == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Controller: a failing urgent key is retried through the rate limiter and stays urgent") {
  ControllerFixture f;
  std::vector<std::string> order;
  bool fail = true;
  f.reconciler.answer = [&](const ObjectKey& key) -> common::Result<Action> {
    order.push_back(key.name);
    if (key.name == "revoke-me" && fail) {
      fail = false;
      return Status(Code::kUnavailable, "503 from the Management API")
          .withRetryAfter(std::chrono::seconds(30));
    }
    return Action::awaitChange();
  };
  auto handlers = f.controller->eventHandlers(runtime::mapToSelf(), urgentField);
  handlers.onAdd(informed("revoke-me", true));
  REQUIRE(f.controller->processNext());
  CHECK(f.controller->queue().waiting() == 1);  // not retried on the worker: back in the queue
  for (int i = 0; i < 10; ++i) {
    handlers.onAdd(informed("issue-" + std::to_string(i), false));
  }
  REQUIRE(f.controller->processNext());  // issue-0 while the revocation waits out Retry-After
  f.clock.advance(std::chrono::seconds(30));
  REQUIRE(f.controller->processNext());
  CHECK(order == std::vector<std::string>{"revoke-me", "issue-0", "revoke-me"});
}
