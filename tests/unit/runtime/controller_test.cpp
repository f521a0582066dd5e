#include <catch2/catch.hpp>

#include <atomic>
#include <map>
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
  f.reconciler.answer = [](const ObjectKey& key) -> common::Result<Action> {
    if (key.name == "bad") {
      throw std::runtime_error("boom");
    }
    return Action::awaitChange();
  };
  f.controller->queue().add({"ns", "bad"});
  f.controller->queue().add({"ns", "good"});
  f.controller->start();
  for (int i = 0; i < 500 && f.reconciler.calls["good"] == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  CHECK(f.controller->shutdown(std::chrono::seconds(2)));
  CHECK(f.reconciler.calls["good"] == 1);
  CHECK_THAT(f.text(), Catch::Contains(
                           "controller_runtime_reconcile_errors_total{controller=\"dbtoken\"} 1"));
  CHECK_THAT(f.text(),
             Catch::Contains("controller_runtime_reconcile_total{controller=\"dbtoken\",result="
                             "\"success\"} 1"));
}

TEST_CASE(
    "Controller: with N workers one key never runs twice at once, shutdown waits for "
    "reconciles in flight") {
  std::atomic<int> concurrent{0};
  std::atomic<int> maxConcurrent{0};
  std::mutex mu;
  std::set<std::string> running;
  std::atomic<bool> overlap{false};
  class Slow final : public runtime::Reconciler {
   public:
    std::function<common::Result<Action>(const ObjectKey&)> fn;
    common::Result<Action> reconcile(const ObjectKey& key) override { return fn(key); }
  } reconciler;
  reconciler.fn = [&](const ObjectKey& key) -> common::Result<Action> {
    {
      std::lock_guard lk(mu);
      overlap = overlap || !running.insert(key.name).second;
    }
    int now = ++concurrent;
    int seen = maxConcurrent.load();
    while (now > seen && !maxConcurrent.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(milliseconds(5));
    --concurrent;
    {
      std::lock_guard lk(mu);
      running.erase(key.name);
    }
    return Action::awaitChange();
  };
  runtime::Registry metrics;
  runtime::ControllerOptions o;
  o.name = "parallel";
  o.workers = 4;
  o.metrics = &metrics;
  runtime::Controller controller(reconciler, std::move(o));
  controller.start();
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 6; ++k) {
      controller.queue().add({"ns", "k" + std::to_string(k)});
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  std::this_thread::sleep_for(milliseconds(20));
  CHECK(controller.shutdown(std::chrono::seconds(5)));
  CHECK(controller.activeWorkers() == 0);
  CHECK_FALSE(overlap.load());
  CHECK(maxConcurrent.load() > 1);
  CHECK(maxConcurrent.load() <= 4);
  CHECK_THAT(
      metrics.render(),
      Catch::Contains("controller_runtime_max_concurrent_reconciles{controller=\"parallel\"} 4"));
}

TEST_CASE("Controller: shutdown with a reconcile still running reports it after the grace period") {
  std::atomic<bool> release{false};
  class Blocking final : public runtime::Reconciler {
   public:
    std::atomic<bool>* release = nullptr;
    common::Result<Action> reconcile(const ObjectKey&) override {
      while (!release->load()) {
        std::this_thread::sleep_for(milliseconds(1));
      }
      return Action::awaitChange();
    }
  } reconciler;
  reconciler.release = &release;
  runtime::ControllerOptions o;
  o.name = "blocking";
  runtime::Controller controller(reconciler, std::move(o));
  controller.queue().add({"ns", "a"});
  controller.start();
  while (controller.activeWorkers() == 0) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  CHECK_FALSE(controller.shutdown(milliseconds(30)));
  release = true;
  CHECK(controller.shutdown(std::chrono::seconds(2)));
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
