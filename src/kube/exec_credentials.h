// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1): runs the command a
// kubeconfig names, with KUBERNETES_EXEC_INFO in its environment, and reads the ExecCredential
// it prints. Only bearer tokens are supported (a plugin that returns a client certificate is
// refused with a clear message). Owns the child process; caching is credentials.h's job.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/secret.h"
#include "common/status.h"
#include "common/time_format.h"
#include "kube/cluster_config.h"

namespace dbtoken::kube {

struct ExecCredential {
  common::Secret token;
  std::optional<common::WallTime> expiry;  // none: valid until the server refuses it
};

// Runs the plugin and parses its answer. FailedPrecondition with one line when the command is
// missing (with its install hint), exits non-zero, times out, or prints something that is not
// an ExecCredential; the token never appears in a message.
common::Result<ExecCredential> runExecPlugin(const ExecConfig& config, const std::string& server,
                                             std::chrono::milliseconds timeout);

// Parses a plugin's standard output (exposed for tests).
common::Result<ExecCredential> parseExecCredential(const std::string& output,
                                                   const std::string& expectedApiVersion);

}  // namespace dbtoken::kube
