#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "kube/api_server.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "runtime/event_recorder.h"
#include "testing/fake_kube_api.h"
#include "testing/kube_fixtures.h"
#include "testing/kube_in_process.h"

using namespace dbtoken;
using nlohmann::json;

namespace {

// Holds the recorder's writer inside create() until released, as a hanging API server would.
class HangingCreates {
 public:
  explicit HangingCreates(testing::FakeKubeApi& api) {
    api.onCreate = [this](const kube::Resource&, const std::string&, const json& event,
                          const kube::WriteOptions&) -> common::Result<json> {
      std::unique_lock lk(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lk, [this] { return released_; });
      return event;
    };
  }
  // Whether a create() has started (the guard only turns a hang into a failure).
  bool awaitEntered() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(10), [this] { return entered_; });
  }
  void release() {
    {
      std::lock_guard lk(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  // Declared after the recorder, it releases the writer before the recorder joins it, so a
  // failing check does not leave the test stuck.
  struct Releaser {
    HangingCreates* hang;
    ~Releaser() { hang->release(); }
  };
  Releaser releaseOnExit() { return Releaser{this}; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

json someSecret() {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "s"}, {"namespace", "default"}, {"uid", "u"}}}};
}

struct RecorderFixture {
  kubedouble::ApiServer server;
  testing::KubeInProcessTransport* transport = nullptr;
  std::unique_ptr<kube::RestKubeApi> api;
  common::FakeClock clock;
  runtime::Registry metrics;
  std::unique_ptr<runtime::KubeEventRecorder> recorder;
  json object = {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                 {"kind", "DatabaseToken"},
                 {"metadata",
                  {{"name", "writer"},
                   {"namespace", "default"},
                   {"uid", "0b6f1c7e-1111-4222-8333-444455556666"},
                   {"resourceVersion", "12"}}}};

  RecorderFixture() {
    auto t = std::make_unique<testing::KubeInProcessTransport>(server);
    transport = t.get();
    api = std::make_unique<kube::RestKubeApi>(std::move(t), kube::RestOptions{});
    runtime::EventRecorderOptions o;
    o.instance = "operator-0";
    o.clock = &clock;
    o.metrics = &metrics;
    recorder = std::make_unique<runtime::KubeEventRecorder>(*api, o);
  }
  std::vector<json> events() {
    auto list = api->list(kube::resources::events(), "default", {});
    REQUIRE(list.ok());
    return list->items;
  }
  double counter(const char* name, const char* label, const char* value) {
    return metrics.counter(name, "", {label}).with({value}).value();
  }
  int writes(const char* method) {
    int n = 0;
    for (const auto& r : transport->requests()) {
      n += r.method == method && r.target.find("/events") != std::string::npos ? 1 : 0;
    }
    return n;
  }
};

}  // namespace

TEST_CASE("EventRecorder: an event names the object, the reason, the type and the source") {
  RecorderFixture f;
  f.recorder->event(f.object, runtime::EventType::kNormal, "Created", "Token 55555555 created.");
  f.recorder->flush();
  auto events = f.events();
  REQUIRE(events.size() == 1);
  const json& e = events[0];
  CHECK(e["involvedObject"]["kind"] == "DatabaseToken");
  CHECK(e["involvedObject"]["name"] == "writer");
  CHECK(e["involvedObject"]["uid"] == "0b6f1c7e-1111-4222-8333-444455556666");
  CHECK(e["involvedObject"]["apiVersion"] == "tokens.influxdb.dev/v1alpha1");
  CHECK(e["reason"] == "Created");
  CHECK(e["message"] == "Token 55555555 created.");
  CHECK(e["type"] == "Normal");
  CHECK(e["count"] == 1);
  CHECK(e["source"]["component"] == "influxdb-token-operator");
  CHECK(e["reportingComponent"] == "influxdb-token-operator");
  CHECK(e["reportingInstance"] == "operator-0");
  CHECK(e["firstTimestamp"] == "2030-01-01T00:00:00Z");
}

TEST_CASE("EventRecorder: a repeated event bumps count and lastTimestamp with a patch") {
  RecorderFixture f;
  f.recorder->event(f.object, runtime::EventType::kWarning, "RevokeFailed", "The API said 503.");
  f.recorder->flush();
  f.clock.advance(std::chrono::seconds(30));
  f.recorder->event(f.object, runtime::EventType::kWarning, "RevokeFailed", "The API said 503.");
  f.recorder->event(f.object, runtime::EventType::kWarning, "RevokeFailed", "The API said 503.");
  f.recorder->flush();
  auto events = f.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]["count"] == 3);
  CHECK(events[0]["lastTimestamp"] == "2030-01-01T00:00:30Z");
  CHECK(events[0]["type"] == "Warning");
  CHECK(f.writes("POST") == 1);
  CHECK(f.writes("PATCH") == 2);
  CHECK(f.counter("dbtoken_events_written_total", "result", "created") == 1);
  CHECK(f.counter("dbtoken_events_written_total", "result", "aggregated") == 2);

  SECTION("an event that expired meanwhile starts a new series") {
    REQUIRE(f.api->remove(kube::resources::events(), "default", kube::nameOf(events[0]), {}).ok());
    f.recorder->event(f.object, runtime::EventType::kWarning, "RevokeFailed", "The API said 503.");
    f.recorder->flush();
    auto again = f.events();
    REQUIRE(again.size() == 1);
    CHECK(again[0]["count"] == 1);
  }
}

TEST_CASE(
    "EventRecorder: the spam filter lets 25 events through per object, then one per 5 "
    "minutes") {
  RecorderFixture f;
  // Different reasons, so the aggregation by reason does not combine them first.
  for (int i = 0; i < 40; ++i) {
    f.recorder->event(f.object, runtime::EventType::kNormal, "Tick" + std::to_string(i), "tick");
  }
  f.recorder->flush();
  CHECK(f.events().size() == 25);
  CHECK(f.counter("dbtoken_events_dropped_total", "reason", "spam") == 15);
  f.clock.advance(std::chrono::minutes(5));
  f.recorder->event(f.object, runtime::EventType::kNormal, "Tick40", "tick");
  f.recorder->event(f.object, runtime::EventType::kNormal, "Tick41", "tick");
  f.recorder->flush();
  CHECK(f.events().size() == 26);
  CHECK(f.counter("dbtoken_events_dropped_total", "reason", "spam") == 16);

  json other = f.object;
  other["metadata"]["name"] = "reader";
  other["metadata"]["uid"] = "other-uid";
  f.recorder->event(other, runtime::EventType::kNormal, "Tick", "tick");
  f.recorder->flush();
  CHECK(f.events().size() == 27);  // per object
}

TEST_CASE(
    "EventRecorder: the 10th different message for one object, type and reason within 10 "
    "minutes goes into one combined Event, as client-go's aggregator does") {
  RecorderFixture f;
  auto fail = [&f](int i, const char* reason = "RevokeFailed") {
    f.recorder->event(f.object, runtime::EventType::kWarning, reason,
                      "Attempt " + std::to_string(i) + " failed.");
  };
  for (int i = 1; i <= 9; ++i) {
    fail(i);
    f.clock.advance(std::chrono::seconds(30));
  }
  f.recorder->flush();
  CHECK(f.events().size() == 9);  // below the threshold, one Event each

  fail(10);
  f.clock.advance(std::chrono::seconds(30));
  fail(11);
  fail(12);
  f.recorder->flush();
  auto events = f.events();
  REQUIRE(events.size() == 10);  // one more object, not three
  json combined;
  for (const auto& e : events) {
    if (e["message"].get<std::string>().rfind("(combined", 0) == 0) {
      combined = e;
    }
  }
  REQUIRE(combined.is_object());
  CHECK(combined["message"] == "(combined from similar events): Attempt 12 failed.");
  CHECK(combined["count"] == 3);
  CHECK(combined["reason"] == "RevokeFailed");
  CHECK(combined["type"] == "Warning");
  CHECK(f.counter("dbtoken_events_written_total", "result", "created") == 10);
  CHECK(f.counter("dbtoken_events_written_total", "result", "aggregated") == 2);

  SECTION("another reason is not combined with them") {
    fail(13, "CreateFailed");
    f.recorder->flush();
    CHECK(f.events().size() == 11);
  }
  SECTION("after 10 quiet minutes, messages are counted afresh") {
    f.clock.advance(std::chrono::minutes(10) + std::chrono::seconds(1));
    fail(13);
    f.recorder->flush();
    auto again = f.events();
    CHECK(again.size() == 11);
    bool plain = false;
    for (const auto& e : again) {
      plain = plain || e["message"] == "Attempt 13 failed.";
    }
    CHECK(plain);
  }
}

TEST_CASE(
    "EventRecorder: event() returns at once while the API hangs; beyond the bounded queue "
    "events are dropped and counted") {
  testing::FakeKubeApi api;
  HangingCreates hang(api);
  common::FakeClock clock;
  runtime::Registry metrics;
  runtime::EventRecorderOptions o;
  o.clock = &clock;
  o.metrics = &metrics;
  o.queueSize = 10;
  o.spamBurst = 100;
  runtime::KubeEventRecorder recorder(api, o);
  json object = someSecret();

  auto releasing = hang.releaseOnExit();
  recorder.event(object, runtime::EventType::kNormal, "First", "first");
  REQUIRE(hang.awaitEntered());
  // The writer is stuck in create(); 15 more events: 10 fill the queue, 5 are dropped.
  auto calls = std::async(std::launch::async, [&] {
    for (int i = 0; i < 15; ++i) {
      recorder.event(object, runtime::EventType::kNormal, "Next" + std::to_string(i), "next");
    }
  });
  REQUIRE(calls.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto& dropped = metrics.counter("dbtoken_events_dropped_total", "", {"reason"});
  CHECK(dropped.with({"queue_full"}).value() == 5);

  hang.release();
  recorder.flush();
  CHECK(metrics.counter("dbtoken_events_written_total", "", {"result"}).with({"created"}).value() ==
        11);
}

TEST_CASE("EventRecorder: an event the API refuses is dropped, counted, and not retried") {
  testing::FakeKubeApi api;
  int creates = 0;
  api.onCreate = [&creates](const kube::Resource&, const std::string&, const json&,
                            const kube::WriteOptions&) -> common::Result<json> {
    ++creates;
    return common::Status(common::Code::kUnavailable, "the API is down");
  };
  common::FakeClock clock;
  runtime::Registry metrics;
  runtime::EventRecorderOptions o;
  o.clock = &clock;
  o.metrics = &metrics;
  runtime::KubeEventRecorder recorder(api, o);
  json object = someSecret();
  recorder.event(object, runtime::EventType::kWarning, "Failed", "one");
  recorder.event(object, runtime::EventType::kWarning, "Failed", "two");
  recorder.flush();
  CHECK(creates == 2);
  auto& dropped = metrics.counter("dbtoken_events_dropped_total", "", {"reason"});
  CHECK(dropped.with({"write_failed"}).value() == 2);
  CHECK(dropped.with({"queue_full"}).value() == 0);
  CHECK(dropped.with({"spam"}).value() == 0);
  std::string text = metrics.render();
  CHECK(text.find("dbtoken_events_dropped_total{reason=\"write_failed\"} 2") != std::string::npos);
}

TEST_CASE(
    "EventRecorder: at shutdown, events still queued after the drain timeout are dropped and "
    "counted; the write in flight finishes") {
  testing::FakeKubeApi api;
  HangingCreates hang(api);
  common::FakeClock clock;
  runtime::Registry metrics;
  auto& dropped = metrics.counter("dbtoken_events_dropped_total", "", {"reason"});
  auto& created = metrics.counter("dbtoken_events_written_total", "", {"result"});
  runtime::EventRecorderOptions o;
  o.clock = &clock;
  o.metrics = &metrics;
  o.drainTimeout = std::chrono::milliseconds(0);
  auto recorder = std::make_unique<runtime::KubeEventRecorder>(api, o);
  json object = someSecret();
  auto releasing = hang.releaseOnExit();
  recorder->event(object, runtime::EventType::kNormal, "First", "first");
  REQUIRE(hang.awaitEntered());
  for (int i = 0; i < 5; ++i) {
    recorder->event(object, runtime::EventType::kNormal, "Next" + std::to_string(i), "next");
  }
  auto stopped = std::async(std::launch::async, [&recorder] { recorder.reset(); });
  // The five queued ones are dropped before the writer is joined, while it is still stuck.
  for (int i = 0; i < 1000 && dropped.with({"shutdown"}).value() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  hang.release();
  REQUIRE(stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(dropped.with({"shutdown"}).value() == 5);
  CHECK(created.with({"created"}).value() == 1);
}
