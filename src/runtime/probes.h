// ProbeServer: the operator's HTTP endpoints on the small http::Server — /healthz (the process
// is alive and its health checks pass), /readyz (every readiness check passes, e.g. the
// informers' caches have synced) and /metrics (the registry in Prometheus text format).
// A failing check answers 503 naming the check. Owns the server, not what the checks look at.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/server.h"
#include "runtime/metrics.h"

namespace dbtoken::runtime {

using Check = std::function<bool()>;

class ProbeServer {
 public:
  // metrics may be null (no /metrics). The server stops when the ProbeServer goes.
  static common::Result<std::unique_ptr<ProbeServer>> start(const http::ServerOptions& options,
                                                            const Registry* metrics);
  ~ProbeServer();

  void addHealthCheck(std::string name, Check check);
  void addReadinessCheck(std::string name, Check check);
  std::string url() const;
  void stop();

 private:
  explicit ProbeServer(const Registry* metrics) : metrics_(metrics) {}
  http::ServerResponse serve(const http::ServerRequest& request);
  http::ServerResponse runChecks(const std::vector<std::pair<std::string, Check>>& checks) const;

  const Registry* metrics_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Check>> health_;
  std::vector<std::pair<std::string, Check>> readiness_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace dbtoken::runtime
