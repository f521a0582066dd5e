// InProcessTransport: an http::Transport that calls a server handler directly (the in-process
// face of a double), so client logic runs without sockets or real time. The double's connection
// faults become the transport failures a real connection would give (OutcomeUnknown), and tests
// can script failures of their own with failNext().
#pragma once

#include <deque>
#include <mutex>
#include <string>

#include "http/server.h"
#include "http/transport.h"

namespace dbtoken::doubles::management {

class InProcessTransport final : public http::Transport {
 public:
  explicit InProcessTransport(http::Handler handler,
                              std::string baseUrl = "https://management.test:443");

  common::Result<http::ClientResponse> send(const http::ClientRequest& request) override;
  common::Result<std::unique_ptr<http::ResponseStream>> openStream(
      const http::ClientRequest& request) override;
  std::string baseUrl() const override { return baseUrl_; }

  // The next `times` sends fail with `status`; with reachServer the handler runs first (the
  // server did the work, the answer was lost).
  void failNext(common::Status status, int times = 1, bool reachServer = false);
  // Every request sent so far (headers included: tests look for the Authorization header).
  std::vector<http::ClientRequest> requests() const;

 private:
  struct Failure {
    common::Status status;
    bool reachServer;
  };
  http::Handler handler_;
  std::string baseUrl_;
  mutable std::mutex mu_;
  std::deque<Failure> failures_;
  std::vector<http::ClientRequest> requests_;
};

}  // namespace dbtoken::doubles::management
