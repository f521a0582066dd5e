#include <catch2/catch.hpp>

#include "kube/api_server.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "runtime/event_recorder.h"
#include "testing/kube_fixtures.h"
#include "testing/kube_in_process.h"

using namespace dbtoken;
using nlohmann::json;

namespace {

struct RecorderFixture {
  kubedouble::ApiServer server;
  testing::KubeInProcessTransport* transport = nullptr;
  std::unique_ptr<kube::RestKubeApi> api;
  common::FakeClock clock;
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
    recorder = std::make_unique<runtime::KubeEventRecorder>(*api, o);
  }
  std::vector<json> events() {
    auto list = api->list(kube::resources::events(), "default", {});
    REQUIRE(list.ok());
    return list->items;
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
  for (int i = 0; i < 40; ++i) {
    f.recorder->event(f.object, runtime::EventType::kNormal, "Tick", "tick " + std::to_string(i));
  }
  f.recorder->flush();
  CHECK(f.events().size() == 25);
  f.clock.advance(std::chrono::minutes(5));
  f.recorder->event(f.object, runtime::EventType::kNormal, "Tick", "tick 40");
  f.recorder->event(f.object, runtime::EventType::kNormal, "Tick", "tick 41");
  f.recorder->flush();
  CHECK(f.events().size() == 26);

  json other = f.object;
  other["metadata"]["name"] = "reader";
  other["metadata"]["uid"] = "other-uid";
  f.recorder->event(other, runtime::EventType::kNormal, "Tick", "tick");
  f.recorder->flush();
  CHECK(f.events().size() == 27);  // per object
}
