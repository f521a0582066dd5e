// The Kubernetes API double's semantics: one object that answers API requests the way a real
// kube-apiserver v1.32 does (discovery, built-in kinds, CRD-served kinds, validation, patches,
// server-side apply, finalizers, garbage collection, namespaces, lists, watches, tables), plus
// the controls tests need (fault injection, watch drops, history expiry, request counts).
// Two faces use it: in-process callers call handle() directly; the HTTP face serves it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "kube/api_types.h"
#include "kube/faults.h"
#include "kube/object_store.h"
#include "kube/resource_type.h"
#include "kube/selectors.h"
#include "kube/watch_stream.h"

namespace dbtoken::kubedouble {

struct ApiServerOptions {
  // How many changes the watch history keeps; older resourceVersions answer 410.
  size_t historyLimit = 10000;
  // A new CRD's resource answers 404, then 429 "storage is (re)initializing" for this long
  // once the CRD is established, then serves.
  std::chrono::milliseconds crdEstablishDelay{30};
  std::chrono::milliseconds crdStorageInitDelay{30};
  // Watches with allowWatchBookmarks get a BOOKMARK at least this often.
  std::chrono::milliseconds bookmarkInterval{60000};
  // Garbage collector and namespace controller reaction times (real clusters: ~0.01–5 s).
  std::chrono::milliseconds gcDelay{10};
  std::chrono::milliseconds namespaceSyncDelay{100};
  // How long a LIST for a future resourceVersion waits before 504 (real: ~3 s).
  std::chrono::milliseconds futureResourceVersionWait{3000};
  // Run the controllers (CRD establishment, GC, namespaces, watch timers) on a background
  // thread. Off: call runControllersOnce() to step them deterministically.
  bool backgroundControllers = true;
  // Namespaces that exist at start (a real cluster has these).
  std::vector<std::string> initialNamespaces = {"default", "kube-system", "kube-public",
                                                "kube-node-lease"};
  // API Priority and Fairness, as a v1.32 apiserver has it by default: every authenticated
  // request's answer (faults included) carries X-Kubernetes-PF-FlowSchema-UID and
  // X-Kubernetes-PF-PriorityLevel-UID of the FlowSchema and priority level that classified it.
  // Off: a server without flow control (clients then keep their own rate limit).
  bool priorityAndFairness = true;
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options = {},
                     std::shared_ptr<const common::Clock> clock = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Answers one API request (paths under /api, /apis, /openapi, /version, /healthz, ...).
  ApiResponse handle(const ApiRequest& request);

  // Runs every due controller step once (CRD establishment, GC, namespace deletion, watch
  // bookmarks and timeouts). With force, pending delays are treated as elapsed.
  void runControllersOnce(bool force = false);

  // Test controls.
  FaultInjector& faults() { return faults_; }
  RequestCounters& counters() { return counters_; }
  void closeAllWatches();
  void expireHistory();  // every older resourceVersion now answers 410 Gone
  uint64_t resourceVersion() const;
  size_t openWatches() const;
  std::string kubeSystemUid() const;
  // Tokens issued through serviceaccounts/<name>/token, valid until they expire.
  bool acceptsToken(const std::string& token) const;
  // Turns the API Priority and Fairness headers on or off (ApiServerOptions).
  void setPriorityAndFairness(bool on) { priorityAndFairness_.store(on); }
  bool priorityAndFairness() const { return priorityAndFairness_.load(); }

 private:
  struct Target;
  struct Watcher;
  struct ListOptions;
  struct Accept;

  // Routing and negotiation (api_server.cpp).
  ApiResponse dispatch(const ApiRequest& req);
  ApiResponse routeResource(const ApiRequest& req, const std::string& group,
                            const std::string& version, const std::vector<std::string>& rest);
  ResourceTypePtr findType(const std::string& group, const std::string& version,
                           const std::string& plural) const;
  bool groupVersionServed(const std::string& group, const std::string& version) const;
  bool groupServed(const std::string& group) const;

  // Reads (api_reads.cpp).
  ApiResponse get(const ApiRequest& req, const Target& t, const Accept& accept);
  ApiResponse list(const ApiRequest& req, const Target& t, const Accept& accept,
                   std::unique_lock<std::mutex>& lock);
  ApiResponse watch(const ApiRequest& req, const Target& t, const Accept& accept,
                    const ListOptions& opts);
  ApiResponse encodeObject(int status, const nlohmann::json& external, const Target& t,
                           const Accept& accept, bool includeManaged = true);
  nlohmann::json toExternal(const ResourceType& type, const StoredObject& stored) const;
  nlohmann::json tableFor(const ResourceType& type, const std::vector<nlohmann::json>& objects,
                          const std::string& includeObject, const std::string& tableVersion,
                          bool withColumns) const;
  bool matchesFields(const ResourceType& type, const nlohmann::json& external,
                     const FieldSelector& fields) const;

  // Writes (api_writes.cpp).
  ApiResponse create(const ApiRequest& req, const Target& t, const Accept& accept);
  ApiResponse update(const ApiRequest& req, const Target& t, const Accept& accept);
  ApiResponse patch(const ApiRequest& req, const Target& t, const Accept& accept);
  ApiResponse remove(const ApiRequest& req, const Target& t, const Accept& accept);
  ApiResponse removeCollection(const ApiRequest& req, const Target& t, const Accept& accept);
  // Shared by update/patch/apply: everything after the new object is known.
  ApiResponse commitUpdate(const ApiRequest& req, const Target& t, const Accept& accept,
                           nlohmann::json external, const StoredObject& current,
                           std::vector<std::string> warnings, bool isApply,
                           const ManagedFields* applied);
  // Validation pipeline shared by create and update: prune, default, validate.
  ApiResponse admit(const ApiRequest& req, const ResourceType& type, nlohmann::json& external,
                    const nlohmann::json* oldExternal, std::vector<std::string>& warnings,
                    bool& failed);
  ApiResponse deleteObject(const ResourceType& type, const std::string& key,
                           const StoredObject& current, const std::string& propagation, bool dryRun,
                           bool& deletedNow);
  void finishDeletion(const ResourceType& type, const std::string& key);

  // Writes to the store plus watch fan-out.
  void commit(const ResourceType& type, const std::string& key, nlohmann::json storageObj,
              ManagedFields managed);
  void erase(const ResourceType& type, const std::string& key);
  void notify(const HistoryEvent& ev);
  bool deliver(Watcher& w, const HistoryEvent& ev);  // false: the watcher is gone

  // Discovery and OpenAPI (api_discovery.cpp).
  ApiResponse discovery(const ApiRequest& req, const std::vector<std::string>& segs, bool& handled);
  ApiResponse openapi(const ApiRequest& req, const std::vector<std::string>& segs);
  nlohmann::ordered_json groupVersionResources(const std::string& group, const std::string& version,
                                               bool aggregated) const;
  nlohmann::json openApiV3Document(const std::string& group, const std::string& version) const;

  // Controllers (api_controllers.cpp).
  void controllerLoop();
  void stepControllersLocked(bool force);
  void establishCrds(bool force);
  void registerCrd(const nlohmann::json& crd);
  void unregisterCrd(const std::string& crdName);
  void collectGarbage(bool force);
  void syncNamespaces(bool force);
  void tickWatches();
  common::Clock::SteadyTime nextBookmarkTime(const Watcher& w, common::Clock::SteadyTime now) const;
  ApiResponse validateCrd(const nlohmann::json& crd, const nlohmann::json* old);
  ApiResponse issueToken(const ApiRequest& req, const Target& t);

  ApiServerOptions options_;
  std::atomic<bool> priorityAndFairness_;
  std::shared_ptr<const common::Clock> clock_;
  FaultInjector faults_;
  RequestCounters counters_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  ObjectStore store_;
  std::vector<ResourceTypePtr> builtins_;
  std::map<std::string, std::vector<ResourceTypePtr>> customByCrd_;  // CRD name -> its types
  std::map<std::string, common::Clock::SteadyTime> crdsToEstablish_;
  std::map<std::string, common::Clock::SteadyTime> storageReadyAt_;  // storageKey -> when
  std::list<std::shared_ptr<Watcher>> watchers_;
  // Garbage collector work: owners deleted (uid) and dependents to check, due at a time.
  std::map<std::string, common::Clock::SteadyTime> gcDue_;
  std::map<std::string, common::Clock::SteadyTime> namespacesDue_;
  std::string kubeSystemUid_;
  std::map<std::string, common::Clock::WallTime> issuedTokens_;
  bool stopping_ = false;
  std::thread controllerThread_;
};

}  // namespace dbtoken::kubedouble
