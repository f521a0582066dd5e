#include "influx/http_token_client.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "http/url.h"

namespace dbtoken::influx {
namespace {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

constexpr std::string_view kApiPath = "/api/v0";

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool retryableTransportFailure(Code code) {
  return code == Code::kUnavailable || code == Code::kDeadlineExceeded ||
         code == Code::kOutcomeUnknown;
}

long long millis(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

Status createMayHaveHappened(const std::string& what) {
  return Status(Code::kOutcomeUnknown,
                what +
                    "; a token may have been created whose access string is lost: look for it "
                    "before creating another");
}

// Validates the options and works out the tokens path; the transport's base URL is the origin.
Result<std::pair<http::Url, std::string>> checkOptions(const HttpTokenClientOptions& o) {
  auto url = http::parseUrl(o.url);
  if (!url) {
    return Status(Code::kInvalidArgument,
                  "management API URL is not a valid http(s) URL: \"" + o.url + "\"");
  }
  if (url->scheme != "https" && !o.allowInsecureHttp) {
    return Status(Code::kInvalidArgument,
                  "management API URL must use https:// (plain http would send the management "
                  "token unencrypted); allow insecure HTTP explicitly to use " +
                      url->origin());
  }
  std::string path = url->path;
  if (!endsWith(path, kApiPath)) {
    path += kApiPath;
  }
  if (o.shape == UrlShape::kDedicated) {
    if (!isUuid(o.accountId) || !isUuid(o.clusterId)) {
      return Status(Code::kInvalidArgument,
                    "Cloud Dedicated needs an account ID and a cluster ID, both UUIDs");
    }
    path += "/accounts/" + o.accountId + "/clusters/" + o.clusterId;
  }
  path += "/tokens";
  if (o.caFile) {
    std::ifstream ca(*o.caFile);
    if (!ca) {
      return Status(Code::kFailedPrecondition, "cannot read CA file " + *o.caFile);
    }
  }
  if (o.retry.maxAttempts < 1) {
    return Status(Code::kInvalidArgument, "retry.maxAttempts must be at least 1");
  }
  if (o.timeout.count() <= 0) {
    return Status(Code::kInvalidArgument, "the Management API timeout must be positive");
  }
  return std::make_pair(*url, path);
}

}  // namespace

Result<std::unique_ptr<HttpTokenClient>> HttpTokenClient::make(HttpTokenClientOptions options) {
  auto checked = checkOptions(options);
  if (!checked.ok()) {
    return checked.status();
  }
  http::TransportOptions t;
  t.baseUrl = checked->first.origin();
  if (options.caFile) {
    t.tls.caFile = *options.caFile;
  }
  t.timeout = options.timeout;
  auto transport = http::makeTransport(std::move(t));
  if (!transport.ok()) {
    return transport.status();
  }
  return make(std::move(options), std::move(transport).value());
}

Result<std::unique_ptr<HttpTokenClient>> HttpTokenClient::make(
    HttpTokenClientOptions options, std::unique_ptr<http::Transport> transport) {
  auto checked = checkOptions(options);
  if (!checked.ok()) {
    return checked.status();
  }
  std::unique_ptr<HttpTokenClient> client(
      new HttpTokenClient(std::move(options), std::move(transport), checked->second));
  // Fail at start-up, with one clear line, rather than on the first reconcile.
  auto token = client->tokenFile_.read();
  if (!token.ok()) {
    return token.status();
  }
  return client;
}

HttpTokenClient::HttpTokenClient(HttpTokenClientOptions options,
                                 std::unique_ptr<http::Transport> transport, std::string tokensPath)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      tokensPath_(std::move(tokensPath)),
      redactor_(options_.redactor ? options_.redactor : std::make_shared<common::Redactor>()),
      tokenFile_(options_.managementTokenFile, redactor_),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      log_(options_.logger.named("influx")) {}

Status HttpTokenClient::scrub(const Status& status) const {
  Status out(status.code(), redactor_->scrub(status.message()));
  if (status.retryAfter()) {
    out.withRetryAfter(*status.retryAfter());
  }
  return out;
}

Status HttpTokenClient::checkId(Operation op, const std::string& id) const {
  if (!isUuid(id)) {
    return Status(Code::kInvalidArgument,
                  std::string(operationName(op)) + ": token ID \"" + id + "\" is not a UUID");
  }
  return Status::ok();
}

Result<http::ClientResponse> HttpTokenClient::exchange(Operation op, http::ClientRequest request) {
  const bool idempotent = op != Operation::kCreate;
  request.idempotent = idempotent;
  request.headers.set("Accept", "application/json");
  const std::string what = operationName(op);
  const auto deadline = clock_.now() + options_.timeout;
  for (int attempt = 1;; ++attempt) {
    auto token = tokenFile_.read();
    if (!token.ok()) {
      return scrub(token.status().annotate(what));
    }
    request.headers.set("Authorization", "Bearer " + token->reveal());
    auto started = clock_.now();
    auto answer = transport_->send(request);
    AttemptRecord record{op, answer.ok() ? answer->status : 0,
                         answer.ok() ? Code::kOk : answer.status().code(), clock_.now() - started};

    Status failure;
    bool retryable = false;  // worth trying again later (through the caller's queue)
    bool resendNow = false;  // may go out again at once: no answer, and not a timeout
    if (answer.ok()) {
      int status = answer->status;
      bool success = status >= 200 && status <= 299;
      if (success || (op == Operation::kRevoke && status == 404)) {
        if (options_.observer) {
          options_.observer(record);
        }
        log_.debug("management API answered", {{"op", what},
                                               {"method", request.method},
                                               {"path", request.target},
                                               {"status", status},
                                               {"attempt", attempt},
                                               {"durationMs", millis(record.latency)}});
        return answer;
      }
      failure = statusFromResponse(op, status, answer->headers, answer->body, clock_);
      retryable = status == 429 || (status >= 500 && status <= 599);
      if (!idempotent && status >= 500 && status <= 599) {
        Status unknown = createMayHaveHappened(failure.message());
        if (failure.retryAfter()) {
          unknown.withRetryAfter(*failure.retryAfter());
        }
        failure = unknown;
      }
    } else {
      failure = answer.status().annotate(what);
      Code code = answer.status().code();
      if (idempotent) {
        retryable = retryableTransportFailure(code);
        // A connection that broke or was refused, typically a pooled one the server had closed;
        // a timeout has used up the time this call may take.
        resendNow = code == Code::kUnavailable || code == Code::kOutcomeUnknown;
      } else {
        // Only a request that certainly never left may be sent again.
        retryable = code == Code::kUnavailable;
        resendNow = code == Code::kUnavailable;
        if (code == Code::kDeadlineExceeded || code == Code::kOutcomeUnknown) {
          failure = createMayHaveHappened(failure.message());
        }
      }
    }
    record.code = failure.code();
    if (options_.observer) {
      options_.observer(record);
    }
    failure = scrub(failure);
    const auto left = deadline - clock_.now();
    if (resendNow && attempt < options_.retry.maxAttempts && left >= options_.timeout / 2) {
      // At once, never after a sleep, on a new connection (a timeout of its own makes one), and
      // within what is left of this call's time.
      request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(left);
      log_.debug("management API request got no answer; sending it again at once",
                 {{"op", what}, {"attempt", attempt}, {"error", failure.toString()}});
      continue;
    }
    if (idempotent && failure.code() == Code::kOutcomeUnknown) {
      // Resending is safe for these: to the caller it is just the API being unavailable.
      failure = Status(Code::kUnavailable, failure.message());
    }
    if (attempt > 1) {
      failure = failure.annotate(what + " failed after " + std::to_string(attempt) + " attempts");
    }
    if (retryable) {
      // The caller retries through its work queue, not before this long.
      auto delay = failure.retryAfter().value_or(options_.retry.minRetryDelay);
      failure.withRetryAfter(
          std::clamp(delay, options_.retry.minRetryDelay, options_.retry.maxRetryAfter));
    }
    // No line here: the caller's one line for this failure carries the message.
    return failure;
  }
}

Result<std::vector<Token>> HttpTokenClient::list() {
  http::ClientRequest req;
  req.method = "GET";
  req.target = tokensPath_;
  auto answer = exchange(Operation::kList, std::move(req));
  if (!answer.ok()) {
    return answer.status();
  }
  auto body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Status(Code::kInternal, "list tokens: the answer is not JSON (" +
                                       std::to_string(answer->body.size()) + " bytes)");
  }
  auto tokens = parseTokenList(body);
  if (!tokens.ok()) {
    return Status(Code::kInternal, "list tokens: unexpected answer: " + tokens.status().message());
  }
  return tokens;
}

Result<CreatedToken> HttpTokenClient::create(const CreateRequest& request) {
  if (auto s = validate(request); !s.isOk()) {
    return s.annotate("create token");
  }
  http::ClientRequest req;
  req.method = "POST";
  req.target = tokensPath_;
  req.headers.set("Content-Type", "application/json");
  req.body = toJson(request).dump();
  auto answer = exchange(Operation::kCreate, std::move(req));
  if (!answer.ok()) {
    return answer.status();
  }
  // A 2xx means the token exists: an answer we cannot read loses its string. Parse errors are
  // reported without the parser's text, which may quote the body and so the access token.
  auto body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return createMayHaveHappened("create token: the server answered " +
                                 std::to_string(answer->status) + " but the body is not JSON (" +
                                 std::to_string(answer->body.size()) + " bytes)");
  }
  auto created = parseCreatedToken(body);
  if (!created.ok()) {
    return createMayHaveHappened("create token: the server answered " +
                                 std::to_string(answer->status) + " with an unusable token (" +
                                 created.status().message() + ")");
  }
  log_.debug("token created", {{"tokenId", created->token.id}});
  return created;
}

Result<Token> HttpTokenClient::get(const std::string& id) {
  if (auto s = checkId(Operation::kGet, id); !s.isOk()) {
    return s;
  }
  http::ClientRequest req;
  req.method = "GET";
  req.target = tokensPath_ + "/" + http::percentEncode(id);
  auto answer = exchange(Operation::kGet, std::move(req));
  if (!answer.ok()) {
    return answer.status();
  }
  auto body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Status(Code::kInternal, "get token: the answer is not JSON (" +
                                       std::to_string(answer->body.size()) + " bytes)");
  }
  auto token = parseToken(body);
  if (!token.ok()) {
    return Status(Code::kInternal, "get token: unexpected answer: " + token.status().message());
  }
  return token;
}

Result<Token> HttpTokenClient::update(const std::string& id, const UpdateRequest& request) {
  if (auto s = checkId(Operation::kUpdate, id); !s.isOk()) {
    return s;
  }
  if (auto s = validate(request); !s.isOk()) {
    return s.annotate("update token");
  }
  http::ClientRequest req;
  req.method = "PATCH";
  req.target = tokensPath_ + "/" + http::percentEncode(id);
  req.headers.set("Content-Type", "application/json");
  req.body = toJson(request).dump();
  auto answer = exchange(Operation::kUpdate, std::move(req));
  if (!answer.ok()) {
    return answer.status();
  }
  auto body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Status(Code::kInternal, "update token: the answer is not JSON (" +
                                       std::to_string(answer->body.size()) + " bytes)");
  }
  auto token = parseToken(body);
  if (!token.ok()) {
    return Status(Code::kInternal, "update token: unexpected answer: " + token.status().message());
  }
  return token;
}

Result<RevokeOutcome> HttpTokenClient::revoke(const std::string& id) {
  if (auto s = checkId(Operation::kRevoke, id); !s.isOk()) {
    return s;
  }
  http::ClientRequest req;
  req.method = "DELETE";
  req.target = tokensPath_ + "/" + http::percentEncode(id);
  auto answer = exchange(Operation::kRevoke, std::move(req));
  if (!answer.ok()) {
    return answer.status();
  }
  if (answer->status == 404) {
    log_.debug("token already revoked", {{"tokenId", id}});
    return RevokeOutcome::kAlreadyRevoked;
  }
  log_.debug("token revoked", {{"tokenId", id}});
  return RevokeOutcome::kRevoked;
}

}  // namespace dbtoken::influx
