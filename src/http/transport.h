// Transport: the client side of HTTP as an interface, so Kubernetes and Management API clients
// can be faked in tests. The implementation (Boost.Beast, client_transport.cpp) keeps a bounded
// pool of kept-alive connections and one SSL context per transport (CA bundle, client
// certificates), fetches bearer tokens per request (token files rotate), and handles timeouts,
// streamed bodies and cancellation. Any HTTP answer, whatever its status, is a ClientResponse; a
// failure to get one is a Status whose code says whether the request may have reached the server.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/secret.h"
#include "common/status.h"
#include "http/message.h"

namespace dbtoken::http {

struct ClientRequest {
  std::string method = "GET";
  std::string target;  // path and query relative to the base URL, already encoded
  Headers headers;
  std::optional<std::string> body;                   // absent: no body and no Content-Type
  std::optional<std::chrono::milliseconds> timeout;  // overrides the transport's default
  // false for a request that must never be sent twice (a POST that creates something). It is
  // never re-sent, not even when its pooled connection turns out to have been closed by the
  // server (that is OutcomeUnknown), and it only takes a pooled connection used in the last few
  // seconds. An idempotent request whose pooled connection was closed before any answer is sent
  // once more on a new connection.
  bool idempotent = true;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// A response whose body arrives over time (a watch). Lines are split on '\n'.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  virtual const Headers& headers() const = 0;
  // The next line without its '\n'; nullopt at a clean end of stream; an error Status when the
  // connection broke (including a stream cut without its final chunk) or it was cancelled.
  virtual common::Result<std::optional<std::string>> readLine() = 0;
  // Unblocks readLine() promptly from any thread.
  virtual void cancel() = 0;
};

struct TlsOptions {
  std::optional<std::string> caFile;
  std::optional<std::string> caPem;
  std::optional<std::string> clientCertFile;
  std::optional<std::string> clientCertPem;
  std::optional<std::string> clientKeyFile;
  std::optional<common::Secret> clientKeyPem;
  bool insecureSkipVerify = false;
};

struct TransportOptions {
  std::string baseUrl;  // "https://127.0.0.1:6443" (a path prefix is allowed)
  TlsOptions tls;
  std::chrono::milliseconds timeout{30000};
  // Inactivity limit for streamed responses; keep it above the watch's timeoutSeconds.
  std::chrono::milliseconds streamTimeout{15 * 60 * 1000};
  // Called for every request; empty Secret = no Authorization header.
  std::function<common::Result<common::Secret>()> bearerToken;
  std::string userAgent = "influxdb-token-operator";
};

// How send() and openStream() report a request that got no HTTP answer:
//   Unavailable       the request certainly never reached the server: the name did not
//                     resolve, the connection was refused or unreachable, or the TLS handshake
//                     failed (all before a byte of the request was written).
//   DeadlineExceeded  the timeout ran out after the connection was made: the server may have
//                     received and acted on the request.
//   OutcomeUnknown    the connection broke after the request was (partly) written and before
//                     the whole answer arrived (reset, closed, truncated): the server may have
//                     acted on it.
//   Cancelled         the caller cancelled it.
// Only Unavailable makes it safe to resend a non-idempotent request. Errors while reading an
// already answered stream (ResponseStream::readLine) are Unavailable: the request was served.
// Messages never contain the bearer token.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual common::Result<ClientResponse> send(const ClientRequest& request) = 0;
  virtual common::Result<std::unique_ptr<ResponseStream>> openStream(
      const ClientRequest& request) = 0;
  virtual std::string baseUrl() const = 0;
};

common::Result<std::unique_ptr<Transport>> makeTransport(TransportOptions options);

}  // namespace dbtoken::http
