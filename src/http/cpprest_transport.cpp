// Transport on cpprestsdk's http_client. Blocking calls happen on the caller's thread, never
// inside a pplx continuation (that hangs at exit in a tenth of runs, per the toolchain notes).
#include <utility>  // before cpprest: Boost 1.74 + C++20 needs std::exchange declared first

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>

#include <openssl/err.h>

#include <mutex>

#include "http/transport.h"
#include "http/url.h"

namespace dbtoken::http {
namespace {

using common::Code;
using common::Result;
using common::Status;
namespace client = web::http::client;

// Where a failure happened. Before the request is written nothing can have reached the server.
enum class Phase { kRequest, kStream };

// cpprestsdk reports the stage that failed only in the exception text (the error code of a
// refused connection and of a broken pipe while writing are both mapped to EHOSTUNREACH), so the
// stage is read from the messages its asio client uses for the steps before anything is written.
bool failedBeforeSending(const std::string& msg) {
  for (const char* stage :
       {"Error resolving address", "Failed to resolve address",
        "Failed to connect to any resolved endpoint", "Error in SSL handshake"}) {
    if (msg.find(stage) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Maps a cpprest failure to a Status following the rule documented in transport.h.
Status classify(const std::exception& e, const std::string& what, Phase phase) {
  if (dynamic_cast<const pplx::task_canceled*>(&e) != nullptr) {
    return Status(Code::kCancelled, what + ": cancelled");
  }
  std::string msg = e.what();
  auto* he = dynamic_cast<const web::http::http_exception*>(&e);
  bool timedOut = he != nullptr && he->error_code() == std::errc::timed_out;
  if (phase == Phase::kStream) {
    return Status(Code::kUnavailable,
                  what + (timedOut ? ": stream timed out" : ": stream broke: " + msg));
  }
  if (he != nullptr && failedBeforeSending(msg)) {
    if (msg.find("SSL") != std::string::npos) {
      unsigned long err = ERR_peek_last_error();
      std::string detail = err != 0 ? ERR_error_string(err, nullptr) : "";
      return Status(Code::kUnavailable,
                    what + ": TLS handshake failed (certificate not trusted, wrong host name, " +
                        "or no client certificate)" + (detail.empty() ? "" : ": " + detail) +
                        "; the request was not sent");
    }
    return Status(Code::kUnavailable, what + ": " + (timedOut ? "timed out connecting" : msg) +
                                          "; the request was not sent");
  }
  if (timedOut) {
    return Status(Code::kDeadlineExceeded, what + ": timed out waiting for the answer");
  }
  return Status(Code::kOutcomeUnknown,
                what + ": connection lost before the answer arrived (" + msg + ")");
}

class CpprestStream final : public ResponseStream {
 public:
  CpprestStream(web::http::http_response resp, pplx::cancellation_token_source cts, Headers headers)
      : resp_(std::move(resp)), cts_(std::move(cts)), headers_(std::move(headers)) {
    body_ = resp_.body();
  }
  ~CpprestStream() override { cancel(); }

  int status() const override { return resp_.status_code(); }
  const Headers& headers() const override { return headers_; }

  Result<std::optional<std::string>> readLine() override {
    try {
      // read_line hands out each line as soon as its '\n' arrives (a bulk read would wait for a
      // full block); an empty read at end of stream is EOF.
      concurrency::streams::container_buffer<std::string> line;
      size_t n = body_.read_line(line).get();
      if (cts_.get_token().is_canceled()) {
        return Status(Code::kCancelled, "stream cancelled");
      }
      if (n == 0 && body_.is_eof()) {
        return std::optional<std::string>();
      }
      return std::optional<std::string>(std::move(line.collection()));
    } catch (const std::exception& e) {
      if (cts_.get_token().is_canceled()) {
        return Status(Code::kCancelled, "stream cancelled");
      }
      return classify(e, "reading stream", Phase::kStream);
    }
  }

  void cancel() override {
    std::lock_guard lk(mu_);
    if (!cancelled_) {
      cancelled_ = true;
      cts_.cancel();
    }
  }

 private:
  web::http::http_response resp_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cts_;
  Headers headers_;
  std::mutex mu_;
  bool cancelled_ = false;
};

class CpprestTransport final : public Transport {
 public:
  explicit CpprestTransport(TransportOptions options) : options_(std::move(options)) {
    client_ = makeClient(options_.timeout);
    streamClient_ = makeClient(options_.streamTimeout);
  }

  std::string baseUrl() const override { return options_.baseUrl; }

  Result<ClientResponse> send(const ClientRequest& request) override {
    auto req = build(request);
    if (!req.ok()) {
      return req.status();
    }
    std::string what = request.method + " " + redactTarget(request.target);
    try {
      std::shared_ptr<client::http_client> c = client_;
      if (!request.idempotent || (request.timeout && *request.timeout != options_.timeout)) {
        // A client of its own has an empty connection pool: the request gets a new connection.
        c = makeClient(request.timeout.value_or(options_.timeout));
      }
      web::http::http_response resp = c->request(*req).get();
      ClientResponse out;
      out.status = resp.status_code();
      for (const auto& [name, value] : resp.headers()) {
        out.headers.add(name, value);
      }
      auto body = resp.extract_vector().get();
      out.body.assign(body.begin(), body.end());
      return out;
    } catch (const std::exception& e) {
      return classify(e, what, Phase::kRequest);
    }
  }

  Result<std::unique_ptr<ResponseStream>> openStream(const ClientRequest& request) override {
    auto req = build(request);
    if (!req.ok()) {
      return req.status();
    }
    std::string what = request.method + " " + redactTarget(request.target);
    pplx::cancellation_token_source cts;
    try {
      web::http::http_response resp = streamClient_->request(*req, cts.get_token()).get();
      Headers headers;
      for (const auto& [name, value] : resp.headers()) {
        headers.add(name, value);
      }
      return std::unique_ptr<ResponseStream>(
          std::make_unique<CpprestStream>(std::move(resp), std::move(cts), std::move(headers)));
    } catch (const std::exception& e) {
      return classify(e, what, Phase::kRequest);
    }
  }

 private:
  // Query values can carry continue tokens; they are not secrets, but keep log lines short.
  static std::string redactTarget(const std::string& target) {
    return target.size() > 200 ? target.substr(0, 200) + "..." : target;
  }

  std::shared_ptr<client::http_client> makeClient(std::chrono::milliseconds timeout) {
    client::http_client_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    config.set_validate_certificates(!options_.tls.insecureSkipVerify);
    // Redirects go back to the caller: following them would resend credentials blindly.
    config.set_max_redirects(0);
    const TlsOptions tls = options_.tls;
    config.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
      if (tls.caPem) {
        ctx.add_certificate_authority(boost::asio::buffer(tls.caPem->data(), tls.caPem->size()));
      }
      if (tls.caFile) {
        ctx.load_verify_file(*tls.caFile);
      }
      if (tls.clientCertPem) {
        ctx.use_certificate_chain(
            boost::asio::buffer(tls.clientCertPem->data(), tls.clientCertPem->size()));
      } else if (tls.clientCertFile) {
        ctx.use_certificate_chain_file(*tls.clientCertFile);
      }
      if (tls.clientKeyPem) {
        const std::string& key = tls.clientKeyPem->reveal();
        ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                            boost::asio::ssl::context::pem);
      } else if (tls.clientKeyFile) {
        ctx.use_private_key_file(*tls.clientKeyFile, boost::asio::ssl::context::pem);
      }
    });
    return std::make_shared<client::http_client>(web::uri(options_.baseUrl), config);
  }

  Result<web::http::http_request> build(const ClientRequest& request) {
    web::http::http_request req(request.method);
    try {
      req.set_request_uri(request.target);
    } catch (const std::exception&) {
      return Status(Code::kInvalidArgument,
                    "not a valid request target: " + redactTarget(request.target));
    }
    for (const auto& h : request.headers.all()) {
      req.headers().add(h.name, h.value);
    }
    if (!options_.userAgent.empty() && !request.headers.has("User-Agent")) {
      req.headers().add(web::http::header_names::user_agent, options_.userAgent);
    }
    if (options_.bearerToken) {
      auto token = options_.bearerToken();
      if (!token.ok()) {
        return token.status().annotate("reading bearer token");
      }
      if (!token->empty()) {
        req.headers().add(web::http::header_names::authorization, "Bearer " + token->reveal());
      }
    }
    if (request.body) {
      auto contentType = request.headers.get("Content-Type");
      req.set_body(*request.body, contentType.value_or("application/octet-stream"));
      if (!contentType) {
        req.headers().remove(web::http::header_names::content_type);
      }
    }
    return req;
  }

  TransportOptions options_;
  std::shared_ptr<client::http_client> client_;
  std::shared_ptr<client::http_client> streamClient_;
};

}  // namespace

Result<std::unique_ptr<Transport>> makeCpprestTransport(TransportOptions options) {
  auto url = parseUrl(options.baseUrl);
  if (!url) {
    return Status(Code::kInvalidArgument, "not a valid http(s) URL: " + options.baseUrl);
  }
  try {
    return std::unique_ptr<Transport>(std::make_unique<CpprestTransport>(std::move(options)));
  } catch (const std::exception& e) {
    return Status(Code::kInvalidArgument, std::string("cannot create HTTP client: ") + e.what());
  }
}

}  // namespace dbtoken::http
