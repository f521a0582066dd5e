#include <catch2/catch.hpp>

#include <deque>

#include "kube/api_server.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "runtime/informer.h"
#include "testing/fake_kube_api.h"
#include "testing/kube_in_process.h"

using namespace dbtoken;
using common::Code;
using common::Status;
using kube::WatchEventType;
using nlohmann::json;
using runtime::Informer;
using std::chrono::milliseconds;
using testing::ScriptedWatch;
using testing::watchEvent;

namespace {

// A ConfigMap; without a resourceVersion when rv is empty (as a create must be).
json cm(const std::string& name, const std::string& rv, const std::string& value = "v") {
  json o = {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"data", {{"k", value}}}};
  if (!rv.empty()) {
    o["metadata"]["resourceVersion"] = rv;
  }
  return o;
}

// What the handlers were told, as "add a@5", "update a@5->6", "delete a@6".
struct Recorder {
  std::vector<std::string> events;
  runtime::EventHandlers handlers() {
    auto at = [](const runtime::ObjectPtr& o) {
      return kube::nameOf(*o) + "@" + kube::resourceVersionOf(*o);
    };
    return {[this, at](const runtime::ObjectPtr& o) { events.push_back("add " + at(o)); },
            [this, at](const runtime::ObjectPtr& a, const runtime::ObjectPtr& b) {
              events.push_back("update " + at(a) + "->" + kube::resourceVersionOf(*b));
            },
            [this, at](const runtime::ObjectPtr& o) { events.push_back("delete " + at(o)); }};
  }
};

runtime::InformerOptions options(common::Clock& clock) {
  runtime::InformerOptions o;
  o.resource = kube::resources::configMaps();
  o.ns = "default";
  o.clock = &clock;
  o.random = [] { return 0.5; };  // no jitter: delays are exact
  return o;
}

kube::ObjectList listOf(std::vector<json> items, const std::string& rv,
                        const std::string& next = "") {
  return kube::ObjectList{std::move(items), rv, next};
}

std::unique_ptr<kube::WatchStream> scripted(std::deque<ScriptedWatch::Item> items) {
  return std::make_unique<ScriptedWatch>(std::move(items));
}

}  // namespace

TEST_CASE("Informer: the list is paged, swapped in at once, and every object announced") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  std::vector<kube::ListOptions> asked;
  api.onList = [&](const kube::Resource&, const std::string&,
                   const kube::ListOptions& o) -> common::Result<kube::ObjectList> {
    asked.push_back(o);
    if (o.continueToken.empty()) {
      return listOf({cm("a", "3"), cm("b", "4")}, "10", "page-2");
    }
    return listOf({cm("c", "9")}, "10");
  };
  Informer informer(api, options(clock));
  Recorder rec;
  informer.addHandlers(rec.handlers());

  CHECK(informer.step() == milliseconds(0));
  CHECK_FALSE(informer.hasSynced());  // nothing is visible before the last page
  CHECK(informer.store().size() == 0);
  CHECK(informer.step() == milliseconds(0));
  CHECK(informer.hasSynced());
  CHECK(informer.state() == Informer::State::kStarting);
  CHECK(informer.store().size() == 3);
  CHECK(informer.resourceVersion() == "10");
  std::sort(rec.events.begin(), rec.events.end());
  CHECK(rec.events == std::vector<std::string>{"add a@3", "add b@4", "add c@9"});
  REQUIRE(asked.size() == 2);
  CHECK(asked[0].limit == 500);
  CHECK(asked[1].continueToken == "page-2");
}

TEST_CASE(
    "Informer: watch events change the store; updates carry (old, new), deletes the last "
    "known state, bookmarks only move the version") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
    return listOf({cm("a", "5")}, "5");
  };
  std::vector<kube::WatchOptions> watches;
  api.onWatch =
      [&](auto&, auto&,
          const kube::WatchOptions& o) -> common::Result<std::unique_ptr<kube::WatchStream>> {
    watches.push_back(o);
    if (watches.size() > 1) {
      return scripted({});
    }
    return scripted({
        watchEvent(WatchEventType::kModified, cm("a", "6", "changed")),
        watchEvent(WatchEventType::kAdded, cm("b", "7")),
        watchEvent(WatchEventType::kDeleted, cm("a", "8")),
        watchEvent(WatchEventType::kBookmark, {{"metadata", {{"resourceVersion", "9"}}}}),
    });
  };
  Informer informer(api, options(clock));
  Recorder rec;
  informer.addHandlers(rec.handlers());
  for (int i = 0; i < 6; ++i) {
    CHECK(informer.step() == milliseconds(0));
  }
  CHECK(rec.events ==
        std::vector<std::string>{"add a@5", "update a@5->6", "add b@7", "delete a@6"});
  CHECK(informer.resourceVersion() == "9");
  CHECK(informer.store().get({"default", "a"}) == nullptr);
  REQUIRE(watches.size() == 1);
  CHECK(watches[0].resourceVersion == "5");
  CHECK(watches[0].allowBookmarks);
  CHECK(watches[0].timeout == std::chrono::seconds(450));  // 300 s * (1 + 0.5)

  clock.advance(std::chrono::minutes(5));
  CHECK(informer.step() == milliseconds(0));  // the server ended the watch: resume at once
  CHECK(informer.state() == Informer::State::kStarting);
  CHECK(informer.step() == milliseconds(0));
  REQUIRE(watches.size() == 2);
  CHECK(watches[1].resourceVersion == "9");
}

TEST_CASE(
    "Informer: failures back off 0.8 s doubling to 30 s, and start over after 2 min "
    "without failures") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
    return listOf({}, "1");
  };
  int watchCalls = 0;
  api.onWatch = [&](auto&, auto&, auto&) -> common::Result<std::unique_ptr<kube::WatchStream>> {
    ++watchCalls;
    return Status(Code::kUnavailable, "connection refused");
  };
  Informer informer(api, options(clock));
  REQUIRE(informer.step() == milliseconds(0));
  const long long expected[] = {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (long long ms : expected) {
    INFO("delay " << ms);
    auto d = informer.step();
    CHECK(d == milliseconds(ms));
    clock.advance(d);
  }
  CHECK(informer.state() == Informer::State::kStarting);
  clock.advance(std::chrono::minutes(2) + milliseconds(1));
  CHECK(informer.step() == milliseconds(800));
  CHECK(watchCalls == 9);
}

TEST_CASE("Informer: a watch that ends at once with nothing counts as a failure") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
    return listOf({}, "1");
  };
  api.onWatch = [&](auto&, auto&, auto&) -> common::Result<std::unique_ptr<kube::WatchStream>> {
    return scripted({});
  };
  Informer informer(api, options(clock));
  informer.step();
  informer.step();
  CHECK(informer.step() == milliseconds(800));
}

TEST_CASE("Informer: 410 Gone relists and announces only the differences") {
  for (bool inBand : {true, false}) {
    INFO((inBand ? "as an in-band ERROR event" : "as an HTTP 410 to the watch request"));
    common::FakeClock clock;
    testing::FakeKubeApi api;
    int lists = 0;
    api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
      if (++lists == 1) {
        return listOf({cm("a", "1"), cm("b", "2"), cm("c", "3")}, "3");
      }
      return listOf({cm("a", "1"), cm("b", "5"), cm("d", "6")}, "6");
    };
    api.onWatch = [&](auto&, auto&, auto&) -> common::Result<std::unique_ptr<kube::WatchStream>> {
      if (inBand) {
        return scripted({Status(Code::kGone, "too old resource version: 3 (4)")});
      }
      return Status(Code::kGone, "410 Expired");
    };
    Informer informer(api, options(clock));
    Recorder rec;
    informer.addHandlers(rec.handlers());
    for (int i = 0; i < 4 && lists < 2; ++i) {
      CHECK(informer.step() == milliseconds(0));
    }
    CHECK(lists == 2);
    std::sort(rec.events.begin(), rec.events.end());
    CHECK(rec.events == std::vector<std::string>{"add a@1", "add b@2", "add c@3", "add d@6",
                                                 "delete c@3", "update b@2->5"});
    CHECK(informer.store().size() == 3);
    CHECK(informer.resourceVersion() == "6");
  }
}

TEST_CASE("Informer: a 429 waits at least the server's Retry-After") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  int lists = 0;
  api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
    if (++lists == 1) {
      Status s(Code::kUnavailable, "429 TooManyRequests: storage is (re)initializing");
      s.withRetryAfter(std::chrono::seconds(2));
      return s;
    }
    return listOf({}, "1");
  };
  Informer informer(api, options(clock));
  CHECK(informer.step() == milliseconds(2000));
  CHECK(informer.step() == milliseconds(0));
  CHECK(informer.hasSynced());
}

TEST_CASE("Informer: the transform runs before caching, so no Secret value sits in the store") {
  common::FakeClock clock;
  testing::FakeKubeApi api;
  json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", "s"},
        {"namespace", "default"},
        {"resourceVersion", "1"},
        {"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{\"data\":...}"}}}}},
      {"data", {{"token", "c2VjcmV0LXRva2Vu"}}}};
  api.onList = [&](auto&, auto&, auto&) -> common::Result<kube::ObjectList> {
    return listOf({secret}, "1");
  };
  auto o = options(clock);
  o.resource = kube::resources::secrets();
  o.transform = runtime::hashSecretData;
  Informer informer(api, o);
  std::string seen;
  informer.addHandlers({[&](const runtime::ObjectPtr& obj) { seen = obj->dump(); }, {}, {}});
  informer.step();
  auto cached = informer.store().get({"default", "s"});
  REQUIRE(cached);
  std::string text = cached->dump();
  CHECK(text.find("c2VjcmV0LXRva2Vu") == std::string::npos);
  CHECK(text.find("last-applied-configuration") == std::string::npos);
  CHECK((*cached)["data"]["token"].get<std::string>().rfind("sha256:", 0) == 0);
  CHECK(seen == text);
  // A change of value is still a change of the hash.
  json other = secret;
  other["data"]["token"] = "b3RoZXI=";
  CHECK(runtime::hashSecretData(other)["data"] != (*cached)["data"]);
}

namespace {

// A transport that answers list requests from a JSON body and plays one script of watch lines
// per watch request; a script ends in EOF or in a broken connection.
class ScriptedTransport final : public http::Transport {
 public:
  struct Script {
    std::vector<std::string> lines;
    bool breaks = false;  // true: the connection breaks after the lines (a truncated chunk)
  };
  json listBody;
  std::deque<Script> scripts;
  std::vector<std::string> watchTargets;

  common::Result<http::ClientResponse> send(const http::ClientRequest&) override {
    http::ClientResponse r;
    r.status = 200;
    r.headers.add("Content-Type", "application/json");
    r.body = listBody.dump();
    return r;
  }
  common::Result<std::unique_ptr<http::ResponseStream>> openStream(
      const http::ClientRequest& request) override {
    watchTargets.push_back(request.target);
    if (scripts.empty()) {
      return Status(Code::kUnavailable, "connection refused");
    }
    Script s = std::move(scripts.front());
    scripts.pop_front();
    return std::unique_ptr<http::ResponseStream>(std::make_unique<Lines>(std::move(s)));
  }
  std::string baseUrl() const override { return "https://scripted.test"; }

 private:
  class Lines final : public http::ResponseStream {
   public:
    explicit Lines(Script s) : script_(std::move(s)) {}
    int status() const override { return 200; }
    const http::Headers& headers() const override { return headers_; }
    common::Result<std::optional<std::string>> readLine() override {
      if (next_ < script_.lines.size()) {
        return std::optional<std::string>(script_.lines[next_++]);
      }
      if (script_.breaks) {
        return Status(Code::kUnavailable, "reading stream: stream broke: Retrieving message chunk");
      }
      return std::optional<std::string>();
    }
    void cancel() override {}

   private:
    Script script_;
    size_t next_ = 0;
    http::Headers headers_;
  };
};

std::string line(const char* type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump();
}

}  // namespace

TEST_CASE(
    "Informer: a malformed line, an unknown event type or a truncated chunk restarts the "
    "watch from the last version, losing nothing and repeating nothing") {
  common::FakeClock clock;
  auto transportOwner = std::make_unique<ScriptedTransport>();
  ScriptedTransport& transport = *transportOwner;
  transport.listBody = {{"kind", "ConfigMapList"},
                        {"apiVersion", "v1"},
                        {"metadata", {{"resourceVersion", "10"}}},
                        {"items", {cm("a", "10")}}};
  const std::string secretish = "c2VjcmV0LXRva2VuLXZhbHVl";
  transport.scripts = {
      {{line("ADDED", cm("b", "11")),
        "{\"type\":\"MODIFIED\",\"object\":{\"data\":{\"k\":\"" + secretish}},  // cut short
      {{line("MODIFIED", cm("b", "12", "two")), "{\"type\":\"RESYNC\",\"object\":{}}"}},
      {{line("ADDED", cm("c", "13")), ""}, true},
      {{line("ADDED", cm("d", "14"))}},
  };
  common::CapturedLines logs;
  auto sink =
      std::make_shared<common::LogSink>(common::LogLevel::kInfo, common::LogFormat::kText, clock,
                                        std::make_shared<common::Redactor>(), logs.writer());
  common::RecordingSleeper sleeper(&clock);
  kube::RestOptions restOptions;
  restOptions.clock = &clock;
  restOptions.sleeper = &sleeper;
  kube::RestKubeApi api(std::move(transportOwner), restOptions);
  auto o = options(clock);
  o.logger = common::Logger(sink);
  Informer informer(api, o);
  Recorder rec;
  informer.addHandlers(rec.handlers());
  for (int i = 0; i < 30 && transport.watchTargets.size() < 5; ++i) {
    clock.advance(informer.step());
  }
  CHECK(rec.events == std::vector<std::string>{"add a@10", "add b@11", "update b@11->12",
                                               "add c@13", "add d@14"});
  REQUIRE(transport.watchTargets.size() >= 5);  // the fifth is refused (and retried)
  const char* expectedFrom[] = {"resourceVersion=10", "resourceVersion=11", "resourceVersion=12",
                                "resourceVersion=13", "resourceVersion=14"};
  for (size_t i = 0; i < 5; ++i) {
    CHECK_THAT(transport.watchTargets[i], Catch::Contains(expectedFrom[i]));
  }
  std::string logged = logs.joined();
  CHECK_THAT(logged, Catch::Contains("malformed watch event"));
  CHECK_THAT(logged, Catch::Contains("unknown watch event type"));
  CHECK_THAT(logged, Catch::Contains("stream broke"));
  CHECK(logged.find(secretish) == std::string::npos);
}

TEST_CASE(
    "Informer: on its own thread against the API double it syncs, follows writes, and stops "
    "promptly") {
  kubedouble::ApiServer server;
  kube::RestKubeApi api(std::make_unique<testing::KubeInProcessTransport>(server), {});
  const kube::Resource cms = kube::resources::configMaps();
  REQUIRE(api.create(cms, "default", cm("before", ""), {}).ok());
  runtime::InformerOptions o;
  o.resource = cms;
  o.ns = "default";
  Informer informer(api, o);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> added;
  informer.addHandlers({[&](const runtime::ObjectPtr& obj) {
                          std::lock_guard lk(mu);
                          added.push_back(kube::nameOf(*obj));
                          cv.notify_all();
                        },
                        {},
                        {}});
  informer.start();
  REQUIRE(informer.waitForSync(std::chrono::seconds(5)));
  REQUIRE(api.create(cms, "default", cm("after", ""), {}).ok());
  {
    std::unique_lock lk(mu);
    CHECK(cv.wait_for(lk, std::chrono::seconds(5), [&] { return added.size() == 2; }));
  }
  CHECK(added == std::vector<std::string>{"before", "after"});
  auto started = std::chrono::steady_clock::now();
  informer.stop();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}
