#include "kube/cluster_config.h"

#include <cstdlib>

#include "kube/in_cluster.h"
#include "kube/kubeconfig.h"

namespace dbtoken::kube {

common::Result<ClusterConfig> loadClusterConfig(const LoadOptions& options) {
  if (!options.kubeconfigPath.empty()) {
    return loadKubeconfig({options.kubeconfigPath, {}, options.context});
  }
  const char* env = std::getenv("KUBECONFIG");  // NOLINT: read once at start-up
  if (env != nullptr && *env != '\0') {
    return loadKubeconfig({"", splitKubeconfigList(env), options.context});
  }
  InClusterOptions inCluster;
  if (inClusterEnvironment(inCluster) && options.context.empty()) {
    return loadInCluster(inCluster);
  }
  const char* home = std::getenv("HOME");  // NOLINT: read once at start-up
  std::string path = std::string(home != nullptr ? home : "") + "/.kube/config";
  return loadKubeconfig({"", {path}, options.context});
}

}  // namespace dbtoken::kube
