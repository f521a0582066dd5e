// KubeInProcessTransport: an http::Transport that hands requests straight to the Kubernetes API
// double's semantics (kubedouble::ApiServer::handle), streams included, so RestKubeApi and
// everything above it run against real API semantics without sockets. Tests can also script
// transport failures (failNext) and read back what was sent (requests()).
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.h"
#include "kube/api_server.h"

namespace dbtoken::testing {

class KubeInProcessTransport final : public http::Transport {
 public:
  explicit KubeInProcessTransport(kubedouble::ApiServer& api,
                                  std::string baseUrl = "https://kube.test:6443");

  common::Result<http::ClientResponse> send(const http::ClientRequest& request) override;
  common::Result<std::unique_ptr<http::ResponseStream>> openStream(
      const http::ClientRequest& request) override;
  std::string baseUrl() const override { return baseUrl_; }

  // The next `times` requests fail with `status` without reaching the double.
  void failNext(common::Status status, int times = 1);
  std::vector<http::ClientRequest> requests() const;

 private:
  kubedouble::ApiRequest toApiRequest(const http::ClientRequest& request) const;
  std::optional<common::Status> takeFailure(const http::ClientRequest& request);

  kubedouble::ApiServer& api_;
  std::string baseUrl_;
  mutable std::mutex mu_;
  std::deque<common::Status> failures_;
  std::vector<http::ClientRequest> requests_;
};

}  // namespace dbtoken::testing
