// The operator process: builds the clients from the configuration, wires the informers, the
// two controllers (DatabaseTokens, and the token inventory), events, metrics, probes and leader
// election into a Manager, and runs it until a stop is requested. Owns everything it builds.
#pragma once

#include <stop_token>

#include "common/log.h"
#include "kube/rest_client.h"
#include "operator/config.h"

namespace dbtoken::op {

// Exit statuses: 0 a requested stop, 1 a failure while running (lease lost, API refused the
// operator's identity), 2 a configuration that cannot work (reported as one line).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadConfig = 2;

struct RunResult {
  int exitStatus = kExitOk;
  std::string error;  // one line, when exitStatus is not 0
};

// Runs the operator until `stop`. `redactor` is the log sink's: it learns the credentials.
RunResult runOperator(const Config& config, const common::Logger& logger,
                      std::shared_ptr<common::Redactor> redactor, std::stop_token stop);

std::string versionString();

// The options of the operator's main Kubernetes client (informers, reconciles, leader
// election), over `base` (logger, redactor, metrics observer): the configured limit, kept under
// the server's flow control only when set explicitly.
kube::RestOptions kubeClientOptions(const Config& config, kube::RestOptions base);
// The options of the Event recorder's own client: its own budget (--events-qps/--events-burst),
// so Events never take from the budget of the necessary writes. Like the main client's, it
// yields to the server's flow control unless set explicitly: the recorder writes from one
// thread, one request at a time, so under flow control Events keep pace with the work (a burst
// of 1,000 issues would otherwise leave minutes of Event writes behind it) without ever
// holding a worker.
kube::RestOptions eventClientOptions(const Config& config, kube::RestOptions base);

}  // namespace dbtoken::op
