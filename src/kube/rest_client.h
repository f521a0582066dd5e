// RestKubeApi: KubeApi over HTTP (http::Transport). Owns the request/answer mapping (paths,
// query parameters, patch content types, DeleteOptions bodies), client-side rate limiting
// (token bucket, QPS 20 / burst 30 by default, as client-go; switched off once the server shows
// it does API Priority and Fairness, unless the limits were set explicitly), and a short retry
// policy that
// never resends a request that may have taken effect: 429 is retried for every verb after the
// server's Retry-After; a 5xx with Retry-After only for reads; a request that was certainly never
// sent, with backoff; a 401 once after an exec plugin's cached token was dropped. Everything
// else goes back to the caller as a typed Status (api_errors.h). Never logs a body or a token.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sleeper.h"
#include "http/transport.h"
#include "kube/api_client.h"
#include "kube/cluster_config.h"
#include "kube/credentials.h"
#include "kube/rate_limiter.h"

namespace dbtoken::kube {

// One finished HTTP exchange, for metrics (rest_client_requests_total and friends).
struct RequestRecord {
  std::string verb;      // get, list, watch, create, update, patch, delete
  std::string method;    // GET, POST, ...
  std::string resource;  // Resource::groupResource()
  int httpStatus = 0;    // 0: no answer
  std::chrono::nanoseconds latency{0};
  std::chrono::nanoseconds rateLimitWait{0};  // time spent waiting for the client-side limiter
};

// The response header a kube-apiserver with API Priority and Fairness (on by default since
// 1.20) puts on every request it classified, with the UID of the FlowSchema that matched.
inline constexpr const char* kFlowSchemaUidHeader = "X-Kubernetes-PF-FlowSchema-UID";

struct RestOptions {
  double qps = 20;  // <= 0: no client-side limit
  int burst = 30;
  // false: qps/burst protect a server without flow control only; the first answer carrying
  // kFlowSchemaUidHeader switches the bucket off for good and the server's queues decide (what
  // kubectl, Flux and cli-utils do; a 429 from those queues is still retried after Retry-After).
  // true: the limits were set on purpose (--kube-api-qps/--kube-api-burst) and always apply.
  bool limitsExplicit = false;
  int maxRetries = 5;
  // A server asking for a longer wait than this gets the Status back (the caller requeues).
  std::chrono::milliseconds maxRetryAfter{10000};
  common::BackoffPolicy retryBackoff{std::chrono::milliseconds(200),
                                     std::chrono::milliseconds(5000), 2.0, 0.2};
  std::string userAgent = "influxdb-token-operator";
  std::chrono::milliseconds timeout{30000};  // per request; watches have their own limit
  // Inactivity limit for a watch; must exceed the longest watch timeout (10 min) plus slack.
  std::chrono::milliseconds watchIdleTimeout{15 * 60 * 1000};
  common::Logger logger;
  const common::Clock* clock = nullptr;        // RealClock when null
  common::Sleeper* sleeper = nullptr;          // RealSleeper when null
  std::shared_ptr<common::Redactor> redactor;  // learns every token; may be null
  common::Backoff::Random random;              // jitter source; empty: seeded at random
  std::function<void(const RequestRecord&)> observer;
};

class RestKubeApi final : public KubeApi {
 public:
  // Builds the cpprestsdk transport the configuration calls for: server, TLS trust and client
  // certificate, and the bearer-token source (token, token file, exec plugin).
  static common::Result<std::unique_ptr<RestKubeApi>> make(const ClusterConfig& config,
                                                           RestOptions options);
  // Over a transport the caller provides (tests). tokens, when given, is asked to refresh after
  // a 401; the transport is expected to use it for its Authorization header.
  RestKubeApi(std::unique_ptr<http::Transport> transport, RestOptions options,
              std::shared_ptr<TokenSource> tokens = nullptr);

  common::Result<nlohmann::json> get(const Resource& resource, const std::string& ns,
                                     const std::string& name) override;
  common::Result<ObjectList> list(const Resource& resource, const std::string& ns,
                                  const ListOptions& options) override;
  common::Result<std::unique_ptr<WatchStream>> watch(const Resource& resource,
                                                     const std::string& ns,
                                                     const WatchOptions& options) override;
  common::Result<nlohmann::json> create(const Resource& resource, const std::string& ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options) override;
  common::Result<nlohmann::json> update(const Resource& resource, const std::string& ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options) override;
  common::Result<nlohmann::json> patch(const Resource& resource, const std::string& ns,
                                       const std::string& name, const nlohmann::json& patch,
                                       const PatchOptions& options) override;
  common::Result<std::optional<nlohmann::json>> remove(const Resource& resource,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const DeleteOptions& options) override;

 private:
  struct Call;
  struct Answer;

  // One request with the rate limiter and the retry policy; a 2xx answer or a Status.
  common::Result<Answer> exchange(Call& call);
  common::Result<Answer> sendOnce(Call& call);
  common::Result<nlohmann::json> objectCall(Call& call);
  void wait(std::chrono::nanoseconds d);
  // Switches the client-side bucket off when an answer shows API Priority and Fairness.
  void noteFlowControl(const http::Headers& headers);

  std::unique_ptr<http::Transport> transport_;
  RestOptions options_;
  std::shared_ptr<TokenSource> tokens_;
  common::RealClock realClock_;
  common::RealSleeper realSleeper_;
  const common::Clock& clock_;
  common::Sleeper& sleeper_;
  TokenBucket limiter_;
  // Set once an answer showed the server does API Priority and Fairness (see limitsExplicit).
  std::atomic<bool> serverFlowControl_{false};
  common::Logger log_;
};

}  // namespace dbtoken::kube
