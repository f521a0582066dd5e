#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "integration/runtime/live_kube.h"
#include "kube/object.h"
#include "runtime/informer.h"
#include "testing/kube_fixtures.h"

using namespace dbtoken;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LiveKube;

namespace {

const kube::Resource kConfigMaps = kube::resources::configMaps();

json cm(const std::string& ns, const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"k", value}}}};
}

// Everything the handlers were told, as "add name@rv", "update name@rv", "delete name".
class Recorder {
 public:
  runtime::EventHandlers handlers() {
    return {
        [this](const runtime::ObjectPtr& o) { push("add " + at(o)); },
        [this](const runtime::ObjectPtr&, const runtime::ObjectPtr& o) { push("update " + at(o)); },
        [this](const runtime::ObjectPtr& o) { push("delete " + kube::nameOf(*o)); }};
  }
  std::vector<std::string> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  void clear() {
    std::lock_guard lk(mu_);
    events_.clear();
  }

 private:
  static std::string at(const runtime::ObjectPtr& o) {
    return kube::nameOf(*o) + "@" + kube::resourceVersionOf(*o);
  }
  void push(std::string e) {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

runtime::InformerOptions optionsFor(kube::Resource resource, std::string ns) {
  runtime::InformerOptions o;
  o.resource = std::move(resource);
  o.ns = std::move(ns);
  return o;
}

// Polls until the condition holds or the time is up.
bool eventually(const std::function<bool()>& condition, milliseconds within = seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

long long count(kubedouble::ApiServer& server, const char* verb, const char* resource) {
  json snapshot = server.counters().snapshot();
  if (!snapshot.contains(verb) || !snapshot[verb].contains(resource)) {
    return 0;
  }
  return snapshot[verb][resource].get<long long>();
}

}  // namespace

TEST_CASE(
    "Informer over HTTPS: dropped watches resume from the last version, losing and "
    "repeating nothing") {
  LiveKube kube;
  auto api = kube.client();
  auto writer = kube.client();
  runtime::Informer informer(*api, optionsFor(kConfigMaps, "default"));
  Recorder rec;
  informer.addHandlers(rec.handlers());
  informer.start();
  REQUIRE(informer.waitForSync(seconds(10)));
  kube.server().counters().reset();

  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    std::string name = "cm-" + std::to_string(i - i % 3);
    if (i % 3 == 0) {
      auto created = writer->create(kConfigMaps, "default", cm("default", name), {});
      REQUIRE(created.ok());
      expected.push_back("add " + name + "@" + kube::resourceVersionOf(*created));
    } else {
      kube::PatchOptions merge;
      auto patched = writer->patch(kConfigMaps, "default", name,
                                   {{"data", {{"k", std::to_string(i)}}}}, merge);
      REQUIRE(patched.ok());
      expected.push_back("update " + name + "@" + kube::resourceVersionOf(*patched));
    }
    if (i % 3 == 2 && (i / 3) % 7 == 6) {  // after its last update
      REQUIRE(writer->remove(kConfigMaps, "default", name, {}).ok());
      expected.push_back("delete " + name);
    }
    if (i % 10 == 5) {
      kube.server().closeAllWatches();  // the connection drops mid-stream
    }
  }
  std::string last = std::to_string(kube.server().resourceVersion());
  REQUIRE(eventually([&] { return informer.resourceVersion() == last; }));
  CHECK(rec.events() == expected);
  CHECK(count(kube.server(), "list", "configmaps") == 0);  // resumed, never relisted
  CHECK(count(kube.server(), "watch", "configmaps") >= 6);
  informer.stop();
}

TEST_CASE(
    "Informer over HTTPS: a forced 410 relists and swaps the cache, announcing only the "
    "differences") {
  LiveKube kube;
  auto api = kube.client();
  auto writer = kube.client();
  for (const char* name : {"a", "b", "c"}) {
    REQUIRE(writer->create(kConfigMaps, "default", cm("default", name), {}).ok());
  }
  runtime::Informer informer(*api, optionsFor(kConfigMaps, "default"));
  Recorder rec;
  informer.addHandlers(rec.handlers());
  informer.start();
  REQUIRE(informer.waitForSync(seconds(10)));
  REQUIRE(eventually([&] { return kube.server().openWatches() == 1; }));
  rec.clear();
  kube.server().counters().reset();

  // The watch drops and reconnects are refused while the world moves on and history is compacted,
  // so the next reconnect asks for a version that is gone.
  kube.server().faults().add(
      {"GET", "configmaps\\?.*watch=true", 1000, 503, 0, milliseconds(0), ""});
  kube.server().closeAllWatches();
  kube::PatchOptions merge;
  auto b = writer->patch(kConfigMaps, "default", "b", {{"data", {{"k", "changed"}}}}, merge);
  REQUIRE(b.ok());
  REQUIRE(writer->remove(kConfigMaps, "default", "c", {}).ok());
  auto d = writer->create(kConfigMaps, "default", cm("default", "d"), {});
  REQUIRE(d.ok());
  kube.server().expireHistory();
  kube.server().faults().clear();

  // Handlers run after the swap: wait for them, not for the store.
  REQUIRE(eventually([&] { return rec.events().size() >= 3; }));
  auto events = rec.events();
  std::sort(events.begin(), events.end());
  CHECK(events == std::vector<std::string>{"add d@" + kube::resourceVersionOf(*d), "delete c",
                                           "update b@" + kube::resourceVersionOf(*b)});
  CHECK(informer.store().size() == 3);
  CHECK(count(kube.server(), "list", "configmaps") == 1);
  informer.stop();
}

TEST_CASE("Informer over HTTPS: bookmarks advance the resume version without any event") {
  kubedouble::ApiServerOptions options;
  options.bookmarkInterval = milliseconds(100);
  LiveKube kube(options);
  auto api = kube.client();
  auto writer = kube.client();
  runtime::Informer informer(*api, optionsFor(kConfigMaps, "default"));
  Recorder rec;
  informer.addHandlers(rec.handlers());
  informer.start();
  REQUIRE(informer.waitForSync(seconds(10)));
  std::string synced = informer.resourceVersion();
  for (int i = 0; i < 5; ++i) {  // writes this namespaced watch never sees
    REQUIRE(
        writer->create(kConfigMaps, "kube-public", cm("kube-public", "x" + std::to_string(i)), {})
            .ok());
  }
  std::string current = std::to_string(kube.server().resourceVersion());
  REQUIRE(current != synced);
  CHECK(eventually([&] { return informer.resourceVersion() == current; }, seconds(3)));
  CHECK(rec.events().empty());

  kube.server().closeAllWatches();
  auto after = writer->create(kConfigMaps, "default", cm("default", "after"), {});
  REQUIRE(after.ok());
  REQUIRE(eventually([&] { return !rec.events().empty(); }));
  CHECK(rec.events() == std::vector<std::string>{"add after@" + kube::resourceVersionOf(*after)});
  informer.stop();
}

TEST_CASE("Informer over HTTPS: 429 with Retry-After is waited out, not fatal") {
  LiveKube kube;
  std::mutex mu;
  std::vector<int> statuses;
  auto api = kube.client([&](kube::ClusterConfig&, kube::RestOptions& o) {
    o.observer = [&](const kube::RequestRecord& r) {
      std::lock_guard lk(mu);
      if (r.verb == "list") {
        statuses.push_back(r.httpStatus);
      }
    };
  });
  kube.server().faults().add({"GET", "configmaps\\?limit", 1, 429, 1, milliseconds(0), ""});
  runtime::Informer informer(*api, optionsFor(kConfigMaps, "default"));
  auto started = std::chrono::steady_clock::now();
  informer.start();
  REQUIRE(informer.waitForSync(seconds(10)));
  CHECK(std::chrono::steady_clock::now() - started >= milliseconds(1000));
  std::lock_guard lk(mu);
  CHECK(statuses == std::vector<int>{429, 200});
}

TEST_CASE(
    "Informer over HTTPS: a resource whose CRD was just created (404, then 429 "
    "'storage is (re)initializing') syncs once it serves") {
  kubedouble::ApiServerOptions options;
  options.crdStorageInitDelay = milliseconds(1500);
  LiveKube kube(options);
  std::mutex mu;
  std::vector<int> statuses;
  auto api = kube.client([&](kube::ClusterConfig&, kube::RestOptions& o) {
    o.observer = [&](const kube::RequestRecord& r) {
      std::lock_guard lk(mu);
      if (r.verb == "list") {
        statuses.push_back(r.httpStatus);
      }
    };
  });
  REQUIRE(api->create({"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                       "CustomResourceDefinition", false},
                      "", testing::databaseTokenCrd(), {})
              .ok());
  runtime::Informer informer(*api, optionsFor(testing::databaseTokens(), ""));
  informer.start();
  REQUIRE(informer.waitForSync(seconds(10)));
  std::lock_guard lk(mu);
  CHECK(std::find(statuses.begin(), statuses.end(), 429) != statuses.end());
  CHECK(statuses.back() == 200);
}

TEST_CASE("Informer over HTTPS: a rotated service account token file is picked up") {
  LiveKube kube;
  const std::string tokenFile = kube.dir().write("sa/token", "not-a-valid-token-0001");
  common::CapturedLines lines;
  common::RealClock clock;
  auto redactor = std::make_shared<common::Redactor>();
  auto sink = std::make_shared<common::LogSink>(common::LogLevel::kDebug, common::LogFormat::kJson,
                                                clock, redactor, lines.writer());
  auto api = kube.client([&](kube::ClusterConfig& c, kube::RestOptions& o) {
    c.auth.token = common::Secret();
    c.auth.tokenFile = tokenFile;
    o.logger = common::Logger(sink);
    o.redactor = redactor;
  });
  auto o = optionsFor(kConfigMaps, "default");
  o.logger = common::Logger(sink);
  runtime::Informer informer(*api, o);
  informer.start();
  CHECK_FALSE(informer.waitForSync(milliseconds(500)));  // 401 until the token rotates
  kube.dir().write("sa/token", kube.face().token().reveal() + "\n");
  CHECK(informer.waitForSync(seconds(10)));

  // A bound service account token, as the kubelet would project it, works as well.
  auto admin = kube.client();
  json sa = {{"apiVersion", "v1"},
             {"kind", "ServiceAccount"},
             {"metadata", {{"name", "operator"}, {"namespace", "default"}}}};
  REQUIRE(
      admin->create({"", "v1", "serviceaccounts", "ServiceAccount", true}, "default", sa, {}).ok());
  kube::WriteOptions tokenRequest;
  tokenRequest.subresource = "token";  // POST .../serviceaccounts/operator/token
  auto issued = admin->create({"", "v1", "serviceaccounts", "ServiceAccount", true}, "default",
                              {{"apiVersion", "authentication.k8s.io/v1"},
                               {"kind", "TokenRequest"},
                               {"metadata", {{"name", "operator"}, {"namespace", "default"}}},
                               {"spec", {{"expirationSeconds", 3600}}}},
                              tokenRequest);
  REQUIRE(issued.ok());
  std::string bound = (*issued)["status"]["token"].get<std::string>();
  kube.dir().write("sa/token", bound);
  CHECK(api->get(kConfigMaps, "default", "missing").status().code() == common::Code::kNotFound);
  kube.dir().write("sa/token", "revoked-or-garbage-token-0002");
  CHECK(api->get(kConfigMaps, "default", "missing").status().code() ==
        common::Code::kUnauthenticated);
  CHECK(lines.joined().find(bound) == std::string::npos);
  informer.stop();
  std::string logs = lines.joined();
  CHECK(logs.find(kube.face().token().reveal()) == std::string::npos);
}
