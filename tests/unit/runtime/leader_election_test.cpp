#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stop_token>
#include <vector>

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
  kube::RestKubeApi api{std::make_unique<testing::KubeInProcessTransport>(server), options()};

  // No client-side rate limit: it would wait in real time.
  static kube::RestOptions options() {
    kube::RestOptions o;
    o.qps = 0;
    return o;
  }
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
  f.advanceBoth(milliseconds(4999));
  CHECK_FALSE(b->tryAcquireOrRenew());
  // Refused because of the lease, not because it can never win: a full duration later it does.
  f.advanceBoth(milliseconds(1));
  CHECK(b->tryAcquireOrRenew());
  CHECK(f.lease()["spec"]["holderIdentity"] == "replica-b");
}

namespace {

// run() on its own thread, with what it reported so far.
class Runner {
 public:
  explicit Runner(LeaderElector& elector) {
    LeaderElector::Callbacks cb;
    cb.onStartedLeading = [this] { set([this] { started_ = true; }); };
    cb.onStoppedLeading = [this] { set([this] { stopped_ = true; }); };
    cb.onNewLeader = [this](const std::string& holder) {
      set([this, holder] { holders_.push_back(holder); });
    };
    outcome_ = std::async(std::launch::async, [&elector, cb, token = stop_.get_token()] {
      return elector.run(token, cb);
    });
  }
  ~Runner() {
    stop_.request_stop();
    if (outcome_.valid()) {
      outcome_.wait();
    }
  }
  // The guards only turn a hang into a failure.
  bool awaitStarted() {
    return await([this] { return started_; });
  }
  bool awaitHolder(const std::string& holder) {
    return await(
        [&] { return std::find(holders_.begin(), holders_.end(), holder) != holders_.end(); });
  }
  bool started() {
    std::lock_guard lk(mu_);
    return started_;
  }
  bool stopped() {
    std::lock_guard lk(mu_);
    return stopped_;
  }
  void stop() { stop_.request_stop(); }
  std::optional<LeaderElector::Outcome> outcome() {
    if (outcome_.wait_for(seconds(10)) != std::future_status::ready) {
      return std::nullopt;
    }
    return outcome_.get();
  }

 private:
  template <typename F>
  void set(F f) {
    {
      std::lock_guard lk(mu_);
      f();
    }
    changed_.notify_all();
  }
  template <typename P>
  bool await(P p) {
    std::unique_lock lk(mu_);
    return changed_.wait_for(lk, seconds(10), p);
  }
  std::mutex mu_;
  std::condition_variable changed_;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::string> holders_;
  std::stop_source stop_;
  std::future<LeaderElector::Outcome> outcome_;
};

}  // namespace

TEST_CASE("LeaderElection: release clears the holder so the next replica takes over at once") {
  ElectionFixture f;
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  Runner runA(*a);
  REQUIRE(runA.awaitStarted());
  CHECK(a->isLeader());
  CHECK_THAT(f.metrics.render(),
             Catch::Contains("leader_election_master_status{name=\"dbtoken-operator\"} 1"));
  CHECK_FALSE(b->tryAcquireOrRenew());
  CHECK(b->observedHolder() == "replica-a");
  runA.stop();
  REQUIRE(runA.outcome() == LeaderElector::Outcome::kStopped);
  CHECK(runA.stopped());
  CHECK_FALSE(a->isLeader());
  auto lease = f.lease();
  CHECK(lease["spec"]["holderIdentity"] == "");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 1);
  CHECK(b->tryAcquireOrRenew());  // no waiting for the old lease to expire
  CHECK_THAT(f.metrics.render(),
             Catch::Contains("leader_election_master_status{name=\"dbtoken-operator\"} 0"));
}

TEST_CASE(
    "LeaderElection: a running follower tries, is refused while the leader renews, and takes "
    "over once the lease expires") {
  ElectionFixture f;
  auto a = f.elector("replica-a", f.clockA);
  auto b = f.elector("replica-b", f.clockB);
  REQUIRE(a->tryAcquireOrRenew());
  Runner runB(*b);
  // b tried: it read the lease and reports a as the leader; refused, it waits to retry.
  REQUIRE(runB.awaitHolder("replica-a"));
  REQUIRE(f.clockB.awaitWaiters(1));
  CHECK_FALSE(runB.started());
  CHECK_FALSE(b->isLeader());
  // While a renews, every retry of b is refused.
  for (int i = 0; i < 5; ++i) {
    f.advanceBoth(milliseconds(4400));  // past the longest jittered retry period (2 s * 2.2)
    REQUIRE(a->tryAcquireOrRenew());
    REQUIRE(f.clockB.awaitWaiters(1));  // b tried again and went back to waiting
    CHECK_FALSE(runB.started());
  }
  // a stops renewing: b takes over once it has seen the lease unchanged for leaseDuration.
  for (int i = 0; i < 5 && !runB.started(); ++i) {
    f.advanceBoth(milliseconds(4400));
    REQUIRE(f.clockB.awaitWaiters(1));  // retried (and still waiting), or leading and renewing
  }
  CHECK(runB.started());
  CHECK(b->isLeader());
  CHECK(f.lease()["spec"]["holderIdentity"] == "replica-b");
}

TEST_CASE("LeaderElection: a leader that cannot renew for renewDeadline gives up leadership") {
  ElectionFixture f;
  common::FakeClock clock;
  runtime::LeaderElectionOptions o;
  o.leaseNamespace = "default";
  o.leaseName = "short";
  o.identity = "replica-a";
  o.leaseDuration = milliseconds(1000);
  o.renewDeadline = milliseconds(200);
  o.retryPeriod = milliseconds(20);
  o.clock = &clock;
  LeaderElector a(f.api, o);
  Runner run(a);
  REQUIRE(run.awaitStarted());
  f.server.faults().add({"PUT", "leases/short", 1000, 500, 0, milliseconds(0), ""});
  // Nine failed renewals (180 ms) are not enough to give up ...
  for (int i = 0; i < 9; ++i) {
    REQUIRE(clock.awaitWaiters(1));
    CHECK(a.isLeader());
    clock.advance(milliseconds(20));
  }
  REQUIRE(clock.awaitWaiters(1));
  CHECK(a.isLeader());
  CHECK_FALSE(run.stopped());
  // ... the tenth, 200 ms after the last renewal, is.
  clock.advance(milliseconds(20));
  CHECK(run.outcome() == LeaderElector::Outcome::kLost);
  CHECK(run.stopped());
  CHECK_FALSE(a.isLeader());
}
