#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "http/transport.h"
#include "integration/runtime/live_kube.h"
#include "runtime/client_metrics.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/manager.h"
#include "runtime/probes.h"
#include "testing/prometheus_text.h"

using namespace dbtoken;
using nlohmann::json;
using std::chrono::milliseconds;
using testing::LiveKube;

namespace {

// Reconciles ConfigMaps by recording an event on each.
class EventingReconciler final : public runtime::Reconciler {
 public:
  EventingReconciler(const runtime::Store& store, runtime::EventRecorder& events)
      : store_(store), events_(events) {}
  common::Result<runtime::Action> reconcile(const kube::ObjectKey& key) override {
    ++calls;
    if (auto obj = store_.get(key)) {
      events_.event(*obj, runtime::EventType::kNormal, "Seen", "The object was reconciled.");
    }
    return runtime::Action::awaitChange();
  }
  std::atomic<int> calls{0};

 private:
  const runtime::Store& store_;
  runtime::EventRecorder& events_;
};

}  // namespace

TEST_CASE(
    "Manager over HTTPS: leads, syncs, reconciles, serves valid /metrics and /readyz, and on "
    "stop drains and releases the lease") {
  LiveKube kube;
  runtime::Registry metrics;
  auto api = kube.client([&](kube::ClusterConfig&, kube::RestOptions& o) {
    o.observer = runtime::restClientMetrics(metrics);
  });
  auto leaseApi = kube.client(
      [](kube::ClusterConfig&, kube::RestOptions& o) { o.timeout = milliseconds(1000); });
  for (const char* name : {"one", "two"}) {
    auto created = api->create(kube::resources::configMaps(), "default",
                               {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"metadata", {{"name", name}, {"namespace", "default"}}},
                                {"data", {{"k", "v"}}}},
                               {});
    REQUIRE(created.ok());
    // Without a field manager the server names the writer after the User-Agent.
    CHECK((*created)["metadata"]["managedFields"][0]["manager"] == "runtime-integration-test");
  }
  runtime::InformerOptions io;
  io.resource = kube::resources::configMaps();
  io.ns = "default";
  runtime::Informer informer(*api, io);
  runtime::KubeEventRecorder events(*api, {});
  EventingReconciler reconciler(informer.store(), events);
  runtime::ControllerOptions co;
  co.name = "configmaps";
  co.workers = 2;
  co.metrics = &metrics;
  runtime::Controller controller(reconciler, std::move(co));
  controller.watch(informer);

  runtime::ManagerOptions mo;
  runtime::LeaderElectionOptions le;
  le.leaseNamespace = "default";
  le.leaseName = "manager-test";
  le.identity = "replica-a";
  le.leaseDuration = milliseconds(2000);
  le.renewDeadline = milliseconds(1500);
  le.retryPeriod = milliseconds(200);
  le.metrics = &metrics;
  mo.leaderElection = le;
  mo.shutdownGrace = milliseconds(2000);
  runtime::Manager manager(mo, leaseApi.get());
  manager.add(informer);
  manager.add(controller);

  auto probes = runtime::ProbeServer::start({}, &metrics);
  REQUIRE(probes.ok());
  (*probes)->addReadinessCheck("informers", [&] { return manager.informersSynced(); });
  http::TransportOptions t;
  t.baseUrl = (*probes)->url();
  auto client = http::makeTransport(t);
  REQUIRE(client.ok());
  auto get = [&](const std::string& path) {
    http::ClientRequest r;
    r.target = path;
    return (*client)->send(r);
  };
  CHECK(get("/readyz")->status == 503);

  std::stop_source stop;
  int exitCode = -1;
  std::thread runner([&] { exitCode = manager.run(stop.get_token()); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reconciler.calls.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(reconciler.calls.load() >= 2);
  CHECK(get("/readyz")->status == 200);
  auto text = get("/metrics");
  REQUIRE(text.ok());
  INFO(text->body);
  CHECK(testing::validateExposition(text->body).empty());
  CHECK_THAT(text->body, Catch::Contains("leader_election_master_status{name=\"manager-test\"} 1"));
  CHECK_THAT(text->body, Catch::Contains("controller_runtime_reconcile_total{controller="
                                         "\"configmaps\",result=\"success\"}"));
  CHECK_THAT(text->body, Catch::Contains("workqueue_adds_total{name=\"configmaps\"} 2"));
  CHECK_THAT(text->body, Catch::Contains("controller_runtime_active_workers{controller="
                                         "\"configmaps\"}"));
  CHECK_THAT(text->body,
             Catch::Contains("rest_client_requests_total{code=\"201\",method=\"POST\"} "));
  CHECK_THAT(text->body,
             Catch::Contains("rest_client_request_duration_seconds_count{verb=\"list\"} 1"));

  stop.request_stop();
  runner.join();
  CHECK(exitCode == 0);
  auto lease = api->get(kube::resources::leases(), "default", "manager-test");
  REQUIRE(lease.ok());
  CHECK((*lease)["spec"]["holderIdentity"] == "");
  events.flush();
  auto listed = api->list(kube::resources::events(), "default", {});
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == 2);
}

TEST_CASE("Manager over HTTPS: losing the lease stops the controllers and exits 1") {
  LiveKube kube;
  auto api = kube.client();
  auto leaseApi = kube.client([](kube::ClusterConfig&, kube::RestOptions& o) {
    o.timeout = milliseconds(500);
    o.maxRetries = 0;
  });
  runtime::InformerOptions io;
  io.resource = kube::resources::configMaps();
  io.ns = "default";
  runtime::Informer informer(*api, io);
  struct Noop final : runtime::Reconciler {
    common::Result<runtime::Action> reconcile(const kube::ObjectKey&) override {
      return runtime::Action::awaitChange();
    }
  } reconciler;
  runtime::Controller controller(reconciler, {});
  runtime::ManagerOptions mo;
  runtime::LeaderElectionOptions le;
  le.leaseNamespace = "default";
  le.leaseName = "lost-test";
  le.identity = "replica-a";
  le.leaseDuration = milliseconds(1000);
  le.renewDeadline = milliseconds(400);
  le.retryPeriod = milliseconds(100);
  mo.leaderElection = le;
  runtime::Manager manager(mo, leaseApi.get());
  manager.add(informer);
  manager.add(controller);
  std::stop_source stop;
  int exitCode = -1;
  std::thread runner([&] { exitCode = manager.run(stop.get_token()); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!manager.isLeader() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  REQUIRE(manager.isLeader());
  kube.server().faults().add({"", "leases/lost-test", 1000, 503, 0, milliseconds(0), ""});
  runner.join();  // returns without a stop request
  CHECK(exitCode == 1);
  CHECK(controller.queue().shuttingDown());
}
