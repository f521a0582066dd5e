// Transport on Boost.Beast over Asio: HTTP/1.1 with a bounded pool of kept-alive connections
// per transport, and one SSL context per transport, built once.
//
// Why not cpprestsdk's client, which this replaced: its asio client builds a new SSL context for
// every new connection and loads the whole system trust store into it
// (X509_STORE_set_default_paths, before any callback of ours can intervene): 51 ms of CPU per
// connection on Debian 12 (SSL_CTX_new + set_default_verify_paths, 220 KB of certificates), and
// 80% of the operator's CPU while it issued tokens. And it silently re-sends
// a request whose pooled connection the server had closed, so every create had to go out on a
// connection of its own: one TLS handshake per create. Here nothing is ever sent twice unless the
// caller marked it idempotent, so creates share the pool too.
//
// Every call runs on the caller's thread: each connection owns a small io_context that only the
// thread using the connection runs, so timeouts are asio timers and a stream's cancel() is a
// handler posted to that io_context.
#include <utility>  // before asio: Boost 1.74 + C++20 needs std::exchange declared first

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <atomic>
#include <limits>
#include <mutex>
#include <vector>

#include "http/transport.h"
#include "http/url.h"

namespace dbtoken::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using common::Code;
using common::Result;
using common::Status;
using SteadyClock = std::chrono::steady_clock;

// How long an idle connection is kept (Go's http.Transport keeps them 90 s) and how many.
constexpr auto kIdleTimeout = std::chrono::seconds(90);
constexpr size_t kMaxIdle = 16;
// A request that must not be sent twice goes only on a connection used this recently: a server
// that closes idle connections does so after seconds of silence, not within this window, so the
// rare close that races the request (reported OutcomeUnknown, never re-sent) stays rare.
constexpr auto kFreshForNonIdempotent = std::chrono::seconds(10);

bool isIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string bare(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// One connection, plain or TLS, with the io_context its operations run on.
class Connection {
 public:
  explicit Connection(asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
  }
  ~Connection() {
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  asio::io_context& ioc() { return ioc_; }
  beast::flat_buffer& buffer() { return buffer_; }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

  // Runs one asynchronous operation to completion on this thread. `start` receives the handler.
  template <typename Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  // Calls f with the stream requests are written to and read from.
  template <typename F>
  auto withStream(F&& f) {
    return tls_ ? f(*tls_) : f(*plain_);
  }

  beast::error_code handshake(const std::string& host, bool verify) {
    if (!tls_) {
      return {};
    }
    if (!isIpLiteral(host)) {
      // SNI; an IP address is never sent as a server name (RFC 6066).
      SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    }
    if (verify) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(host));
    }
    return run([&](auto&& h) { tls_->async_handshake(asio::ssl::stream_base::client, h); });
  }

  // Whether a pooled connection still looks usable: an idle HTTP connection has nothing to read,
  // so readable data or EOF means the server closed it (or sent a TLS close_notify).
  bool looksAlive() {
    char byte;
    ssize_t n = ::recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  SteadyClock::time_point lastUsed{};

 private:
  asio::io_context ioc_{1};
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

std::string tlsFailure(const beast::error_code& ec) {
  std::string detail = ec.message();
  unsigned long err = ERR_get_error();
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    detail = buf;
  }
  ERR_clear_error();
  return "TLS handshake failed (certificate not trusted, wrong host name, or no client "
         "certificate): " +
         detail + "; the request was not sent";
}

bool isTimeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

class StreamingResponse final : public ResponseStream {
 public:
  StreamingResponse(std::unique_ptr<Connection> conn,
                    std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser,
                    Headers headers, std::chrono::milliseconds timeout)
      : conn_(std::move(conn)),
        parser_(std::move(parser)),
        headers_(std::move(headers)),
        timeout_(timeout) {}

  int status() const override { return static_cast<int>(parser_->get().result_int()); }
  const Headers& headers() const override { return headers_; }

  Result<std::optional<std::string>> readLine() override {
    for (;;) {
      if (cancelled_.load()) {
        return Status(Code::kCancelled, "stream cancelled");
      }
      if (size_t nl = pending_.find('\n', scanned_); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        scanned_ = 0;
        return std::optional<std::string>(std::move(line));
      }
      scanned_ = pending_.size();
      if (parser_->is_done()) {
        if (pending_.empty()) {
          return std::optional<std::string>();
        }
        std::string last = std::move(pending_);
        pending_.clear();
        scanned_ = 0;
        return std::optional<std::string>(std::move(last));
      }
      char chunk[16384];
      auto& body = parser_->get().body();
      body.data = chunk;
      body.size = sizeof chunk;
      conn_->lowest().expires_after(timeout_);
      beast::error_code ec = conn_->withStream([&](auto& s) {
        return conn_->run(
            [&](auto&& h) { bhttp::async_read_some(s, conn_->buffer(), *parser_, h); });
      });
      if (ec == bhttp::error::need_buffer) {
        ec = {};
      }
      pending_.append(chunk, sizeof chunk - body.size);
      if (cancelled_.load()) {
        return Status(Code::kCancelled, "stream cancelled");
      }
      if (ec) {
        return Status(Code::kUnavailable, isTimeout(ec)
                                              ? std::string("reading stream: timed out")
                                              : "reading stream: stream broke: " + ec.message());
      }
    }
  }

  void cancel() override {
    if (cancelled_.exchange(true)) {
      return;
    }
    // Runs on the reader's thread inside its pending read (or before its next one).
    Connection* c = conn_.get();
    asio::post(c->ioc(), [c] { c->lowest().cancel(); });
  }

 private:
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  Headers headers_;
  std::chrono::milliseconds timeout_;
  std::string pending_;
  size_t scanned_ = 0;  // bytes of pending_ known to hold no '\n'
  std::atomic<bool> cancelled_{false};
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(TransportOptions options, Url url)
      : options_(std::move(options)), url_(std::move(url)), host_(bare(url_.host)) {
    hostHeader_ = url_.host;
    if (!((url_.scheme == "https" && url_.port == 443) ||
          (url_.scheme == "http" && url_.port == 80))) {
      hostHeader_ += ":" + std::to_string(url_.port);
    }
    if (url_.scheme == "https") {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      configureTls(*tls_);
    }
  }

  ~BeastTransport() override = default;

  std::string baseUrl() const override { return options_.baseUrl; }

  Result<ClientResponse> send(const ClientRequest& request) override {
    std::unique_ptr<bhttp::response_parser<bhttp::string_body>> parser;
    auto conn = roundTrip(request, parser, [](auto& stream, auto& buffer, auto& p, auto&& h) {
      bhttp::async_read(stream, buffer, p, h);
    });
    if (!conn.ok()) {
      return conn.status();
    }
    auto& res = parser->get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    bool keep = res.keep_alive();
    out.body = std::move(res.body());
    if (keep) {
      release(std::move(conn).value());
    }
    return out;
  }

  Result<std::unique_ptr<ResponseStream>> openStream(const ClientRequest& request) override {
    std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser;
    auto conn = roundTrip(request, parser, [](auto& stream, auto& buffer, auto& p, auto&& h) {
      bhttp::async_read_header(stream, buffer, p, h);
    });
    if (!conn.ok()) {
      return conn.status();
    }
    Headers headers;
    for (const auto& field : parser->get()) {
      headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    return std::unique_ptr<ResponseStream>(std::make_unique<StreamingResponse>(
        std::move(conn).value(), std::move(parser), std::move(headers), options_.streamTimeout));
  }

 private:
  static std::string redactTarget(const std::string& target) {
    return target.size() > 200 ? target.substr(0, 200) + "..." : target;
  }

  // Writes the request and reads the answer (or its head) with `read` into a new `parser`; the
  // connection, still holding the rest of the answer when only the head was read, is returned.
  // An idempotent request whose pooled connection turns out closed before any answer is sent
  // once more on a new connection, as Go's http.Transport does; nothing else is ever re-sent.
  template <typename Parser, typename Read>
  Result<std::unique_ptr<Connection>> roundTrip(const ClientRequest& request,
                                                std::unique_ptr<Parser>& parser, Read read) {
    auto wire = build(request);
    if (!wire.ok()) {
      return wire.status();
    }
    std::string what = request.method + " " + redactTarget(request.target);
    auto timeout = request.timeout.value_or(options_.timeout);
    for (int attempt = 0;; ++attempt) {
      auto conn = acquire(attempt == 0, request.idempotent, timeout, what);
      if (!conn.ok()) {
        return conn.status();
      }
      auto& [connection, reused] = *conn;
      Connection& c = *connection;
      c.lowest().expires_after(timeout);
      beast::error_code ec = c.withStream([&](auto& s) {
        return c.run([&](auto&& h) { asio::async_write(s, asio::buffer(*wire), h); });
      });
      parser = std::make_unique<Parser>();
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      parser->header_limit(256 * 1024);
      if (!ec) {
        ec = c.withStream(
            [&](auto& s) { return c.run([&](auto&& h) { read(s, c.buffer(), *parser, h); }); });
      }
      if (!ec) {
        return std::move(connection);
      }
      if (reused && !parser->got_some() && request.idempotent && attempt == 0 && !isTimeout(ec)) {
        continue;  // the server had closed the pooled connection
      }
      if (isTimeout(ec)) {
        return Status(Code::kDeadlineExceeded, what + ": timed out waiting for the answer");
      }
      return Status(Code::kOutcomeUnknown,
                    what + ": connection lost before the answer arrived (" + ec.message() + ")");
    }
  }

  void configureTls(asio::ssl::context& ctx) {
    const TlsOptions& tls = options_.tls;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (tls.insecureSkipVerify) {
      ctx.set_verify_mode(asio::ssl::verify_none);
    } else {
      ctx.set_verify_mode(asio::ssl::verify_peer);
    }
    if (tls.caPem) {
      ctx.add_certificate_authority(asio::buffer(tls.caPem->data(), tls.caPem->size()));
    }
    if (tls.caFile) {
      ctx.load_verify_file(*tls.caFile);
    }
    if (!tls.caPem && !tls.caFile && !tls.insecureSkipVerify) {
      // No CA bundle given: the system's, loaded once here rather than once per connection.
      ctx.set_default_verify_paths();
    }
    if (tls.clientCertPem) {
      ctx.use_certificate_chain(asio::buffer(tls.clientCertPem->data(), tls.clientCertPem->size()));
    } else if (tls.clientCertFile) {
      ctx.use_certificate_chain_file(*tls.clientCertFile);
    }
    if (tls.clientKeyPem) {
      const std::string& key = tls.clientKeyPem->reveal();
      ctx.use_private_key(asio::buffer(key.data(), key.size()), asio::ssl::context::pem);
    } else if (tls.clientKeyFile) {
      ctx.use_private_key_file(*tls.clientKeyFile, asio::ssl::context::pem);
    }
  }

  // A connection for one request: a pooled one when allowed and still alive, else a new one.
  // The bool says whether it was reused.
  Result<std::pair<std::unique_ptr<Connection>, bool>> acquire(bool pooledOk, bool idempotent,
                                                               std::chrono::milliseconds timeout,
                                                               const std::string& what) {
    if (pooledOk || !idempotent) {
      std::vector<std::unique_ptr<Connection>> dead;
      std::unique_ptr<Connection> found;
      {
        std::lock_guard lk(mu_);
        auto now = SteadyClock::now();
        // Most recently used first: it is the likeliest to be alive.
        for (size_t i = idle_.size(); i-- > 0;) {
          Connection& c = *idle_[i];
          if (now - c.lastUsed > kIdleTimeout || !c.looksAlive()) {
            dead.push_back(std::move(idle_[i]));
            idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
            continue;
          }
          if (!idempotent && now - c.lastUsed > kFreshForNonIdempotent) {
            continue;
          }
          found = std::move(idle_[i]);
          idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
      }
      if (found) {
        return std::make_pair(std::move(found), true);
      }
    }
    auto conn = connect(timeout, what);
    if (!conn.ok()) {
      return conn.status();
    }
    return std::make_pair(std::move(conn).value(), false);
  }

  void release(std::unique_ptr<Connection> conn) {
    conn->lastUsed = SteadyClock::now();
    std::unique_ptr<Connection> evicted;
    std::lock_guard lk(mu_);
    if (idle_.size() >= kMaxIdle) {
      evicted = std::move(idle_.front());
      idle_.erase(idle_.begin());
    }
    idle_.push_back(std::move(conn));
  }

  Result<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout,
                                              const std::string& what) {
    auto conn = std::make_unique<Connection>(tls_.get());
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    {
      tcp::resolver resolver(conn->ioc());
      endpoints = resolver.resolve(host_, std::to_string(url_.port), ec);
    }
    if (ec) {
      return Status(Code::kUnavailable, what + ": failed to resolve address " + host_ + ": " +
                                            ec.message() + "; the request was not sent");
    }
    conn->lowest().expires_after(timeout);
    ec = conn->run([&](auto&& h) { conn->lowest().async_connect(endpoints, h); });
    if (ec) {
      return Status(
          Code::kUnavailable,
          what + ": " +
              (isTimeout(ec) ? std::string("timed out connecting")
                             : "failed to connect to " + url_.origin() + ": " + ec.message()) +
              "; the request was not sent");
    }
    beast::error_code nodelay;
    conn->lowest().socket().set_option(tcp::no_delay(true), nodelay);
    conn->lowest().expires_after(timeout);
    ec = conn->handshake(host_, !options_.tls.insecureSkipVerify);
    if (ec) {
      return Status(Code::kUnavailable, what + ": " + tlsFailure(ec));
    }
    return conn;
  }

  // The request as it goes on the wire, head and body in one buffer: one TLS record and one
  // system call per request (Beast's serializer wrote the head and the body separately).
  Result<std::string> build(const ClientRequest& request) {
    if (request.target.find_first_of(" \r\n") != std::string::npos) {
      return Status(Code::kInvalidArgument,
                    "not a valid request target: " + redactTarget(request.target));
    }
    if (request.method.empty() || request.method.find_first_of(" \r\n") != std::string::npos) {
      return Status(Code::kInvalidArgument, "not a valid request method");
    }
    std::string wire;
    wire.reserve(256 + request.target.size() + (request.body ? request.body->size() : 0));
    wire += request.method;
    wire += ' ';
    wire += url_.path;
    if (request.target.empty() || request.target.front() != '/') {
      wire += '/';
    }
    wire += request.target;
    wire += " HTTP/1.1\r\n";
    auto field = [&wire](std::string_view name, std::string_view value) {
      wire += name;
      wire += ": ";
      wire += value;
      wire += "\r\n";
    };
    field("Host", hostHeader_);
    for (const auto& h : request.headers.all()) {
      if (h.name.find_first_of(" :\r\n") != std::string::npos ||
          h.value.find_first_of("\r\n") != std::string::npos) {
        return Status(Code::kInvalidArgument, "header " + h.name + " is not a valid header");
      }
      if (equalsIgnoreCase(h.name, "Content-Length") || equalsIgnoreCase(h.name, "Host")) {
        continue;  // written here, from the body and the base URL
      }
      field(h.name, h.value);
    }
    if (!options_.userAgent.empty() && !request.headers.has("User-Agent")) {
      field("User-Agent", options_.userAgent);
    }
    if (options_.bearerToken) {
      auto token = options_.bearerToken();
      if (!token.ok()) {
        return token.status().annotate("reading bearer token");
      }
      if (!token->empty()) {
        const std::string& value = token->reveal();
        if (value.find_first_of("\r\n") != std::string::npos) {
          return Status(Code::kInvalidArgument, "the bearer token holds a line break");
        }
        wire += "Authorization: Bearer ";
        wire += value;
        wire += "\r\n";
      }
    }
    if (request.body) {
      field("Content-Length", std::to_string(request.body->size()));
    } else if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      field("Content-Length", "0");
    }
    wire += "\r\n";
    if (request.body) {
      wire += *request.body;
    }
    return wire;
  }

  TransportOptions options_;
  Url url_;
  std::string host_;  // without IPv6 brackets
  std::string hostHeader_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // oldest first
};

}  // namespace

Result<std::unique_ptr<Transport>> makeTransport(TransportOptions options) {
  auto url = parseUrl(options.baseUrl);
  if (!url) {
    return Status(Code::kInvalidArgument, "not a valid http(s) URL: " + options.baseUrl);
  }
  try {
    return std::unique_ptr<Transport>(
        std::make_unique<BeastTransport>(std::move(options), std::move(*url)));
  } catch (const std::exception& e) {
    // A CA bundle or client key that does not parse.
    return Status(Code::kInvalidArgument, std::string("cannot create HTTP client: ") + e.what());
  }
}

}  // namespace dbtoken::http
