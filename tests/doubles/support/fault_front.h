// FaultFront: a double's public socket. It terminates TLS (or not), relays each HTTP/1.1
// request to the double's in-process server on loopback, and relays the answer back, unless
// the answer carries the connection-fault header: "drop" closes the client's connection
// without answering, "truncate" sends the head and half the body, then closes. That is how a
// double shows a client a server that did the work and crashed, which an HTTP server library
// cannot do from a request handler.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "http/server.h"

namespace dbtoken::doubles {

struct FaultFrontOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: a free port
  std::optional<http::TlsFiles> tls;
  uint16_t backendPort = 0;  // the double's plain-HTTP server on 127.0.0.1
  std::string faultHeader = "X-Double-Connection-Fault";
};

class FaultFront {
 public:
  virtual ~FaultFront() = default;
  virtual uint16_t port() const = 0;
  virtual std::string url() const = 0;  // "https://127.0.0.1:34567"
  // Stops accepting, cuts every open connection and joins its threads. Idempotent.
  virtual void stop() = 0;
  // TLS handshakes completed and requests relayed so far.
  virtual http::ServerStats stats() const = 0;
};

common::Result<std::unique_ptr<FaultFront>> startFaultFront(FaultFrontOptions options);

}  // namespace dbtoken::doubles
