// Synchronous Boost.Beast relay, one thread per client connection. Blocking calls are unblocked
// at stop by shutting the sockets down; threads are joined before the front goes away.
#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs std::exchange declared first

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include "support/fault_front.h"

namespace dbtoken::doubles {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using common::Code;
using common::Result;
using common::Status;

class BeastFaultFront final : public FaultFront {
 public:
  explicit BeastFaultFront(FaultFrontOptions options)
      : options_(std::move(options)), acceptor_(ioc_) {}

  ~BeastFaultFront() override { stop(); }

  Status open() {
    try {
      if (options_.tls) {
        ssl_.emplace(asio::ssl::context::tls_server);
        ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1);
        ssl_->use_certificate_chain_file(options_.tls->certChainFile);
        ssl_->use_private_key_file(options_.tls->privateKeyFile, asio::ssl::context::pem);
      }
      tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen();
      port_ = acceptor_.local_endpoint().port();
    } catch (const std::exception& e) {
      return Status(Code::kUnavailable, "cannot listen on " + options_.host + ": " + e.what());
    }
    acceptThread_ = std::thread([this] { acceptLoop(); });
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  http::ServerStats stats() const override {
    return http::ServerStats{handshakes_.load(), requests_.load()};
  }

  std::string url() const override {
    return std::string(options_.tls ? "https://" : "http://") + options_.host + ":" +
           std::to_string(port_);
  }

  void stop() override {
    {
      std::lock_guard lk(mu_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    // Wake the blocking accept with a connection of our own.
    try {
      tcp::socket wake(ioc_);
      wake.connect(tcp::endpoint(asio::ip::make_address(options_.host), port_));
    } catch (const std::exception&) {
      // Not listening any more: the accept loop has already returned.
    }
    if (acceptThread_.joinable()) {
      acceptThread_.join();
    }
    std::list<std::unique_ptr<Connection>> conns;
    {
      std::lock_guard lk(mu_);
      for (auto& c : conns_) {
        c->cut();
      }
      conns.swap(conns_);
    }
    for (auto& c : conns) {
      c->thread.join();
    }
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  // One client connection and the thread serving it. cut() may be called from any thread.
  struct Connection {
    std::thread thread;
    std::mutex mu;
    std::vector<int> fds;
    bool cutDone = false;
    std::atomic<bool> finished{false};

    bool track(int fd) {
      std::lock_guard lk(mu);
      if (cutDone) {
        return false;
      }
      fds.push_back(fd);
      return true;
    }
    void untrackAll() {
      std::lock_guard lk(mu);
      fds.clear();
    }
    void cut() {
      std::lock_guard lk(mu);
      cutDone = true;
      for (int fd : fds) {
        ::shutdown(fd, SHUT_RDWR);
      }
    }
  };

  void acceptLoop() {
    for (;;) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      std::lock_guard lk(mu_);
      if (stopping_) {
        return;
      }
      if (ec) {
        continue;
      }
      reapLocked();
      // Without it, an answer written in two pieces waits for the peer's delayed ACK (40 ms).
      socket.set_option(tcp::no_delay(true), ec);
      auto conn = std::make_unique<Connection>();
      Connection* raw = conn.get();
      raw->track(socket.native_handle());
      raw->thread = std::thread([this, raw, s = std::move(socket)]() mutable {
        serve(*raw, std::move(s));
        raw->finished = true;
      });
      conns_.push_back(std::move(conn));
    }
  }

  void reapLocked() {
    for (auto it = conns_.begin(); it != conns_.end();) {
      if ((*it)->finished) {
        (*it)->thread.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(Connection& conn, tcp::socket client) {
    beast::error_code ec;
    if (ssl_) {
      asio::ssl::stream<tcp::socket&> stream(client, *ssl_);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) {
        handshakes_.fetch_add(1, std::memory_order_relaxed);
        relay(conn, stream);
      }
    } else {
      relay(conn, client);
    }
    conn.untrackAll();
    // Abrupt on purpose: no TLS close_notify, as when a server dies.
    client.shutdown(tcp::socket::shutdown_both, ec);
    client.close(ec);
  }

  template <typename Stream>
  void relay(Connection& conn, Stream& client) {
    beast::flat_buffer clientBuffer;
    beast::flat_buffer backendBuffer;
    std::optional<tcp::socket> backend;
    beast::error_code ec;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> requestParser;
      requestParser.body_limit(16 * 1024 * 1024);
      bhttp::read(client, clientBuffer, requestParser, ec);
      if (ec) {
        break;
      }
      auto request = requestParser.release();
      requests_.fetch_add(1, std::memory_order_relaxed);
      if (!backend) {
        backend.emplace(ioc_);
        backend->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), options_.backendPort),
                         ec);
        if (ec || !conn.track(backend->native_handle())) {
          break;
        }
        backend->set_option(tcp::no_delay(true), ec);
      }
      bhttp::write(*backend, request, ec);
      if (ec) {
        break;
      }
      bhttp::response_parser<bhttp::string_body> responseParser;
      responseParser.body_limit(64 * 1024 * 1024);
      bhttp::read(*backend, backendBuffer, responseParser, ec);
      if (ec) {
        break;
      }
      auto response = responseParser.release();
      auto fault = response.find(options_.faultHeader);
      if (fault != response.end()) {
        std::string kind(fault->value());
        response.erase(fault);
        if (kind == "truncate") {
          bhttp::response_serializer<bhttp::string_body> serializer(response);
          bhttp::write_header(client, serializer, ec);
          const std::string& body = response.body();
          asio::write(client, asio::buffer(body.data(), body.size() / 2), ec);
        }
        break;  // "drop" or after a truncated answer: the connection dies here
      }
      bool keepAlive = request.keep_alive() && response.keep_alive();
      bhttp::write(client, response, ec);
      if (ec || !keepAlive) {
        break;
      }
    }
    conn.untrackAll();  // from here on the descriptors may be closed and their numbers reused
    if (backend) {
      backend->shutdown(tcp::socket::shutdown_both, ec);
      backend->close(ec);
    }
  }

  FaultFrontOptions options_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<asio::ssl::context> ssl_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> handshakes_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread acceptThread_;
  std::mutex mu_;
  bool stopping_ = false;
  std::list<std::unique_ptr<Connection>> conns_;
};

}  // namespace

Result<std::unique_ptr<FaultFront>> startFaultFront(FaultFrontOptions options) {
  auto front = std::make_unique<BeastFaultFront>(std::move(options));
  if (auto s = front->open(); !s.isOk()) {
    return s;
  }
  return std::unique_ptr<FaultFront>(std::move(front));
}

}  // namespace dbtoken::doubles
