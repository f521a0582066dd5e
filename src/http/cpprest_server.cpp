// Server on cpprestsdk's http_listener (Boost.Asio underneath). Streams are producer/consumer
// buffers that the listener drains as chunks; a client that goes away is noticed when a write
// fails, which completes the reply task and closes the writer.
#include <utility>  // before cpprest: Boost 1.74 + C++20 needs std::exchange declared first

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include <pplx/threadpool.h>

#include "http/server.h"

namespace dbtoken::http {
namespace {

using common::Code;
using common::Result;
using common::Status;
namespace listener = web::http::experimental::listener;

class BufferStreamWriter final : public StreamWriter {
 public:
  BufferStreamWriter() = default;

  concurrency::streams::producer_consumer_buffer<uint8_t>& buffer() { return buf_; }

  bool write(std::string_view data) override {
    std::lock_guard lk(mu_);
    if (closed_) {
      return false;
    }
    buf_.putn_nocopy(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    // Without sync() the listener waits for a full read block before it sends anything.
    buf_.sync();
    return true;
  }

  void close() override {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lk(mu_);
      if (closed_) {
        return;
      }
      closed_ = true;
      buf_.close(std::ios_base::out);
      callbacks.swap(onClose_);
    }
    for (auto& fn : callbacks) {
      fn();
    }
  }

  bool closed() const override {
    std::lock_guard lk(mu_);
    return closed_;
  }

  void onClose(std::function<void()> fn) override {
    {
      std::lock_guard lk(mu_);
      if (!closed_) {
        onClose_.push_back(std::move(fn));
        return;
      }
    }
    fn();
  }

 private:
  mutable std::mutex mu_;
  bool closed_ = false;
  std::vector<std::function<void()>> onClose_;
  concurrency::streams::producer_consumer_buffer<uint8_t> buf_;
};

Result<uint16_t> pickFreePort(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return Status(Code::kUnavailable, "cannot create a socket to find a free port");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return Status(Code::kInvalidArgument, "server host must be an IPv4 address: " + host);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return Status(Code::kUnavailable, "cannot bind " + host + ":0");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

// Counts completed handshakes on a server's SSL context: the counter is found through the
// context's ex_data, since OpenSSL's info callback carries no user pointer.
int handshakeCounterIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void countHandshakes(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) {
    return;
  }
  auto* counter = static_cast<std::atomic<uint64_t>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), handshakeCounterIndex()));
  if (counter != nullptr) {
    counter->fetch_add(1, std::memory_order_relaxed);
  }
}

class CpprestServer final : public Server {
 public:
  CpprestServer(Handler handler, bool tls, std::string host, uint16_t port)
      : handler_(std::move(handler)), tls_(tls), host_(std::move(host)), port_(port) {}

  ~CpprestServer() override { stop(); }

  Status open(const ServerOptions& options) {
    listener::http_listener_config config;
    config.set_timeout(utility::seconds(3600));
    if (options.tls) {
      auto files = *options.tls;
      auto* handshakes = &handshakes_;
      config.set_ssl_context_callback([files, handshakes](boost::asio::ssl::context& ctx) {
        SSL_CTX_set_ex_data(ctx.native_handle(), handshakeCounterIndex(), handshakes);
        SSL_CTX_set_info_callback(ctx.native_handle(), countHandshakes);
        ctx.set_options(boost::asio::ssl::context::default_workarounds |
                        boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                        boost::asio::ssl::context::no_tlsv1 |
                        boost::asio::ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain_file(files.certChainFile);
        ctx.use_private_key_file(files.privateKeyFile, boost::asio::ssl::context::pem);
      });
    }
    try {
      listener_ = std::make_unique<listener::http_listener>(web::uri(url()), config);
      listener_->support([this](web::http::http_request req) { dispatch(std::move(req)); });
      listener_->open().wait();
    } catch (const std::exception& e) {
      listener_.reset();
      return Status(Code::kUnavailable, "cannot listen on " + url() + ": " + e.what());
    }
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  ServerStats stats() const override { return ServerStats{handshakes_.load(), requests_.load()}; }

  std::string url() const override {
    return std::string(tls_ ? "https://" : "http://") + host_ + ":" + std::to_string(port_);
  }

  void stop() override {
    if (stopped_.exchange(true)) {
      return;
    }
    {
      // Handlers that are running finish first; any stream they open now is closed at once.
      std::unique_lock lk(mu_);
      idle_.wait(lk, [this] { return inFlight_ == 0; });
    }
    std::set<std::shared_ptr<BufferStreamWriter>> streams;
    {
      std::lock_guard lk(mu_);
      streams.swap(streams_);
    }
    for (const auto& s : streams) {
      s->close();
    }
    if (listener_) {
      try {
        listener_->close().wait();
      } catch (const std::exception&) {
        // Closing a listener whose connections already failed: nothing left to release.
      }
      listener_.reset();
    }
  }

 private:
  // Counts handler executions so stop() can wait for them before the server goes away.
  class InFlight {
   public:
    explicit InFlight(CpprestServer& s) : s_(s) {
      std::lock_guard lk(s_.mu_);
      ++s_.inFlight_;
    }
    ~InFlight() {
      std::lock_guard lk(s_.mu_);
      if (--s_.inFlight_ == 0) {
        s_.idle_.notify_all();
      }
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    CpprestServer& s_;
  };

  void dispatch(web::http::http_request req) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (stopped_) {
      req.reply(web::http::status_codes::ServiceUnavailable);
      return;
    }
    auto guard = std::make_shared<InFlight>(*this);
    // Read the body asynchronously; never block a listener thread on a pplx task.
    req.extract_vector().then(
        [this, req, guard](pplx::task<std::vector<unsigned char>> bodyTask) mutable {
          ServerRequest r;
          try {
            auto body = bodyTask.get();
            r.body.assign(body.begin(), body.end());
          } catch (const std::exception&) {
            req.reply(web::http::status_codes::BadRequest);
            return;
          }
          r.method = req.method();
          const auto& uri = req.request_uri();
          r.path = uri.path();
          r.rawQuery = uri.query();
          r.target = r.path + (r.rawQuery.empty() ? "" : "?" + r.rawQuery);
          for (const auto& [name, value] : req.headers()) {
            r.headers.add(name, value);
          }
          respond(req, r);
        });
  }

  void respond(web::http::http_request& req, ServerRequest& r) {
    ServerResponse out;
    try {
      out = handler_(r);
    } catch (const std::exception& e) {
      out = ServerResponse{};
      out.status = 500;
      out.headers.set("Content-Type", "text/plain; charset=utf-8");
      out.body = "internal error\n";
    }
    web::http::http_response resp(static_cast<web::http::status_code>(out.status));
    std::optional<std::string> contentType = out.headers.get("Content-Type");
    for (const auto& h : out.headers.all()) {
      if (!equalsIgnoreCase(h.name, "Content-Type")) {
        resp.headers().add(h.name, h.value);
      }
    }
    if (!out.stream) {
      if (!out.body.empty() || contentType) {
        resp.set_body(std::move(out.body), contentType.value_or("text/plain; charset=utf-8"));
      }
      if (!contentType) {
        resp.headers().remove(web::http::header_names::content_type);
      }
      req.reply(resp).then([](pplx::task<void> t) {
        try {
          t.get();
        } catch (const std::exception&) {
          // The client went away before the answer was sent: nothing to do.
        }
      });
      return;
    }
    auto writer = std::make_shared<BufferStreamWriter>();
    if (contentType) {
      resp.headers().set_content_type(*contentType);
    }
    resp.set_body(concurrency::streams::istream(writer->buffer()));
    {
      std::lock_guard lk(mu_);
      streams_.insert(writer);
    }
    writer->onClose([this, w = std::weak_ptr<BufferStreamWriter>(writer)] {
      std::lock_guard lk(mu_);
      if (auto s = w.lock()) {
        streams_.erase(s);
      }
    });
    req.reply(resp).then([writer](pplx::task<void> t) {
      try {
        t.get();
      } catch (const std::exception&) {
        // Client disconnected mid-stream.
      }
      writer->close();
    });
    out.stream(writer);
    if (stopped_) {
      writer->close();
    }
  }

  Handler handler_;
  bool tls_;
  std::string host_;
  uint16_t port_;
  std::unique_ptr<listener::http_listener> listener_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> handshakes_{0};
  std::atomic<uint64_t> requests_{0};
  std::mutex mu_;
  std::condition_variable idle_;
  int inFlight_ = 0;
  std::set<std::shared_ptr<BufferStreamWriter>> streams_;
};

}  // namespace

void initializeThreadPool(int threads) {
  crossplat::threadpool::initialize_with_threads(static_cast<size_t>(threads));
}

Result<std::unique_ptr<Server>> startServer(const ServerOptions& options, Handler handler) {
  Status last(Code::kUnavailable, "no attempt made");
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint16_t port = options.port;
    if (port == 0) {
      auto picked = pickFreePort(options.host);
      if (!picked.ok()) {
        return picked.status();
      }
      port = *picked;
    }
    auto server =
        std::make_unique<CpprestServer>(handler, options.tls.has_value(), options.host, port);
    last = server->open(options);
    if (last.isOk()) {
      return std::unique_ptr<Server>(std::move(server));
    }
    if (options.port != 0) {
      break;  // a fixed port that is taken will not free itself
    }
  }
  return last;
}

}  // namespace dbtoken::http
