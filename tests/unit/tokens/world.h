// World: everything a token reconcile touches, for the tokens unit tests. Kubernetes is the API
// double in process (its real object semantics: the CRD schema, patches, status subresource,
// finalizers, garbage collection), reached through RecordingKubeApi; InfluxDB is a
// FakeTokenClient; the caches are Stores that catch up only when a test calls sync() (Secrets
// transformed as the real informer does); time is a FakeClock. Every Kubernetes write and
// Management API call lands in one timeline, in order, so a row can assert exactly what a
// reconcile did:
//   "k8s PATCH databasetokens/writer"  "api POST tokens"  "k8s POST secrets/writer → Unavailable"
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "kube/api_server.h"
#include "kube/rest_client.h"
#include "runtime/store.h"
#include "testing/fake_token_client.h"
#include "testing/recording_event_recorder.h"
#include "testing/recording_kube_api.h"
#include "tokens/inventory.h"
#include "tokens/inventory_reconciler.h"
#include "tokens/reconciler.h"
#include "tokens/wiring.h"

namespace dbtoken::tokens::test {

inline constexpr const char* kClusterId = "3f8e1c2a-0000-4000-8000-0000000000aa";
inline constexpr const char* kNs = "default";
inline constexpr const char* kInstance = "blue";
// The management token the World's redactor knows, as the production one knows the real one.
inline constexpr const char* kManagementToken = "mgmt-secret-0123456789abcdef";
inline constexpr const char* kName = "writer";

// The n-th token the fake Management API creates.
inline std::string T(int n) {
  return testing::FakeTokenClient::idOf(n);
}

// ObjectWatches that records what is watched for whom (the informer-backed one has its own test).
class RecordingObjectWatches final : public runtime::ObjectWatches {
 public:
  void watch(const kube::ObjectKey& watched, const kube::ObjectKey& owner) override {
    std::lock_guard lk(mu_);
    byOwner_[owner] = watched;
  }
  void forget(const kube::ObjectKey& owner) override {
    std::lock_guard lk(mu_);
    byOwner_.erase(owner);
  }
  // "secrets default/handmade for default/writer", or "nothing".
  std::string describe() const {
    std::lock_guard lk(mu_);
    std::string out;
    for (const auto& [owner, watched] : byOwner_) {
      out += (out.empty() ? "" : "; ") + watched.toString() + " for " + owner.toString();
    }
    return out.empty() ? "nothing" : out;
  }

 private:
  mutable std::mutex mu_;
  std::map<kube::ObjectKey, kube::ObjectKey> byOwner_;
};

class World {
 public:
  // Declared first: everything below uses them.
  common::FakeClock clock;
  testing::RecordingEventRecorder events;
  RecordingObjectWatches foreignSecrets;
  runtime::Store tokenCache;
  runtime::Store secretCache;

  World();
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // --- Kubernetes, through the API double -------------------------------------------------
  // The next create() installs a CRD without schema checks or CEL rules (a cluster that still
  // has an old CRD), so specs the current CRD refuses can reach the operator.
  void useCrdWithoutValidation() { crdWithoutValidation_ = true; }
  // "Telegraf writer", write sensors + read *, expiring 2031-01-01.
  static nlohmann::json defaultSpec();
  // Creates a DatabaseToken and lets the caches catch up; returns it as created.
  nlohmann::json create(nlohmann::json spec = defaultSpec(), const std::string& name = kName,
                        nlohmann::json annotations = nullptr);
  void editSpec(const nlohmann::json& mergePatch, const std::string& name = kName);
  void annotate(const std::string& key, const std::string& value, const std::string& name = kName);
  void removeAnnotation(const std::string& key, const std::string& name = kName);
  void deleteResource(const std::string& name = kName);  // as kubectl delete
  std::optional<nlohmann::json> object(const std::string& name = kName);
  std::string uid(const std::string& name = kName);
  std::optional<nlohmann::json> secret(const std::string& name = kName);
  void putSecret(nlohmann::json secret);
  void editSecretData(const std::string& name, const std::string& value);
  void deleteSecret(const std::string& name = kName);
  // The next `times` requests with this HTTP method whose path matches the regex answer
  // `httpStatus` (e.g. "POST", "/secrets", 500).
  void failKube(const std::string& method, const std::string& pathPattern, int httpStatus,
                int times = 1);
  // The garbage collector and the other controllers of the double run until nothing changes.
  void collectGarbage();
  // The informers catch up: both caches are relisted from the API (Secrets hashed).
  void sync();

  // --- the Management API -------------------------------------------------------------------
  testing::FakeTokenClient influx;
  // The inventory as one GET /tokens would fill it (not recorded in the timeline).
  void loadInventory();

  // --- the operator ---------------------------------------------------------------------------
  common::Result<runtime::Action> reconcile(const std::string& name = kName);
  common::Result<runtime::Action> reconcileInventory();
  // A new process: no memory of what it issued, the inventory not loaded yet.
  void restart();
  // From now on (a new process) the reconcilers talk to this client instead of the fake, e.g.
  // an HttpTokenClient over the Management API double; it must outlive the World's use of it.
  void useTokenClient(dbtoken::influx::TokenClient& client);
  // The token reconciler, for a Controller to drive.
  runtime::Reconciler& reconciler() { return *reconciler_; }
  // The next restart() (or this world, from now on) runs as this install over these
  // namespaces (default: instance kInstance over every namespace).
  void setScope(std::string instance, std::vector<std::string> namespaces);
  const Scope& scope() const { return scope_; }
  TokenInventory& inventory() { return *inventory_; }
  // An Active token in steady state: created, issued, the caches caught up and reconciled once
  // more (as the informer events of the issue would do). Returns the token id.
  std::string issued(nlohmann::json spec = defaultSpec(), const std::string& name = kName);

  // --- recording ------------------------------------------------------------------------------
  // Forgets the timeline, the events and the keys enqueued so far.
  void startRecording();
  std::vector<std::string> timeline() const;
  std::vector<std::string> logLines() const { return logs_.lines(); }
  std::vector<kube::ObjectKey> enqueued() const { return enqueued_; }
  int refreshRequests() const { return refreshRequests_; }

 private:
  void installCrd();
  void note(const std::string& line);
  void build();

  kubedouble::ApiServer server_;
  std::unique_ptr<kube::RestKubeApi> rest_;
  std::unique_ptr<testing::RecordingKubeApi> kube_;
  common::CapturedLines logs_;
  std::shared_ptr<common::Redactor> redactor_ = std::make_shared<common::Redactor>();
  Scope scope_{kClusterId, kInstance, {}};
  common::Logger logger_;
  dbtoken::influx::TokenClient* client_ = nullptr;  // the fake unless useTokenClient()
  std::unique_ptr<TokenInventory> inventory_;
  std::unique_ptr<TokenReconciler> reconciler_;
  std::unique_ptr<InventoryReconciler> inventoryReconciler_;
  bool crdInstalled_ = false;
  bool crdWithoutValidation_ = false;
  mutable std::mutex mu_;
  std::vector<std::string> timeline_;
  std::vector<kube::ObjectKey> enqueued_;
  int refreshRequests_ = 0;
};

// --- renderings for the rows of the tests ------------------------------------------------------
// What happens next: "wait for a change", "requeue after 500ms", or the error and what the
// controller's default error policy makes of it ("Unavailable, then retry with backoff", with
// ", not before 30000ms" when the server named a delay).
std::string outcome(const common::Result<runtime::Action>& result);
// The conditions of an object: "Ready=True TokenReady, Synced=True Synced, Revoked=False ...".
std::string conditionsOf(const nlohmann::json& object);
// status.<field> of an object, "" when absent; token ids rendered short ("#1").
std::string statusField(const nlohmann::json& object, const std::string& field);
// What the Secret holds, checked against what the operator writes: "none", "foreign",
// "#2" (the string of the fake's token 2, its id annotated, owned by `owner`, labelled), or
// "#2, edited" when its data is not that token's string.
std::string secretHolds(World& w, const std::string& name = kName,
                        const std::string& owner = kName);
// The fake Management API's token with this id; fails the test when there is none.
influx::Token tokenOf(World& w, const std::string& id);
// The marker the operator puts in a description, for a resource UID.
std::string markerFor(const std::string& resourceUid, const std::string& clusterId = kClusterId,
                      const std::string& instance = kInstance, const std::string& ns = kNs);
// The v0.1 marker (no install, no namespace).
std::string legacyMarkerFor(const std::string& resourceUid,
                            const std::string& clusterId = kClusterId);

}  // namespace dbtoken::tokens::test
