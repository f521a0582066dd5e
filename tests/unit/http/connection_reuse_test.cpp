// Connection reuse, counted where it matters: TLS handshakes at the server.
#include <catch2/catch.hpp>

#include <filesystem>

#include "http/server.h"
#include "http/transport.h"
#include "support/fault_front.h"
#include "support/self_signed.h"

using namespace dbtoken;
using common::Code;

namespace {

struct TempCerts {
  std::filesystem::path dir;
  doubles::CertificateFiles files;

  explicit TempCerts(const std::string& name) {
    dir = std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(::rand()));
    auto certs = doubles::writeSelfSignedCertificates(dir.string(), name);
    REQUIRE(certs.ok());
    files = *certs;
  }
  ~TempCerts() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

http::ServerResponse created(http::ServerRequest& r) {
  http::ServerResponse resp;
  resp.status = r.method == "POST" ? 201 : 200;
  resp.headers.add("Content-Type", "application/json");
  resp.body = "{}";
  return resp;
}

http::ClientRequest create() {
  http::ClientRequest req;
  req.method = "POST";
  req.target = "/things";
  req.body = "{}";
  req.headers.add("Content-Type", "application/json");
  req.idempotent = false;
  return req;
}

std::unique_ptr<http::Transport> trusting(const std::string& url, const TempCerts& certs) {
  http::TransportOptions o;
  o.baseUrl = url;
  o.tls.caFile = certs.files.caCertFile;
  auto t = http::makeTransport(o);
  REQUIRE(t.ok());
  return std::move(t).value();
}

}  // namespace

TEST_CASE("Transport: reads and creates share one kept-alive TLS connection") {
  TempCerts certs("reuse-test");
  http::ServerOptions so;
  so.tls = http::TlsFiles{certs.files.serverCertFile, certs.files.serverKeyFile};
  auto server = http::startServer(so, created);
  REQUIRE(server.ok());
  auto client = trusting((*server)->url(), certs);

  http::ClientRequest get;
  get.target = "/things";
  for (int i = 0; i < 50; ++i) {
    auto r = client->send(get);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    auto c = client->send(create());
    REQUIRE(c.ok());
    CHECK(c->status == 201);
  }
  CHECK((*server)->stats().requests == 100);
  CHECK((*server)->stats().tlsHandshakes == 1);

  SECTION("another transport is another connection: the counter counts handshakes") {
    auto other = trusting((*server)->url(), certs);
    REQUIRE(other->send(get).ok());
    CHECK((*server)->stats().tlsHandshakes == 2);
  }
}

TEST_CASE(
    "Transport: a pooled connection the server has closed is noticed before a create goes out "
    "on it") {
  TempCerts certs("reuse-closed-test");
  auto backend = http::startServer({}, created);
  REQUIRE(backend.ok());
  doubles::FaultFrontOptions fo;
  fo.tls = http::TlsFiles{certs.files.serverCertFile, certs.files.serverKeyFile};
  fo.backendPort = (*backend)->port();
  auto front = doubles::startFaultFront(fo);
  REQUIRE(front.ok());
  auto client = trusting((*front)->url(), certs);
  REQUIRE(client->send(create()).ok());
  CHECK((*front)->stats().tlsHandshakes == 1);

  // The server goes away, closing the kept connection, and comes back on the same port.
  uint16_t port = (*front)->port();
  (*front)->stop();
  fo.port = port;
  auto again = doubles::startFaultFront(fo);
  REQUIRE(again.ok());

  auto r = client->send(create());
  REQUIRE(r.ok());  // not OutcomeUnknown: the closed connection was never written to
  CHECK(r->status == 201);
  CHECK((*again)->stats().requests == 1);
  CHECK((*again)->stats().tlsHandshakes == 1);
}

TEST_CASE("Transport: an answer that says Connection: close is not pooled") {
  TempCerts certs("reuse-close-header-test");
  http::ServerOptions so;
  so.tls = http::TlsFiles{certs.files.serverCertFile, certs.files.serverKeyFile};
  auto server = http::startServer(so, [](http::ServerRequest& r) {
    auto resp = created(r);
    resp.headers.add("Connection", "close");
    return resp;
  });
  REQUIRE(server.ok());
  auto client = trusting((*server)->url(), certs);
  http::ClientRequest get;
  get.target = "/things";
  for (int i = 0; i < 3; ++i) {
    auto r = client->send(get);
    REQUIRE(r.ok());
  }
  CHECK((*server)->stats().tlsHandshakes == 3);
}
