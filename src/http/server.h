// A small HTTP/1.1 server for probes, metrics and the test doubles: one handler function, plain
// or TLS, fixed or streamed (chunked) bodies. The interface hides the mechanism (cpprestsdk's
// listener today); a Server stops and joins everything it started when it is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace dbtoken::http {

struct ServerRequest {
  std::string method;
  std::string target;    // raw request target: "/api/v1/namespaces?limit=1" (still encoded)
  std::string path;      // raw path part of target (still percent-encoded)
  std::string rawQuery;  // raw query part, without '?'
  Headers headers;
  std::string body;
};

// The far end of a streamed response. write() returns false once the client has gone or the
// stream was closed; producers stop then. Thread-safe.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  virtual bool write(std::string_view data) = 0;
  virtual void close() = 0;
  virtual bool closed() const = 0;
  // Called once when the stream ends for any reason (client gone, close(), server stop).
  virtual void onClose(std::function<void()> fn) = 0;
};

struct ServerResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is streamed with chunked encoding: the function receives the writer right
  // after the headers are handed to the connection and may keep it to write later.
  std::function<void(std::shared_ptr<StreamWriter>)> stream;
};

using Handler = std::function<ServerResponse(ServerRequest& request)>;

struct TlsFiles {
  std::string certChainFile;   // PEM
  std::string privateKeyFile;  // PEM
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port
  std::optional<TlsFiles> tls;
};

// What a server has seen, for tests and benchmarks that prove connection reuse.
struct ServerStats {
  uint64_t tlsHandshakes = 0;  // completed TLS handshakes, one per new TLS connection
  uint64_t requests = 0;       // requests dispatched to the handler
};

class Server {
 public:
  virtual ~Server() = default;
  virtual ServerStats stats() const = 0;
  virtual uint16_t port() const = 0;
  virtual std::string url() const = 0;  // "https://127.0.0.1:34567"
  // Stops accepting, closes open streams. Idempotent; the destructor calls it.
  virtual void stop() = 0;
};

common::Result<std::unique_ptr<Server>> startServer(const ServerOptions& options, Handler handler);

// Sizes cpprestsdk's shared thread pool; must run before any server or client exists.
void initializeThreadPool(int threads);

}  // namespace dbtoken::http
