#include "kube/in_cluster.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dbtoken::kube {
namespace {

using common::Code;
using common::Result;
using common::Status;

std::optional<std::string> lookup(const InClusterOptions& options, const char* name) {
  if (options.getenv) {
    return options.getenv(name);
  }
  const char* v = std::getenv(name);  // NOLINT: read once at start-up
  if (v == nullptr) {
    return std::nullopt;
  }
  return std::string(v);
}

}  // namespace

bool inClusterEnvironment(const InClusterOptions& options) {
  auto host = lookup(options, "KUBERNETES_SERVICE_HOST");
  auto port = lookup(options, "KUBERNETES_SERVICE_PORT");
  return host && !host->empty() && port && !port->empty();
}

Result<ClusterConfig> loadInCluster(const InClusterOptions& options) {
  auto host = lookup(options, "KUBERNETES_SERVICE_HOST");
  auto port = lookup(options, "KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return Status(Code::kFailedPrecondition,
                  "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                  "must be set (not running in a pod?)");
  }
  const std::string dir = options.serviceAccountDir;
  const std::string tokenFile = dir + "/token";
  const std::string caFile = dir + "/ca.crt";
  for (const std::string& path : {tokenFile, caFile}) {
    if (::access(path.c_str(), R_OK) != 0) {
      return Status(Code::kFailedPrecondition,
                    "in-cluster configuration: cannot read " + path + ": " + std::strerror(errno));
    }
  }
  ClusterConfig out;
  // An IPv6 address needs brackets in a URL.
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  out.server = "https://" + h + ":" + *port;
  out.tls.caFile = caFile;
  out.auth.tokenFile = tokenFile;
  std::ifstream nsFile(dir + "/namespace");
  if (nsFile) {
    std::string ns;
    std::getline(nsFile, ns);
    while (!ns.empty() && (ns.back() == ' ' || ns.back() == '\n' || ns.back() == '\r')) {
      ns.pop_back();
    }
    if (!ns.empty()) {
      out.defaultNamespace = ns;
    }
  }
  out.source = "in-cluster (service account in " + dir + ")";
  return out;
}

}  // namespace dbtoken::kube
