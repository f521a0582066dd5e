// Manager: runs the pieces in controller-runtime's order. Informers start at once on every
// replica (readiness = their caches have synced); controllers start only on the leader, after
// every informer has synced; on a stop request the controllers stop taking work and finish what
// is in flight (bounded by the grace period), then the lease is released and the informers stop.
// Losing the lease stops the controllers at once and run() answers exit status 1. Owns the
// leader elector and the order of things, not the informers and controllers it is given.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "common/log.h"
#include "kube/api_client.h"
#include "runtime/controller.h"
#include "runtime/informer.h"
#include "runtime/leader_election.h"

namespace dbtoken::runtime {

struct ManagerOptions {
  // Set to elect a leader through a Lease; unset: this replica always reconciles.
  std::optional<LeaderElectionOptions> leaderElection;
  std::chrono::milliseconds shutdownGrace{30000};
  common::Logger logger;
};

class Manager {
 public:
  // leaseApi: the client for the Lease (required with leader election; see leader_election.h
  // on its timeout).
  Manager(ManagerOptions options, kube::KubeApi* leaseApi = nullptr);

  void add(Informer& informer);
  void add(Controller& controller);
  // True once every informer has listed (a readiness check).
  bool informersSynced() const;
  bool isLeader() const;

  // Runs until `stop` is requested or leadership is lost. Returns the process exit status: 0
  // after a requested stop, 1 when the lease was lost.
  int run(std::stop_token stop);

 private:
  ManagerOptions options_;
  common::Logger log_;
  std::unique_ptr<LeaderElector> elector_;
  std::vector<Informer*> informers_;
  std::vector<Controller*> controllers_;
};

}  // namespace dbtoken::runtime
