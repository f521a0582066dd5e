#include <catch2/catch.hpp>

#include <thread>

#include "common/time_format.h"
#include "kube/api_server.h"
#include "kube/rest_client.h"
#include "runtime/leader_election.h"
#include "testing/kube_in_process.h"

using namespace dbtoken;
using runtime::LeaderElector;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// Two replicas sharing one API double, each with its own clock (as on two machines).
struct ElectionFixture {
  kubedouble::ApiServer server;
  kube::RestKubeApi api{std::make_unique<testing::KubeInProcessTransport>(server), {}};
  common::FakeClock clockA;
  common::FakeClock clockB;
  runtime::Registry metrics;

  std::unique_ptr<LeaderElector> elector(const std::string& id, common::FakeClock& clock) {
    runtime::LeaderElectionOptions o;
    o.leaseNamespace = "default";
    o.leaseName = "dbtoken-operator";
    o.identity = id;
    o.clock = &clock;
    o.metrics = &metrics;
    return std::make_unique<LeaderElector>(api, o);
  }
  nlohmann::json lease() {
    return *api.get(kube::resources::leases(), "default", "dbtoken-operator");
  }
  void advanceBoth(std::chrono::nanoseconds d) {
    clockA.advance(d);
    clockB.advance(d);
  }
};

}  // namespace

TEST_CASE(
    "LeaderElection: the first replica creates the Lease; the other cannot take it while "
    "it is renewed") {
  ElectionFixture f;
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  CHECK(a->tryAcquireOrRenew());
  auto lease = f.lease();
  CHECK(lease["spec"]["holderIdentity"] == "replica-a");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 15);
  CHECK(lease["spec"]["leaseTransitions"] == 0);
  CHECK(common::isRfc3339Micro(lease["spec"]["renewTime"].get<std::string>()));
  CHECK(common::isRfc3339Micro(lease["spec"]["acquireTime"].get<std::string>()));

  for (int i = 0; i < 10; ++i) {  // 20 s of renewals every 2 s
    CHECK_FALSE(b->tryAcquireOrRenew());
    f.advanceBoth(seconds(2));
    CHECK(a->tryAcquireOrRenew());
  }
  CHECK(b->observedHolder() == "replica-a");
  CHECK(f.lease()["spec"]["acquireTime"] == lease["spec"]["acquireTime"]);
}

TEST_CASE(
    "LeaderElection: a holder that stops renewing loses the lease after leaseDuration, "
    "counted from when the follower last saw it change") {
  ElectionFixture f;
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  REQUIRE(a->tryAcquireOrRenew());
  CHECK_FALSE(b->tryAcquireOrRenew());  // b sees the record now
  f.advanceBoth(seconds(14));
  CHECK_FALSE(b->tryAcquireOrRenew());
  f.advanceBoth(seconds(1));
  CHECK(b->tryAcquireOrRenew());
  auto lease = f.lease();
  CHECK(lease["spec"]["holderIdentity"] == "replica-b");
  CHECK(lease["spec"]["leaseTransitions"] == 1);
  // The old holder notices on its next attempt.
  CHECK_FALSE(a->tryAcquireOrRenew());
  CHECK(a->observedHolder() == "replica-b");
}

TEST_CASE(
    "LeaderElection: a follower whose clock runs far ahead still waits a full lease "
    "duration") {
  ElectionFixture f;
  f.clockB.advance(std::chrono::hours(5));
  f.clockB.setWall(f.clockA.wallNow() + std::chrono::hours(5));
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  REQUIRE(a->tryAcquireOrRenew());
  CHECK_FALSE(b->tryAcquireOrRenew());
  f.advanceBoth(seconds(10));
  CHECK_FALSE(b->tryAcquireOrRenew());
}

TEST_CASE("LeaderElection: release clears the holder so the next replica takes over at once") {
  ElectionFixture f;
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  std::stop_source stopA;
  runtime::LeaderElectionOptions fast;
  std::atomic<bool> started{false};
  std::thread runner([&] {
    LeaderElector::Callbacks cb;
    cb.onStartedLeading = [&] { started = true; };
    CHECK(a->run(stopA.get_token(), cb) == LeaderElector::Outcome::kStopped);
  });
  while (!started) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  CHECK(a->isLeader());
  CHECK_THAT(f.metrics.render(),
             Catch::Contains("leader_election_master_status{name=\"dbtoken-operator\"} 1"));
  CHECK_FALSE(b->tryAcquireOrRenew());
  stopA.request_stop();
  runner.join();
  CHECK_FALSE(a->isLeader());
  auto lease = f.lease();
  CHECK(lease["spec"]["holderIdentity"] == "");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 1);
  CHECK(b->tryAcquireOrRenew());  // no waiting for the old lease to expire
  CHECK_THAT(f.metrics.render(),
             Catch::Contains("leader_election_master_status{name=\"dbtoken-operator\"} 0"));
}

TEST_CASE("LeaderElection: a leader that cannot renew for renewDeadline gives up leadership") {
  ElectionFixture f;
  runtime::LeaderElectionOptions o;
  o.leaseNamespace = "default";
  o.leaseName = "short";
  o.identity = "replica-a";
  o.leaseDuration = milliseconds(1000);
  o.renewDeadline = milliseconds(200);
  o.retryPeriod = milliseconds(20);
  LeaderElector a(f.api, o);
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  LeaderElector::Outcome outcome = LeaderElector::Outcome::kStopped;
  std::stop_source stop;
  std::thread runner([&] {
    LeaderElector::Callbacks cb;
    cb.onStartedLeading = [&] { started = true; };
    cb.onStoppedLeading = [&] { stopped = true; };
    outcome = a.run(stop.get_token(), cb);
  });
  while (!started) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  f.server.faults().add({"PUT", "leases/short", 1000, 500, 0, milliseconds(0), ""});
  runner.join();
  CHECK(outcome == LeaderElector::Outcome::kLost);
  CHECK(stopped);
  CHECK_FALSE(a.isLeader());
}
