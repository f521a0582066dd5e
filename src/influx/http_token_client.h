// HttpTokenClient: TokenClient over HTTP for both URL shapes of the Management API (Clustered
// /api/v0/tokens and Cloud Dedicated /api/v0/accounts/{a}/clusters/{c}/tokens). Owns the
// request/answer mapping, the management token (re-read from its file), and what a failure
// tells the caller. It never waits between attempts (DESIGN.md "Revocations first": a worker
// thread must not sleep out a backoff): a failure comes back at once, and one worth retrying
// (connection errors and timeouts of GET, PATCH and DELETE, 429, 5xx) carries the least delay
// before the retry as Status::retryAfter — the server's Retry-After, else the first backoff step —
// which the controller turns into a requeue through the work queue's rate limiter. Only a request
// that got no answer without using up the timeout is sent again at once, on a new connection (a
// pooled connection the server had closed); a POST only when it certainly never reached the
// server. A POST answered 429 comes back as Unavailable (refused, nothing created), one answered
// 5xx as OutcomeUnknown. One call, its immediate resend included, lasts at most `timeout`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "common/secret.h"
#include "http/transport.h"
#include "influx/errors.h"
#include "influx/token_client.h"
#include "influx/token_file.h"

namespace dbtoken::influx {

enum class UrlShape { kClustered, kDedicated };

struct RetryPolicy {
  // Attempts on the calling thread, the first included, all sent at once and within one timeout:
  // a further one only after a failure that got no answer and left at least half the timeout.
  int maxAttempts = 2;
  // The least delay handed back with a retryable failure the server named none for.
  std::chrono::milliseconds minRetryDelay{200};
  // The longest delay a server's Retry-After is passed on as (a revocation must not be parked
  // for an hour by one odd answer); the work queue's backoff may still wait longer.
  std::chrono::milliseconds maxRetryAfter{300000};
};

// One finished attempt, for metrics: httpStatus is 0 when no answer came.
struct AttemptRecord {
  Operation op;
  int httpStatus = 0;
  common::Code code = common::Code::kOk;
  std::chrono::nanoseconds latency{0};
};

struct HttpTokenClientOptions {
  // "https://cluster-host" or "https://cluster-host/api/v0"; "/api/v0" is added when missing.
  std::string url;
  UrlShape shape = UrlShape::kClustered;
  std::string accountId;  // Cloud Dedicated only (UUIDs)
  std::string clusterId;
  std::string managementTokenFile;
  std::optional<std::string> caFile;  // PEM bundle; empty: the system's trust store
  bool allowInsecureHttp = false;     // plain http:// sends the management token in the clear
  // The longest one call holds its thread, an immediate resend included (--management-timeout).
  std::chrono::milliseconds timeout{10000};
  RetryPolicy retry;
  common::Logger logger;
  const common::Clock* clock = nullptr;                // RealClock when null
  std::shared_ptr<common::Redactor> redactor;          // learns the management token; may be null
  std::function<void(const AttemptRecord&)> observer;  // called after every attempt
};

class HttpTokenClient final : public TokenClient {
 public:
  // Checks the options (URL, https unless allowed, Dedicated ids, a readable non-empty token
  // file, a readable CA file) and builds the cpprestsdk transport. InvalidArgument or
  // FailedPrecondition with one clear sentence when something is wrong.
  static common::Result<std::unique_ptr<HttpTokenClient>> make(HttpTokenClientOptions options);
  // The same checks, over a transport the caller provides (tests, the in-process double). The
  // transport's base URL must be the origin of options.url.
  static common::Result<std::unique_ptr<HttpTokenClient>> make(
      HttpTokenClientOptions options, std::unique_ptr<http::Transport> transport);

  common::Result<std::vector<Token>> list() override;
  common::Result<CreatedToken> create(const CreateRequest& request) override;
  common::Result<Token> get(const std::string& id) override;
  common::Result<Token> update(const std::string& id, const UpdateRequest& request) override;
  common::Result<RevokeOutcome> revoke(const std::string& id) override;

  // "/api/v0/tokens" or "/api/v0/accounts/{a}/clusters/{c}/tokens", after any path prefix.
  const std::string& tokensPath() const { return tokensPath_; }

 private:
  HttpTokenClient(HttpTokenClientOptions options, std::unique_ptr<http::Transport> transport,
                  std::string tokensPath);

  // One operation, resent at once at most as the policy allows: the answer when it is a 2xx (or
  // a DELETE's 404).
  common::Result<http::ClientResponse> exchange(Operation op, http::ClientRequest request);
  common::Status checkId(Operation op, const std::string& id) const;
  common::Status scrub(const common::Status& status) const;

  HttpTokenClientOptions options_;
  std::unique_ptr<http::Transport> transport_;
  std::string tokensPath_;
  std::shared_ptr<common::Redactor> redactor_;  // scrubs the management token from error texts
  TokenFile tokenFile_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  common::Logger log_;
};

}  // namespace dbtoken::influx
