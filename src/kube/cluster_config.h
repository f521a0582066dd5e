// ClusterConfig: everything needed to talk to one API server — its URL, how to trust it (TLS),
// who we are (bearer token, token file, exec plugin, client certificate) and the default
// namespace — whether it came from a kubeconfig or from the pod's service account.
// loadClusterConfig() picks the source the way controller-runtime does. Owns no connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "http/transport.h"

namespace dbtoken::kube {

// A client.authentication.k8s.io exec credential plugin (kubeconfig users[].user.exec).
struct ExecConfig {
  std::string command;  // resolved against the kubeconfig's directory when it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string apiVersion = "client.authentication.k8s.io/v1";
  std::string installHint;
  bool provideClusterInfo = false;
  std::string interactiveMode = "IfAvailable";  // we never have a terminal: "Always" fails
};

// Who the client is. When several are set the precedence is client-go's: a token file (re-read
// as it rotates) over a literal token; exec when neither is given. Client certificates are in
// the TLS options.
struct AuthConfig {
  common::Secret token;
  std::string tokenFile;
  std::optional<ExecConfig> exec;
};

struct ClusterConfig {
  std::string server;  // "https://10.96.0.1:443"
  http::TlsOptions tls;
  AuthConfig auth;
  std::string defaultNamespace = "default";
  std::string source;  // "in-cluster" or "kubeconfig /path (context c)", for start-up logs
};

struct LoadOptions {
  std::string kubeconfigPath;  // --kubeconfig
  std::string context;         // --context
};

// controller-runtime's order: --kubeconfig, then $KUBECONFIG, then in-cluster (service
// account), then $HOME/.kube/config. Errors are one line naming the file and the problem.
common::Result<ClusterConfig> loadClusterConfig(const LoadOptions& options);

}  // namespace dbtoken::kube
