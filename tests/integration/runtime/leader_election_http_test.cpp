#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "integration/runtime/live_kube.h"
#include "runtime/leader_election.h"

using namespace dbtoken;
using runtime::LeaderElector;
using std::chrono::milliseconds;
using testing::LiveKube;

namespace {

constexpr milliseconds kLease{2000};
constexpr milliseconds kRenew{1500};
constexpr milliseconds kRetry{200};

// One replica: its own client and elector, running on its own thread.
class Replica {
 public:
  Replica(const LiveKube& kube, const std::string& id, bool releaseOnStop)
      : api_(kube.client([](kube::ClusterConfig&, kube::RestOptions& o) {
          o.timeout = milliseconds(1000);  // below renewDeadline - retryPeriod
        })) {
    runtime::LeaderElectionOptions o;
    o.leaseNamespace = "default";
    o.leaseName = "dbtoken-operator";
    o.identity = id;
    o.leaseDuration = kLease;
    o.renewDeadline = kRenew;
    o.retryPeriod = kRetry;
    o.releaseOnCancel = releaseOnStop;
    elector_ = std::make_unique<LeaderElector>(*api_, o);
    thread_ = std::thread([this] {
      LeaderElector::Callbacks cb;
      cb.onStartedLeading = [this] { ledAt_ = std::chrono::steady_clock::now(); };
      // run() reports a holder other than us only after an attempt that was refused.
      cb.onNewLeader = [this](const std::string& holder) {
        std::lock_guard lk(mu_);
        holders_.push_back(holder);
      };
      outcome_ = elector_->run(stop_.get_token(), cb);
    });
  }
  ~Replica() { stop(); }

  // Stops the loop; without release this is what a kill looks like from outside.
  void stop() {
    stop_.request_stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  bool leading() const { return elector_->isLeader(); }
  bool sawLeader(const std::string& holder) const {
    std::lock_guard lk(mu_);
    return std::find(holders_.begin(), holders_.end(), holder) != holders_.end();
  }
  std::optional<std::chrono::steady_clock::time_point> ledAt() const {
    auto t = ledAt_.load();
    return t == std::chrono::steady_clock::time_point{} ? std::nullopt : std::optional(t);
  }

 private:
  std::unique_ptr<kube::RestKubeApi> api_;
  std::unique_ptr<LeaderElector> elector_;
  std::stop_source stop_;
  mutable std::mutex mu_;
  std::vector<std::string> holders_;
  std::atomic<std::chrono::steady_clock::time_point> ledAt_{};
  LeaderElector::Outcome outcome_ = LeaderElector::Outcome::kStopped;
  std::thread thread_;
};

bool eventuallyFor(const std::function<bool()>& condition, milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

}  // namespace

TEST_CASE(
    "Leader election over HTTPS: of two replicas exactly one leads; killed, the other takes "
    "over within the lease duration") {
  LiveKube kube;
  auto a = std::make_unique<Replica>(kube, "replica-a", /*releaseOnStop=*/false);
  auto b = std::make_unique<Replica>(kube, "replica-b", /*releaseOnStop=*/false);
  REQUIRE(eventuallyFor([&] { return a->leading() || b->leading(); }, milliseconds(3000)));
  // Hold for a few renewals: never both, never none.
  for (int i = 0; i < 20; ++i) {
    CHECK((a->leading() != b->leading()));
    std::this_thread::sleep_for(milliseconds(50));
  }
  Replica& leader = a->leading() ? *a : *b;
  Replica& follower = a->leading() ? *b : *a;
  auto lease = *kube.client()->get(kube::resources::leases(), "default", "dbtoken-operator");
  CHECK(lease["spec"]["holderIdentity"] == (a->leading() ? "replica-a" : "replica-b"));

  leader.stop();  // no release: the lease stays held until it expires
  auto killedAt = std::chrono::steady_clock::now();
  REQUIRE(
      eventuallyFor([&] { return follower.leading(); }, kLease + 4 * kRetry + milliseconds(1000)));
  auto takeover = *follower.ledAt() - killedAt;
  CHECK(takeover <=
        kLease + milliseconds(static_cast<long long>(2.2 * kRetry.count())) + milliseconds(300));
  CHECK(takeover >=
        kLease - milliseconds(static_cast<long long>(2.2 * kRetry.count())) - milliseconds(100));
  lease = *kube.client()->get(kube::resources::leases(), "default", "dbtoken-operator");
  CHECK(lease["spec"]["leaseTransitions"] == 1);
}

TEST_CASE("Leader election over HTTPS: a leader that releases on shutdown is replaced at once") {
  LiveKube kube;
  auto a = std::make_unique<Replica>(kube, "replica-a", /*releaseOnStop=*/true);
  REQUIRE(eventuallyFor([&] { return a->leading(); }, milliseconds(3000)));
  auto b = std::make_unique<Replica>(kube, "replica-b", /*releaseOnStop=*/true);
  // b has tried and was refused (not merely not started yet).
  REQUIRE(eventuallyFor([&] { return b->sawLeader("replica-a"); }, milliseconds(3000)));
  CHECK_FALSE(b->leading());
  auto stoppedAt = std::chrono::steady_clock::now();
  a->stop();
  REQUIRE(eventuallyFor([&] { return b->leading(); }, milliseconds(2000)));
  CHECK(*b->ledAt() - stoppedAt <
        milliseconds(static_cast<long long>(2.2 * kRetry.count())) + milliseconds(300));
}
