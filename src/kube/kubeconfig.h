// Kubeconfig files (yaml-cpp): one or several files merged the way kubectl merges $KUBECONFIG
// (the first file to define a cluster, user or context name wins, and the first current-context
// wins), a context chosen by --context or current-context, and the cluster/user/namespace it
// names resolved into a ClusterConfig: server, CA (file or -data), insecure-skip-tls-verify,
// token, tokenFile, client certificate and key (files or -data), exec plugins. Relative paths are
// relative to the file that holds them. Every error is one line naming the file and the problem.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kube/cluster_config.h"

namespace dbtoken::kube {

struct KubeconfigOptions {
  std::string explicitPath;        // --kubeconfig: only this file, and it must exist
  std::vector<std::string> paths;  // $KUBECONFIG entries; missing files are skipped
  std::string context;             // --context; empty: the merged current-context
};

common::Result<ClusterConfig> loadKubeconfig(const KubeconfigOptions& options);

// $KUBECONFIG split at ':' with empty entries dropped.
std::vector<std::string> splitKubeconfigList(std::string_view value);

}  // namespace dbtoken::kube
