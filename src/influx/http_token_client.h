// HttpTokenClient: TokenClient over HTTP for both URL shapes of the Management API (Clustered
// /api/v0/tokens and Cloud Dedicated /api/v0/accounts/{a}/clusters/{c}/tokens). Owns the
// request/answer mapping, the management token (re-read from its file), and the retry policy:
// GET, PATCH and DELETE are retried with backoff on connection errors, timeouts, 429 and 5xx; a
// POST is resent only when it certainly never reached the server. A POST answered 429 comes back
// as Unavailable (refused, nothing created), one answered 5xx as OutcomeUnknown.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sleeper.h"
#include "http/transport.h"
#include "influx/errors.h"
#include "influx/token_client.h"
#include "influx/token_file.h"

namespace dbtoken::influx {

enum class UrlShape { kClustered, kDedicated };

struct RetryPolicy {
  int maxAttempts = 4;  // attempts in all, the first included
  common::BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(5000),
                                2.0, 0.2};
  // A server asking for a longer wait (Retry-After) ends the retries: the caller requeues.
  std::chrono::milliseconds maxRetryAfter{30000};
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
  std::chrono::milliseconds timeout{10000};
  RetryPolicy retry;
  common::Logger logger;
  const common::Clock* clock = nullptr;                // RealClock when null
  common::Sleeper* sleeper = nullptr;                  // RealSleeper when null
  std::shared_ptr<common::Redactor> redactor;          // learns the management token; may be null
  common::Backoff::Random random;                      // jitter source; empty: seeded at random
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

  // One operation with its retries: the answer when it is a 2xx (or a DELETE's 404).
  common::Result<http::ClientResponse> exchange(Operation op, http::ClientRequest request);
  common::Status checkId(Operation op, const std::string& id) const;
  common::Status scrub(const common::Status& status) const;

  HttpTokenClientOptions options_;
  std::unique_ptr<http::Transport> transport_;
  std::string tokensPath_;
  std::shared_ptr<common::Redactor> redactor_;  // scrubs the management token from error texts
  TokenFile tokenFile_;
  common::RealClock realClock_;
  common::RealSleeper realSleeper_;
  const common::Clock& clock_;
  common::Sleeper& sleeper_;
  common::Logger log_;
};

}  // namespace dbtoken::influx
