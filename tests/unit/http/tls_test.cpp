#include <catch2/catch.hpp>

#include <filesystem>

#include "http/server.h"
#include "http/transport.h"
#include "support/self_signed.h"

using namespace dbtoken;
using common::Code;

TEST_CASE(
    "TLS: a client that trusts the generated CA talks to the server; one that does not, "
    "fails with a clear Unavailable") {
  auto dir = std::filesystem::temp_directory_path() / ("tls-test-" + std::to_string(::getpid()));
  auto certs = doubles::writeSelfSignedCertificates(dir.string(), "tls-test");
  REQUIRE(certs.ok());
  http::ServerOptions so;
  so.tls = http::TlsFiles{certs->serverCertFile, certs->serverKeyFile};
  auto server = http::startServer(so, [](http::ServerRequest&) {
    http::ServerResponse r;
    r.body = "hello";
    return r;
  });
  REQUIRE(server.ok());
  CHECK((*server)->url().rfind("https://127.0.0.1:", 0) == 0);

  http::ClientRequest req;
  req.target = "/";

  SECTION("trusting the CA file") {
    http::TransportOptions o;
    o.baseUrl = (*server)->url();
    o.tls.caFile = certs->caCertFile;
    auto t = http::makeTransport(o);
    REQUIRE(t.ok());
    auto r = (*t)->send(req);
    REQUIRE(r.ok());
    CHECK(r->body == "hello");
  }
  SECTION("trusting the CA from memory") {
    http::TransportOptions o;
    o.baseUrl = (*server)->url();
    o.tls.caPem = certs->caCertPem;
    auto r = (*http::makeTransport(o))->send(req);
    REQUIRE(r.ok());
  }
  SECTION("without the CA the handshake fails") {
    http::TransportOptions o;
    o.baseUrl = (*server)->url();
    auto r = (*http::makeTransport(o))->send(req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kUnavailable);
    CHECK(r.status().message().find("TLS") != std::string::npos);
  }
  SECTION("skipping verification works only when asked") {
    http::TransportOptions o;
    o.baseUrl = (*server)->url();
    o.tls.insecureSkipVerify = true;
    auto r = (*http::makeTransport(o))->send(req);
    REQUIRE(r.ok());
  }
  std::filesystem::remove_all(dir);
}
