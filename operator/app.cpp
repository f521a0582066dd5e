#include "operator/app.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/backoff.h"
#include "influx/errors.h"
#include "influx/http_token_client.h"
#include "kube/cluster_config.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "runtime/client_metrics.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/informer.h"
#include "runtime/leader_election.h"
#include "runtime/manager.h"
#include "runtime/metrics.h"
#include "runtime/object_watches.h"
#include "runtime/probes.h"
#include "runtime/store.h"
#include "tokens/database_token.h"
#include "tokens/inventory.h"
#include "tokens/inventory_reconciler.h"
#include "tokens/priority.h"
#include "tokens/reconciler.h"
#include "tokens/secret_builder.h"
#include "tokens/wiring.h"

#ifndef DBTOKEN_VERSION
#define DBTOKEN_VERSION "0.0.0"
#endif

namespace dbtoken::op {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

std::string versionString() {
  return std::string("influxdb-token-operator ") + DBTOKEN_VERSION;
}

kube::RestOptions kubeClientOptions(const Config& config, kube::RestOptions base) {
  base.qps = config.qps;
  base.burst = config.burst;
  base.limitsExplicit = config.kubeApiLimitsExplicit;
  return base;
}

kube::RestOptions eventClientOptions(const Config& config, kube::RestOptions base) {
  base.qps = config.eventsQps;
  base.burst = config.eventsBurst;
  base.limitsExplicit = config.eventsLimitsExplicit;
  return base;
}

namespace {

std::string envOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

std::string hostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) {
    return "unknown";
  }
  return buf;
}

// The namespace the pod runs in: $POD_NAMESPACE, the service account's namespace file, or the
// kubeconfig's default.
std::string podNamespace(const kube::ClusterConfig& cluster) {
  if (auto ns = envOr("POD_NAMESPACE", ""); !ns.empty()) {
    return ns;
  }
  std::ifstream in("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  if (in && std::getline(in, ns) && !ns.empty()) {
    return ns;
  }
  return cluster.defaultNamespace;
}

// The kube-system namespace's UID: what names this cluster in the ownership marker. Errors that
// retrying cannot fix end the process; an API that is not there yet is waited for.
Result<std::string> discoverClusterId(kube::KubeApi& api, const common::Logger& log,
                                      std::stop_token stop) {
  common::Backoff backoff(
      common::BackoffPolicy{std::chrono::milliseconds(500), std::chrono::seconds(30), 2.0, 0.2},
      {});
  std::mutex mu;
  std::condition_variable_any cv;
  while (true) {
    auto ns = api.get(kube::resources::namespaces(), "", "kube-system");
    if (ns.ok()) {
      std::string uid = kube::uidOf(*ns);
      if (uid.empty()) {
        return Status(Code::kFailedPrecondition, "the kube-system namespace has no UID");
      }
      return uid;
    }
    Code code = ns.status().code();
    if (code == Code::kPermissionDenied || code == Code::kUnauthenticated ||
        code == Code::kNotFound) {
      return Status(code, "cannot read the kube-system namespace to name this cluster (" +
                              ns.status().message() +
                              "); grant get on namespaces/kube-system or set --cluster-id");
    }
    auto wait = backoff.next();
    log.warn("the Kubernetes API is not answering yet; retrying",
             {{"error", ns.status().message()},
              {"retryIn", std::chrono::duration<double>(wait).count()}});
    std::unique_lock lk(mu);
    cv.wait_for(lk, stop, wait, [] { return false; });
    if (stop.stop_requested()) {
      return Status(Code::kCancelled, "stopped");
    }
  }
}

// Per-resource conditions as a gauge (kube-state-metrics style): 1 for the condition's current
// status, 0 for the others, so an alert is `dbtoken_status_condition{type="Ready",
// status="False"} == 1`. Computed from the cache at every scrape and kept nowhere in between:
// resources that are gone simply have no series, and the operator holds no copy of 9 series per
// resource (as Family<Gauge> children they held about 4 KB per resource, 40 MiB at 10,000).
class ConditionGauge {
 public:
  static constexpr const char* kName = "dbtoken_status_condition";

  ConditionGauge(runtime::Registry& registry, const runtime::ObjectReader& tokens)
      : registry_(registry),
        tokens_(tokens),
        phases_(registry.gauge("dbtoken_resources", "DatabaseTokens by phase.", {"phase"})) {
    registry_.computedGauge(kName,
                            "The status of each condition of each DatabaseToken (1: current).",
                            {"namespace", "name", "type", "status"},
                            [this](const runtime::GaugeSample& emit) { samples(emit); });
    id_ = registry_.onCollect([this] { countPhases(); });
  }
  ~ConditionGauge() {
    registry_.removeCollector(id_);
    registry_.removeComputed(kName);
  }
  ConditionGauge(const ConditionGauge&) = delete;
  ConditionGauge& operator=(const ConditionGauge&) = delete;

 private:
  static std::string phaseOf(const nlohmann::json& object) {
    if (auto st = object.find("status"); st != object.end() && st->is_object()) {
      return st->value("phase", tokens::kPhasePending);
    }
    return tokens::kPhasePending;
  }

  void countPhases() {
    std::map<std::string, int> byPhase{{tokens::kPhasePending, 0},
                                       {tokens::kPhaseActive, 0},
                                       {tokens::kPhaseRevoked, 0},
                                       {tokens::kPhaseFailed, 0}};
    for (const auto& object : tokens_.list()) {
      byPhase[phaseOf(*object)]++;
    }
    for (const auto& [phase, n] : byPhase) {
      phases_.with({phase}).set(n);
    }
  }

  void samples(const runtime::GaugeSample& emit) {
    static constexpr const char* kTypes[] = {tokens::kConditionReady, tokens::kConditionSynced,
                                             tokens::kConditionRevoked};
    static constexpr const char* kStatuses[] = {"True", "False", "Unknown"};
    std::vector<runtime::ObjectPtr> objects = tokens_.list();
    std::sort(objects.begin(), objects.end(),
              [](const auto& a, const auto& b) { return kube::keyOf(*a) < kube::keyOf(*b); });
    runtime::LabelValues labels(4);
    for (const auto& object : objects) {
      labels[0] = kube::namespaceOf(*object);
      labels[1] = kube::nameOf(*object);
      std::map<std::string, std::string> current;
      if (auto st = object->find("status"); st != object->end() && st->is_object()) {
        if (auto cs = st->find("conditions"); cs != st->end()) {
          for (const auto& c : tokens::parseConditions(*cs)) {
            current[c.type] = c.status;
          }
        }
      }
      for (const char* type : kTypes) {
        auto it = current.find(type);
        std::string status = it == current.end() ? "Unknown" : it->second;
        labels[2] = type;
        for (const char* st : kStatuses) {
          labels[3] = st;
          emit(labels, status == st ? 1 : 0);
        }
      }
    }
  }

  runtime::Registry& registry_;
  const runtime::ObjectReader& tokens_;
  runtime::Family<runtime::Gauge>& phases_;
  int id_ = 0;
};

// Management API requests by operation and answer, and their latency.
std::function<void(const influx::AttemptRecord&)> managementMetrics(runtime::Registry& registry) {
  auto& total = registry.counter("dbtoken_management_api_requests_total",
                                 "Requests to the InfluxDB Management API by operation and "
                                 "HTTP status (\"error\": no answer).",
                                 {"op", "code"});
  auto& latency = registry.histogram("dbtoken_management_api_request_duration_seconds",
                                     "Latency of Management API requests.", {"op"});
  return [&total, &latency](const influx::AttemptRecord& r) {
    std::string op = influx::operationName(r.op);
    total.with({op, r.httpStatus == 0 ? "error" : std::to_string(r.httpStatus)}).inc();
    latency.with({op}).observe(std::chrono::duration<double>(r.latency).count());
  };
}

}  // namespace

RunResult runOperator(const Config& config, const common::Logger& logger,
                      std::shared_ptr<common::Redactor> redactor, std::stop_token stop) {
  common::Logger log = logger.named("setup");
  runtime::Registry registry;

  // Endpoints first: /healthz answers from process start (a liveness probe must not kill a pod
  // that is only waiting for the Kubernetes API); /readyz once the caches have synced.
  std::atomic<const runtime::Manager*> running{nullptr};
  std::unique_ptr<runtime::ProbeServer> metricsServer;
  std::unique_ptr<runtime::ProbeServer> probeServer;
  if (config.metricsAddr.enabled) {
    auto started = runtime::ProbeServer::start(
        http::ServerOptions{config.metricsAddr.host, config.metricsAddr.port, std::nullopt},
        &registry);
    if (!started.ok()) {
      return {kExitFailure, "--metrics-addr: " + started.status().message()};
    }
    metricsServer = std::move(started).value();
    log.info("serving metrics", {{"url", metricsServer->url() + "/metrics"}});
  }
  if (config.probeAddr.enabled) {
    auto started = runtime::ProbeServer::start(
        http::ServerOptions{config.probeAddr.host, config.probeAddr.port, std::nullopt}, nullptr);
    if (!started.ok()) {
      return {kExitFailure, "--probe-addr: " + started.status().message()};
    }
    probeServer = std::move(started).value();
    probeServer->addReadinessCheck("informers-synced", [&running] {
      const runtime::Manager* m = running.load();
      return m != nullptr && m->informersSynced();
    });
    log.info("serving probes", {{"url", probeServer->url()}});
  }
  // Stops both servers before anything their checks read is gone, however this function ends.
  struct StopEndpoints {
    std::atomic<const runtime::Manager*>& running;
    std::unique_ptr<runtime::ProbeServer>& a;
    std::unique_ptr<runtime::ProbeServer>& b;
    ~StopEndpoints() {
      for (auto* server : {&a, &b}) {
        if (*server) {
          (*server)->stop();
        }
      }
      running.store(nullptr);
    }
  };

  // Kubernetes.
  auto cluster = kube::loadClusterConfig({config.kubeconfig, config.context});
  if (!cluster.ok()) {
    return {kExitBadConfig, cluster.status().message()};
  }
  if (!cluster->auth.token.empty()) {
    redactor->add(cluster->auth.token);
  }
  kube::RestOptions clientBase;
  clientBase.logger = logger;
  clientBase.redactor = redactor;
  clientBase.observer = runtime::restClientMetrics(registry);
  clientBase.timeout = config.kubeApiTimeout;
  kube::RestOptions restOptions = kubeClientOptions(config, clientBase);
  auto kubeApi = kube::RestKubeApi::make(*cluster, restOptions);
  if (!kubeApi.ok()) {
    return {kExitBadConfig, kubeApi.status().message()};
  }
  // Events through a client of their own, like client-go's event broadcaster: a burst of
  // Events waits on its own limiter, never in front of a Secret or status write.
  auto eventApi = kube::RestKubeApi::make(*cluster, eventClientOptions(config, clientBase));
  if (!eventApi.ok()) {
    return {kExitBadConfig, eventApi.status().message()};
  }
  log.info("starting", {{"version", DBTOKEN_VERSION},
                        {"kubernetes", cluster->source},
                        {"server", cluster->server},
                        {"managementUrl", config.managementUrl}});

  // The Management API client checks its own configuration (https, token file, CA file).
  influx::HttpTokenClientOptions influxOptions;
  influxOptions.url = config.managementUrl;
  influxOptions.shape = config.shape;
  influxOptions.accountId = config.accountId;
  influxOptions.clusterId = config.influxClusterId;
  influxOptions.managementTokenFile = config.managementTokenFile;
  if (!config.caFile.empty()) {
    influxOptions.caFile = config.caFile;
  }
  influxOptions.allowInsecureHttp = config.allowInsecureHttp;
  influxOptions.timeout = config.managementTimeout;
  influxOptions.logger = logger;
  influxOptions.redactor = redactor;
  influxOptions.observer = managementMetrics(registry);
  auto influxClient = influx::HttpTokenClient::make(std::move(influxOptions));
  if (!influxClient.ok()) {
    return {kExitBadConfig, influxClient.status().message()};
  }

  std::string clusterId = config.clusterId;
  if (clusterId.empty()) {
    auto discovered = discoverClusterId(**kubeApi, log, stop);
    if (!discovered.ok()) {
      if (discovered.status().code() == Code::kCancelled) {
        return {kExitOk, ""};
      }
      return {kExitFailure, discovered.status().message()};
    }
    clusterId = *discovered;
  }
  tokens::Scope scope{clusterId, config.instance, config.namespaces};
  log.info("identity",
           {{"clusterId", clusterId},
            {"instance", scope.instance},
            {"namespaces", scope.watchesAll() ? "all" : json(scope.namespaces).dump()}});

  // Informers: DatabaseTokens, and the operator's own Secrets (data hashed, never cached).
  std::vector<std::string> namespaces = config.namespaces;
  if (namespaces.empty()) {
    namespaces.push_back("");
  }
  std::vector<std::unique_ptr<runtime::Informer>> tokenInformers;
  std::vector<std::unique_ptr<runtime::Informer>> secretInformers;
  runtime::NamespacedStores tokenStores;
  runtime::NamespacedStores secretStores;
  for (const auto& ns : namespaces) {
    runtime::InformerOptions t = tokens::tokenInformerOptions(ns);
    t.logger = logger;  // the informer names itself and adds its resource and namespace
    tokenInformers.push_back(std::make_unique<runtime::Informer>(**kubeApi, std::move(t)));
    tokenStores.add(ns, tokenInformers.back()->store());

    runtime::InformerOptions s = tokens::secretInformerOptions(ns);
    s.logger = logger;
    secretInformers.push_back(std::make_unique<runtime::Informer>(**kubeApi, std::move(s)));
    secretStores.add(ns, secretInformers.back()->store());
  }

  runtime::EventRecorderOptions eventOptions;
  eventOptions.instance = envOr("POD_NAME", hostName());
  eventOptions.logger = logger;
  eventOptions.redactor = redactor;
  eventOptions.metrics = &registry;
  runtime::KubeEventRecorder events(**eventApi, eventOptions);

  common::RealClock clock;
  tokens::TokenInventory inventory(clock);

  // Secrets without the operator's label that hold a name a DatabaseToken asks for, watched one
  // by one so their deletion is seen; the enqueue target is set once the controller exists.
  std::atomic<runtime::Controller*> tokenControllerRef{nullptr};
  runtime::InformerObjectWatchesOptions watchOptions;
  watchOptions.resource = kube::resources::secrets();
  watchOptions.transform = tokens::foreignSecretTransform;
  watchOptions.enqueue = [&tokenControllerRef](const kube::ObjectKey& owner) {
    if (runtime::Controller* c = tokenControllerRef.load()) {
      c->queue().add(owner);
    }
  };
  watchOptions.logger = logger.named("secret-watches");
  runtime::InformerObjectWatches foreignSecrets(**kubeApi, std::move(watchOptions));

  tokens::ReconcilerOptions reconcilerOptions;
  reconcilerOptions.scope = scope;
  reconcilerOptions.redactor = redactor;
  tokens::TokenReconciler tokenReconciler(**kubeApi, **influxClient, tokenStores, secretStores,
                                          inventory, events, foreignSecrets, clock,
                                          logger.named("reconciler"), reconcilerOptions);
  runtime::ControllerOptions tokenControllerOptions;
  tokenControllerOptions.name = "databasetoken";
  tokenControllerOptions.workers = config.maxConcurrentReconciles;
  tokenControllerOptions.urgentWorkers = 1;  // revocations never wait behind issues in progress
  tokenControllerOptions.metrics = &registry;
  tokenControllerOptions.logger = logger;  // the controller names itself
  runtime::Controller tokenController(tokenReconciler, std::move(tokenControllerOptions));
  tokenControllerRef.store(&tokenController);
  // Before the controller goes: no watch may enqueue into it any more.
  struct StopWatches {
    runtime::InformerObjectWatches& watches;
    std::atomic<runtime::Controller*>& ref;
    ~StopWatches() {
      ref.store(nullptr);
      watches.stopAll();
    }
  } stopWatches{foreignSecrets, tokenControllerRef};
  for (auto& i : tokenInformers) {
    // Revocations and finalization ahead of issuing (DESIGN.md "Revocations first").
    tokenController.watch(*i, runtime::mapToSelf(), tokens::reconcilePriority);
  }
  for (auto& i : secretInformers) {
    tokenController.watch(*i, runtime::mapToOwner(tokens::kGroup, tokens::kKind));
  }

  tokens::InventoryOptions inventoryOptions;
  inventoryOptions.scope = scope;
  inventoryOptions.resyncPeriod = config.resyncPeriod;
  tokens::InventoryReconciler inventoryReconciler(
      **influxClient, inventory, tokenStores, secretStores, events,
      [&tokenController](const kube::ObjectKey& key) { tokenController.queue().add(key); },
      logger.named("inventory"), inventoryOptions);
  runtime::ControllerOptions inventoryControllerOptions;
  inventoryControllerOptions.name = "inventory";
  inventoryControllerOptions.workers = 1;
  inventoryControllerOptions.metrics = &registry;
  inventoryControllerOptions.logger = logger;
  runtime::Controller inventoryController(inventoryReconciler,
                                          std::move(inventoryControllerOptions));
  inventory.setRefreshHook([&inventoryController] {
    inventoryController.queue().add(tokens::InventoryReconciler::key());
  });
  inventoryController.queue().add(tokens::InventoryReconciler::key());

  ConditionGauge conditions(registry, tokenStores);

  // Leader election through its own client, whose timeout is shorter than the renew deadline
  // can absorb, so a hung renewal never outlives the lease.
  std::unique_ptr<kube::RestKubeApi> leaseApi;
  runtime::ManagerOptions managerOptions;
  managerOptions.shutdownGrace = config.shutdownGrace;
  managerOptions.logger = logger;
  if (config.leaderElect) {
    kube::RestOptions leaseOptions = restOptions;
    leaseOptions.timeout =
        std::max(std::chrono::milliseconds(1000), (config.renewDeadline - config.retryPeriod) / 2);
    leaseOptions.maxRetries = 0;
    auto made = kube::RestKubeApi::make(*cluster, leaseOptions);
    if (!made.ok()) {
      return {kExitBadConfig, made.status().message()};
    }
    leaseApi = std::move(made).value();
    runtime::LeaderElectionOptions le;
    le.leaseNamespace = config.leaderElectionNamespace.empty() ? podNamespace(*cluster)
                                                               : config.leaderElectionNamespace;
    le.leaseName = config.leaderElectionId;
    le.identity = runtime::defaultIdentity(envOr("POD_NAME", ""));
    le.leaseDuration = config.leaseDuration;
    le.renewDeadline = config.renewDeadline;
    le.retryPeriod = config.retryPeriod;
    le.metrics = &registry;
    le.logger = logger;
    managerOptions.leaderElection = std::move(le);
  }
  runtime::Manager manager(std::move(managerOptions), leaseApi.get());
  for (auto& i : tokenInformers) {
    manager.add(*i);
  }
  for (auto& i : secretInformers) {
    manager.add(*i);
  }
  manager.add(inventoryController);
  manager.add(tokenController);

  StopEndpoints stopEndpoints{running, metricsServer, probeServer};
  running.store(&manager);
  int status = manager.run(stop);
  log.info("stopped", {{"exitStatus", status}});
  if (status != 0) {
    return {status, "lost the leader election lease; exiting so a new leader takes over"};
  }
  return {kExitOk, ""};
}

}  // namespace dbtoken::op
