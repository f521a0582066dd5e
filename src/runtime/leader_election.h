// LeaderElector: one active replica, chosen through a coordination.k8s.io/v1 Lease with
// client-go's semantics — the lease is taken when it is free or its holder has not renewed it
// for leaseDuration (measured on our own clock from when we last saw it change, so clock skew
// between replicas does not matter); the holder renews it every retryPeriod and gives up
// leadership when it could not renew for renewDeadline; on a requested stop it releases the
// lease (holderIdentity cleared, leaseDurationSeconds 1) so a successor takes over at once.
// tryAcquireOrRenew() is one step, for tests; run() is the loop. Owns the
// leader_election_master_status metric. Give it a client whose request timeout is shorter than
// renewDeadline - retryPeriod, so a hung renewal cannot outlive the lease.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "kube/api_client.h"
#include "runtime/metrics.h"

namespace dbtoken::runtime {

struct LeaderElectionOptions {
  std::string leaseNamespace;
  std::string leaseName;
  std::string identity;  // unique per replica (see defaultIdentity())
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
  bool releaseOnCancel = true;
  Registry* metrics = nullptr;
  common::Logger logger;
  const common::Clock* clock = nullptr;  // RealClock when null
};

// "<name>_<random hex>", as client-go builds identities; name defaults to the hostname (in a
// pod, its name).
std::string defaultIdentity(const std::string& name = "");

class LeaderElector {
 public:
  struct Callbacks {
    std::function<void()> onStartedLeading;
    std::function<void()> onStoppedLeading;
    std::function<void(const std::string& holder)> onNewLeader;  // holder changed (may be us)
  };
  enum class Outcome {
    kStopped,  // stop was requested (the lease was released if we held it)
    kLost,     // we led and could not renew for renewDeadline: stop reconciling, exit non-zero
  };

  LeaderElector(kube::KubeApi& api, LeaderElectionOptions options);
  ~LeaderElector();

  // Acquires until stop or success, then renews until stop or failure; blocks throughout.
  Outcome run(std::stop_token stop, Callbacks callbacks);

  // One attempt to take or renew the lease; true when we hold it afterwards.
  bool tryAcquireOrRenew();
  // Gives the lease up if we hold it; true when we no longer do.
  bool release();
  bool isLeader() const { return leading_.load(); }
  // The holder seen on the last read of the lease ("" when free or never read).
  std::string observedHolder() const;
  const LeaderElectionOptions& options() const { return options_; }

 private:
  nlohmann::json leaseSpec(const nlohmann::json* old) const;
  void observe(const nlohmann::json& spec);
  void setLeading(bool leading);
  bool waitFor(std::stop_token& stop, std::chrono::milliseconds d);

  kube::KubeApi& api_;
  LeaderElectionOptions options_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  common::Logger log_;
  Gauge* masterStatus_ = nullptr;
  std::atomic<bool> leading_{false};
  mutable std::mutex mu_;
  nlohmann::json observedSpec_;
  common::Clock::SteadyTime observedTime_{};
  std::string lastReportedHolder_;
  std::mt19937_64 rng_;
};

}  // namespace dbtoken::runtime
