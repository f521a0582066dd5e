#include <catch2/catch.hpp>

#include "common/sleeper.h"
#include "kube/api_server.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "testing/kube_fixtures.h"
#include "testing/kube_in_process.h"

using namespace dbtoken;
using common::Code;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// RestKubeApi over the API double's semantics, in process, with time under the test's control.
struct RestFixture {
  kubedouble::ApiServer api;
  common::FakeClock clock;
  common::RecordingSleeper sleeper{&clock};
  testing::KubeInProcessTransport* transport = nullptr;
  std::unique_ptr<kube::RestKubeApi> client;

  explicit RestFixture(kube::RestOptions options = {},
                       std::shared_ptr<kube::TokenSource> tokens = nullptr) {
    auto t = std::make_unique<testing::KubeInProcessTransport>(api);
    transport = t.get();
    options.clock = &clock;
    options.sleeper = &sleeper;
    options.random = [] { return 0.5; };
    client = std::make_unique<kube::RestKubeApi>(std::move(t), options, std::move(tokens));
  }
};

json configMap(const std::string& name, json data = {{"k", "v"}}) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", data}};
}

const kube::Resource kConfigMaps = kube::resources::configMaps();

}  // namespace

TEST_CASE("RestKubeApi: create, get, update, and each patch type round-trip through the API") {
  RestFixture f;
  auto created = f.client->create(kConfigMaps, "default", configMap("a"), {});
  REQUIRE(created.ok());
  CHECK(kube::uidOf(*created) != "");

  auto got = f.client->get(kConfigMaps, "default", "a");
  REQUIRE(got.ok());
  CHECK((*got)["data"]["k"] == "v");

  json changed = *got;
  changed["data"]["k"] = "v2";
  auto updated = f.client->update(kConfigMaps, "default", changed, {});
  REQUIRE(updated.ok());
  CHECK((*updated)["data"]["k"] == "v2");

  kube::PatchOptions merge;
  auto merged = f.client->patch(kConfigMaps, "default", "a", {{"data", {{"m", "1"}}}}, merge);
  REQUIRE(merged.ok());
  CHECK((*merged)["data"] == json{{"k", "v2"}, {"m", "1"}});

  kube::PatchOptions jsonPatch;
  jsonPatch.type = kube::PatchType::kJson;
  auto patched = f.client->patch(kConfigMaps, "default", "a",
                                 json::array({{{"op", "remove"}, {"path", "/data/m"}}}), jsonPatch);
  REQUIRE(patched.ok());
  CHECK_FALSE((*patched)["data"].contains("m"));

  kube::PatchOptions smp;
  smp.type = kube::PatchType::kStrategicMerge;
  auto strategic = f.client->patch(kConfigMaps, "default", "a", {{"data", {{"s", "2"}}}}, smp);
  REQUIRE(strategic.ok());
  CHECK((*strategic)["data"]["s"] == "2");

  kube::PatchOptions apply;
  apply.type = kube::PatchType::kApply;
  apply.fieldManager = "dbtoken-test";
  auto applied = f.client->patch(kConfigMaps, "default", "b", configMap("b", {{"x", "y"}}), apply);
  REQUIRE(applied.ok());
  CHECK((*applied)["data"]["x"] == "y");

  kube::PatchOptions noManager;
  noManager.type = kube::PatchType::kApply;
  auto refused = f.client->patch(kConfigMaps, "default", "b", configMap("b"), noManager);
  CHECK(refused.status().code() == Code::kInvalidArgument);
}

TEST_CASE("RestKubeApi: failures come back typed from the Status body") {
  RestFixture f;
  REQUIRE(f.client->create(kConfigMaps, "default", configMap("a"), {}).ok());

  CHECK(f.client->get(kConfigMaps, "default", "missing").status().code() == Code::kNotFound);
  auto again = f.client->create(kConfigMaps, "default", configMap("a"), {});
  CHECK(again.status().code() == Code::kAlreadyExists);
  CHECK_THAT(again.status().message(), Catch::StartsWith("create configmaps in default: 409"));

  json stale = *f.client->get(kConfigMaps, "default", "a");
  stale["data"]["k"] = "changed";
  REQUIRE(f.client->update(kConfigMaps, "default", stale, {}).ok());
  stale["data"]["k"] = "changed again";
  CHECK(f.client->update(kConfigMaps, "default", stale, {}).status().code() == Code::kConflict);
}

TEST_CASE("RestKubeApi: a status subresource update writes status only") {
  RestFixture f;
  REQUIRE(f.client
              ->create({"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                        "CustomResourceDefinition", false},
                       "", testing::databaseTokenCrd(), {})
              .ok());
  const kube::Resource tokens = testing::databaseTokens();
  f.api.runControllersOnce(true);
  f.api.runControllersOnce(true);
  auto created = f.client->create(tokens, "default", testing::databaseToken("default", "t"), {});
  REQUIRE(created.ok());
  json withStatus = *created;
  withStatus["status"] = {{"phase", "Active"}};
  withStatus["spec"]["revoked"] = true;  // ignored by a status write
  kube::WriteOptions status;
  status.subresource = "status";
  auto written = f.client->update(tokens, "default", withStatus, status);
  REQUIRE(written.ok());
  CHECK((*written)["status"]["phase"] == "Active");
  CHECK((*written)["spec"]["revoked"] == false);

  kube::PatchOptions statusPatch;
  statusPatch.subresource = "status";
  auto patched =
      f.client->patch(tokens, "default", "t", {{"status", {{"phase", "Revoked"}}}}, statusPatch);
  REQUIRE(patched.ok());
  CHECK((*patched)["status"]["phase"] == "Revoked");
}

TEST_CASE(
    "RestKubeApi: delete answers nullopt when the object is gone, the object when a "
    "finalizer keeps it") {
  RestFixture f;
  REQUIRE(f.client->create(kConfigMaps, "default", configMap("plain"), {}).ok());
  json kept = configMap("kept");
  kept["metadata"]["finalizers"] = {"example.com/keep"};
  REQUIRE(f.client->create(kConfigMaps, "default", kept, {}).ok());

  auto gone = f.client->remove(kConfigMaps, "default", "plain", {});
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());

  auto stays = f.client->remove(kConfigMaps, "default", "kept", {});
  REQUIRE(stays.ok());
  REQUIRE(stays->has_value());
  CHECK((**stays)["metadata"].contains("deletionTimestamp"));

  kube::DeleteOptions wrongUid;
  wrongUid.preconditionUid = "00000000-0000-0000-0000-000000000000";
  REQUIRE(f.client->create(kConfigMaps, "default", configMap("guarded"), {}).ok());
  CHECK(f.client->remove(kConfigMaps, "default", "guarded", wrongUid).status().code() ==
        Code::kConflict);

  kube::DeleteOptions background;
  background.propagation = kube::Propagation::kBackground;
  CHECK(f.client->remove(kConfigMaps, "default", "guarded", background).ok());
  auto sent = f.transport->requests().back();
  CHECK(json::parse(*sent.body)["propagationPolicy"] == "Background");
}

TEST_CASE("RestKubeApi: listAll follows continue tokens and fills in kind and apiVersion") {
  RestFixture f;
  for (int i = 0; i < 7; ++i) {
    REQUIRE(
        f.client->create(kConfigMaps, "default", configMap("cm-" + std::to_string(i)), {}).ok());
  }
  kube::ListOptions pages;
  pages.limit = 3;
  auto all = kube::listAll(*f.client, kConfigMaps, "default", pages);
  REQUIRE(all.ok());
  CHECK(all->items.size() == 7);
  CHECK_FALSE(all->resourceVersion.empty());
  for (const auto& item : all->items) {
    CHECK(item["kind"] == "ConfigMap");
    CHECK(item["apiVersion"] == "v1");
  }
  int lists = 0;
  for (const auto& r : f.transport->requests()) {
    lists += r.method == "GET" && r.target.find("limit=3") != std::string::npos ? 1 : 0;
  }
  CHECK(lists == 3);
}

TEST_CASE("RestKubeApi: 429 is retried after the server's Retry-After, for writes too") {
  RestFixture f;
  f.api.faults().add({"POST", "configmaps", 2, 429, 1, milliseconds(0), ""});
  REQUIRE(f.client->create(kConfigMaps, "default", configMap("a"), {}).ok());
  CHECK(f.sleeper.waits() == std::vector<milliseconds>{milliseconds(1000), milliseconds(1000)});
}

TEST_CASE("RestKubeApi: a Retry-After longer than the limit goes back to the caller") {
  kube::RestOptions options;
  options.maxRetryAfter = milliseconds(5000);
  RestFixture f(options);
  f.api.faults().add({"GET", "configmaps", 1, 429, 30, milliseconds(0), ""});
  auto got = f.client->get(kConfigMaps, "default", "a");
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == Code::kUnavailable);
  REQUIRE(got.status().retryAfter());
  CHECK(*got.status().retryAfter() == std::chrono::seconds(30));
  CHECK(f.sleeper.waits().empty());
}

TEST_CASE(
    "RestKubeApi: a 5xx is retried only on reads that carry Retry-After; a POST whose "
    "outcome is unknown is never resent") {
  RestFixture f;
  f.api.faults().add({"GET", "configmaps", 1, 503, 2, milliseconds(0), ""});
  CHECK(f.client->get(kConfigMaps, "default", "a").status().code() == Code::kNotFound);
  CHECK(f.sleeper.waits() == std::vector<milliseconds>{milliseconds(2000)});

  f.api.faults().add({"POST", "configmaps", 1, 503, 2, milliseconds(0), ""});
  CHECK(f.client->create(kConfigMaps, "default", configMap("a"), {}).status().code() ==
        Code::kUnavailable);

  f.transport->failNext(common::Status(Code::kOutcomeUnknown, "connection reset"));
  CHECK(f.client->create(kConfigMaps, "default", configMap("a"), {}).status().code() ==
        Code::kOutcomeUnknown);
  f.transport->failNext(common::Status(Code::kUnavailable, "connection refused"));
  CHECK(f.client->create(kConfigMaps, "default", configMap("a"), {}).ok());
}

TEST_CASE(
    "RestKubeApi: on a server without flow control the client-side limiter spaces requests at "
    "1/qps after the burst") {
  kube::RestOptions options;
  options.qps = 2;
  options.burst = 1;
  RestFixture f(options);
  f.api.setPriorityAndFairness(false);
  for (int i = 0; i < 3; ++i) {
    (void)f.client->get(kConfigMaps, "default", "a");
  }
  CHECK(f.sleeper.waits() == std::vector<milliseconds>{milliseconds(500), milliseconds(500)});
}

TEST_CASE("RestKubeApi: client-side throttling follows the server's API Priority and Fairness") {
  struct Row {
    const char* sentence;
    bool serverFlowControl;
    bool limitsExplicit;
    size_t waits;  // of 100 requests at qps 1, burst 1
  };
  const Row rows[] = {
      {"a server with flow control is trusted: no request waits on the client", true, false, 0},
      {"a server without flow control gets the client-side limit", false, false, 99},
      {"limits set explicitly hold even with flow control", true, true, 99},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      kube::RestOptions options;
      options.qps = 1;
      options.burst = 1;
      options.limitsExplicit = row.limitsExplicit;
      RestFixture f(options);
      f.api.setPriorityAndFairness(row.serverFlowControl);
      for (int i = 0; i < 100; ++i) {
        (void)f.client->get(kConfigMaps, "default", "a");
      }
      CHECK(f.sleeper.waits().size() == row.waits);
      if (row.waits > 0) {
        CHECK(f.sleeper.waits().back() == milliseconds(1000));
      }
    }
  }
}

TEST_CASE(
    "RestKubeApi: with flow control, a 429 from the server's queues is still retried after its "
    "Retry-After") {
  kube::RestOptions options;
  options.qps = 1;
  options.burst = 1;
  RestFixture f(options);
  (void)f.client->get(kConfigMaps, "default", "a");  // learns that the server has APF
  f.api.faults().add({"GET", "configmaps", 1, 429, 2, milliseconds(0), ""});
  CHECK(f.client->get(kConfigMaps, "default", "a").status().code() == Code::kNotFound);
  CHECK(f.sleeper.waits() == std::vector<milliseconds>{milliseconds(2000)});
}

TEST_CASE("RestKubeApi: a 401 drops a refreshable token and retries once") {
  struct CountingTokens final : kube::TokenSource {
    int invalidations = 0;
    common::Result<common::Secret> token() override { return common::Secret("t"); }
    bool invalidate() override {
      ++invalidations;
      return true;
    }
  };
  auto tokens = std::make_shared<CountingTokens>();
  RestFixture f({}, tokens);
  f.api.faults().add({"GET", "configmaps", 1, 401, 0, milliseconds(0), ""});
  CHECK(f.client->get(kConfigMaps, "default", "a").status().code() == Code::kNotFound);
  CHECK(tokens->invalidations == 1);

  f.api.faults().add({"GET", "configmaps", 2, 401, 0, milliseconds(0), ""});
  CHECK(f.client->get(kConfigMaps, "default", "a").status().code() == Code::kUnauthenticated);
}

TEST_CASE("RestKubeApi: a watch delivers events from a resourceVersion; an expired one is Gone") {
  RestFixture f;
  auto list = f.client->list(kConfigMaps, "default", {});
  REQUIRE(list.ok());
  kube::WatchOptions o;
  o.resourceVersion = list->resourceVersion;
  auto watch = f.client->watch(kConfigMaps, "default", o);
  REQUIRE(watch.ok());
  REQUIRE(f.client->create(kConfigMaps, "default", configMap("w"), {}).ok());
  auto ev = (*watch)->next();
  REQUIRE(ev.ok());
  REQUIRE(ev->has_value());
  CHECK((*ev)->type == kube::WatchEventType::kAdded);
  CHECK(kube::nameOf((*ev)->object) == "w");
  bool bookmarksAsked = false;
  for (const auto& r : f.transport->requests()) {
    bookmarksAsked =
        bookmarksAsked || (r.target.find("watch=true") != std::string::npos &&
                           r.target.find("allowWatchBookmarks=true") != std::string::npos);
  }
  CHECK(bookmarksAsked);

  (*watch)->cancel();
  CHECK((*watch)->next().status().code() == Code::kCancelled);

  f.api.expireHistory();
  auto expired = f.client->watch(kConfigMaps, "default", o);
  REQUIRE(expired.ok());  // HTTP 200: the error is in-band
  auto gone = (*expired)->next();
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == Code::kGone);
}
