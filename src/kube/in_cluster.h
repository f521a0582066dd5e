// In-cluster configuration: the API server from KUBERNETES_SERVICE_HOST/PORT, trusted with the
// service account's CA, authenticated with its token file (re-read as it rotates), and the pod's
// namespace. Owns only the discovery of these files; reading the token is credentials.h's job.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "kube/cluster_config.h"

namespace dbtoken::kube {

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

struct InClusterOptions {
  // Environment lookup; empty: the process environment.
  std::function<std::optional<std::string>(const char* name)> getenv;
  std::string serviceAccountDir = kServiceAccountDir;  // token, ca.crt, namespace
};

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are both set.
bool inClusterEnvironment(const InClusterOptions& options);

// FailedPrecondition with one line when the variables are missing or the token or CA file
// cannot be read.
common::Result<ClusterConfig> loadInCluster(const InClusterOptions& options);

}  // namespace dbtoken::kube
