#include "world.h"

#include <catch2/catch.hpp>

#include "common/base64.h"
#include "runtime/informer.h"
#include "testing/kube_fixtures.h"
#include "testing/kube_in_process.h"

namespace dbtoken::tokens::test {

using nlohmann::json;

namespace {

kubedouble::ApiServerOptions doubleOptions() {
  kubedouble::ApiServerOptions o;
  o.backgroundControllers = false;  // the test steps them: collectGarbage()
  return o;
}

kube::RestOptions restOptions() {
  kube::RestOptions o;
  o.qps = 0;  // no client-side limit, no real sleeping
  o.maxRetries = 0;
  return o;
}

const kube::Resource kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                           "CustomResourceDefinition", false};

}  // namespace

World::World() : influx(clock), server_(doubleOptions()) {
  rest_ = std::make_unique<kube::RestKubeApi>(
      std::make_unique<testing::KubeInProcessTransport>(server_), restOptions());
  kube_ = std::make_unique<testing::RecordingKubeApi>(
      *rest_, [this](const std::string& line) { note("k8s " + line); });
  influx.setObserver([this](const std::string& line) { note("api " + line); });
  // Only the management token is registered with the redactor, as in production: a leaked
  // access token would show in the captured lines.
  redactor_->add(kManagementToken);
  auto sink = std::make_shared<common::LogSink>(common::LogLevel::kDebug, common::LogFormat::kText,
                                                clock, redactor_, logs_.writer());
  logger_ = common::Logger(sink, "tokens");
  build();
}

World::~World() = default;

void World::build() {
  if (client_ == nullptr) {
    client_ = &influx;
  }
  inventory_ = std::make_unique<TokenInventory>(clock);
  inventory_->setRefreshHook([this] {
    std::lock_guard lk(mu_);
    ++refreshRequests_;
  });
  ReconcilerOptions ro;
  ro.scope = scope_;
  ro.redactor = redactor_;
  reconciler_ =
      std::make_unique<TokenReconciler>(*kube_, *client_, tokenCache, secretCache, *inventory_,
                                        events, foreignSecrets, clock, logger_, ro);
  InventoryOptions io;
  io.scope = scope_;
  inventoryReconciler_ = std::make_unique<InventoryReconciler>(
      *client_, *inventory_, tokenCache, secretCache, events,
      [this](const kube::ObjectKey& key) {
        std::lock_guard lk(mu_);
        enqueued_.push_back(key);
      },
      logger_, io);
}

void World::note(const std::string& line) {
  std::lock_guard lk(mu_);
  timeline_.push_back(line);
}

json World::defaultSpec() {
  return {
      {"description", "Telegraf writer"},
      {"permissions",
       {{{"action", "write"}, {"database", "sensors"}}, {{"action", "read"}, {"database", "*"}}}},
      {"expiresAt", "2031-01-01T00:00:00Z"}};
}

void World::installCrd() {
  json crd = testing::databaseTokenCrd();
  if (crdWithoutValidation_) {
    json& schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    schema = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
  REQUIRE(rest_->create(kCrds, "", crd, {}).ok());
  for (int i = 0; i < 5; ++i) {
    server_.runControllersOnce(true);
  }
  crdInstalled_ = true;
}

json World::create(json spec, const std::string& name, json annotations) {
  if (!crdInstalled_) {
    installCrd();
  }
  json object = testing::databaseToken(kNs, name);
  object["spec"] = std::move(spec);
  if (!annotations.is_null()) {
    object["metadata"]["annotations"] = std::move(annotations);
  }
  auto created = rest_->create(databaseTokens(), kNs, object, {});
  INFO(created.status().toString());
  REQUIRE(created.ok());
  sync();
  return *created;
}

void World::editSpec(const json& mergePatch, const std::string& name) {
  auto r = rest_->patch(databaseTokens(), kNs, name, {{"spec", mergePatch}}, {});
  INFO(r.status().toString());
  REQUIRE(r.ok());
}

void World::annotate(const std::string& key, const std::string& value, const std::string& name) {
  auto r = rest_->patch(databaseTokens(), kNs, name,
                        {{"metadata", {{"annotations", {{key, value}}}}}}, {});
  REQUIRE(r.ok());
}

void World::removeAnnotation(const std::string& key, const std::string& name) {
  auto r = rest_->patch(databaseTokens(), kNs, name,
                        {{"metadata", {{"annotations", {{key, nullptr}}}}}}, {});
  REQUIRE(r.ok());
}

void World::deleteResource(const std::string& name) {
  REQUIRE(rest_->remove(databaseTokens(), kNs, name, {}).ok());
}

std::optional<json> World::object(const std::string& name) {
  auto r = rest_->get(databaseTokens(), kNs, name);
  if (!r.ok()) {
    REQUIRE(r.status().code() == common::Code::kNotFound);
    return std::nullopt;
  }
  return *r;
}

std::string World::uid(const std::string& name) {
  auto o = object(name);
  REQUIRE(o);
  return kube::uidOf(*o);
}

std::optional<json> World::secret(const std::string& name) {
  auto r = rest_->get(kube::resources::secrets(), kNs, name);
  if (!r.ok()) {
    REQUIRE(r.status().code() == common::Code::kNotFound);
    return std::nullopt;
  }
  return *r;
}

void World::putSecret(json secret) {
  REQUIRE(rest_->create(kube::resources::secrets(), kNs, secret, {}).ok());
}

void World::editSecretData(const std::string& name, const std::string& value) {
  auto r = rest_->patch(kube::resources::secrets(), kNs, name,
                        {{"data", {{kSecretKey, common::base64Encode(value)}}}}, {});
  REQUIRE(r.ok());
}

void World::deleteSecret(const std::string& name) {
  REQUIRE(rest_->remove(kube::resources::secrets(), kNs, name, {}).ok());
}

void World::failKube(const std::string& method, const std::string& pathPattern, int httpStatus,
                     int times) {
  kubedouble::FaultRule rule;
  rule.method = method;
  rule.pathPattern = pathPattern;
  rule.status = httpStatus;
  rule.remaining = times;
  server_.faults().add(rule);
}

void World::collectGarbage() {
  for (int i = 0; i < 5; ++i) {
    server_.runControllersOnce(true);
  }
}

void World::sync() {
  // Listed as the operator's informers list (tokens/wiring.h): the same selectors, the same
  // transforms.
  auto relist = [this](const runtime::InformerOptions& o, runtime::Store& cache) {
    kube::ListOptions lo;
    lo.labelSelector = o.labelSelector;
    lo.fieldSelector = o.fieldSelector;
    auto list = rest_->list(o.resource, o.ns, lo);
    REQUIRE(list.ok());
    runtime::ObjectMap objects;
    for (auto& item : list->items) {
      auto key = kube::keyOf(item);
      json cached = o.transform ? o.transform(std::move(item)) : std::move(item);
      objects[key] = std::make_shared<const json>(std::move(cached));
    }
    cache.replace(std::move(objects));
  };
  if (crdInstalled_) {
    relist(tokenInformerOptions(kNs), tokenCache);
  }
  relist(secretInformerOptions(kNs), secretCache);
}

void World::loadInventory() {
  inventory_->beginList();
  inventory_->load(influx.tokens());
}

common::Result<runtime::Action> World::reconcile(const std::string& name) {
  return reconciler_->reconcile({kNs, name});
}

common::Result<runtime::Action> World::reconcileInventory() {
  return inventoryReconciler_->reconcile(InventoryReconciler::key());
}

void World::restart() {
  build();
}

void World::useTokenClient(dbtoken::influx::TokenClient& client) {
  client_ = &client;
  build();
}

void World::setScope(std::string instance, std::vector<std::string> namespaces) {
  scope_ = Scope{kClusterId, std::move(instance), std::move(namespaces)};
  build();
}

std::string World::issued(json spec, const std::string& name) {
  create(std::move(spec), name);
  if (!inventory_->loaded()) {
    loadInventory();
  }
  auto first = reconcile(name);
  INFO(first.status().toString());
  REQUIRE(first.ok());
  sync();
  auto again = reconcile(name);
  REQUIRE(again.ok());
  sync();
  auto o = object(name);
  REQUIRE(o);
  std::string id = (*o)["status"].value("tokenId", "");
  REQUIRE(!id.empty());
  return id;
}

void World::startRecording() {
  std::lock_guard lk(mu_);
  timeline_.clear();
  enqueued_.clear();
  events.clear();
}

std::vector<std::string> World::timeline() const {
  std::lock_guard lk(mu_);
  return timeline_;
}

std::string outcome(const common::Result<runtime::Action>& result) {
  auto render = [](const runtime::Action& a) -> std::string {
    switch (a.kind()) {
      case runtime::Action::Kind::kAwaitChange:
        return "wait for a change";
      case runtime::Action::Kind::kRequeue:
        return a.delay().count() > 0
                   ? "retry with backoff, not before " +
                         std::to_string(
                             std::chrono::duration_cast<std::chrono::milliseconds>(a.delay())
                                 .count()) +
                         "ms"
                   : "retry with backoff";
      case runtime::Action::Kind::kRequeueAfter:
        return "requeue after " +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::milliseconds>(a.delay()).count()) +
               "ms";
    }
    return "?";
  };
  if (result.ok()) {
    return render(*result);
  }
  return std::string(common::codeName(result.status().code())) + ", then " +
         render(runtime::defaultErrorPolicy({kNs, kName}, result.status()));
}

std::string conditionsOf(const json& object) {
  std::string out;
  for (const auto& c : object.value("status", json::object()).value("conditions", json::array())) {
    out += (out.empty() ? "" : ", ") + c.value("type", "") + "=" + c.value("status", "") + " " +
           c.value("reason", "");
  }
  return out;
}

std::string statusField(const json& object, const std::string& field) {
  const json& status = object.value("status", json::object());
  if (!status.contains(field) || status[field].is_null()) {
    return "";
  }
  if (status[field].is_number_integer()) {
    return std::to_string(status[field].get<int64_t>());
  }
  std::string value = status[field].get<std::string>();
  return field == "tokenId" ? testing::FakeTokenClient::shortId(value) : value;
}

std::string secretHolds(World& w, const std::string& name, const std::string& owner) {
  auto secret = w.secret(name);
  if (!secret) {
    return "none";
  }
  const json& meta = (*secret)["metadata"];
  auto owners = meta.value("ownerReferences", json::array());
  bool owned = owners.size() == 1 && owners[0].value("kind", "") == "DatabaseToken" &&
               owners[0].value("name", "") == owner && owners[0].value("controller", false) &&
               w.object(owner) && owners[0].value("uid", "") == w.uid(owner);
  bool labelled =
      meta.value("labels", json::object()).value(kManagedByLabel, "") == kManagedByValue;
  if (!owned || !labelled) {
    return "foreign";
  }
  std::string id = meta.value("annotations", json::object()).value(kTokenIdAnnotation, "");
  std::string shortId = testing::FakeTokenClient::shortId(id);
  if (shortId.empty() || shortId[0] != '#') {
    return "unknown token " + id;
  }
  std::string data = (*secret).value("data", json::object()).value(kSecretKey, "");
  std::string expected =
      common::base64Encode(testing::FakeTokenClient::accessTokenOf(std::stoi(shortId.substr(1))));
  return data == expected ? shortId : shortId + ", edited";
}

influx::Token tokenOf(World& w, const std::string& id) {
  auto t = w.influx.token(id);
  INFO("token " << id);
  REQUIRE(t);
  return *t;
}

std::string markerFor(const std::string& resourceUid, const std::string& clusterId,
                      const std::string& instance, const std::string& ns) {
  return "[influxdb-token-operator cluster=" + clusterId + " instance=" + instance +
         " namespace=" + ns + " resource=" + resourceUid + "]";
}

std::string legacyMarkerFor(const std::string& resourceUid, const std::string& clusterId) {
  return "[influxdb-token-operator cluster=" + clusterId + " resource=" + resourceUid + "]";
}

}  // namespace dbtoken::tokens::test
