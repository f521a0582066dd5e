// TLS with a generated CA, plain http only when allowed, connection failures that prove the
// request never left, management token rotation and absence from every log line.
#include <catch2/catch.hpp>

#include <filesystem>

#include "live_double.h"
#include "support/self_signed.h"

using namespace dbtoken;
using common::Code;
using influx::CreateRequest;
using influx::UrlShape;
using testing::countCalls;

TEST_CASE("Security: the client trusts the double through its generated CA and nothing else") {
  testing::LiveDouble live;
  REQUIRE(live.server().url().rfind("https://127.0.0.1:", 0) == 0);
  auto trusted = live.client();
  REQUIRE(trusted.ok());
  auto created = (*trusted)->create(CreateRequest{"tls", {}, std::nullopt});
  REQUIRE(created.ok());
  live.remember(created->accessToken);

  auto otherDir =
      std::filesystem::temp_directory_path() / ("other-ca-" + std::to_string(::getpid()));
  auto otherCa = doubles::writeSelfSignedCertificates(otherDir.string(), "someone-else");
  REQUIRE(otherCa.ok());
  auto untrusting =
      live.client(UrlShape::kClustered, [&](auto& o) { o.caFile = otherCa->caCertFile; });
  REQUIRE(untrusting.ok());
  live.api().clearCalls();
  auto listed = (*untrusting)->list();
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.status().code() == Code::kUnavailable);
  CHECK_THAT(listed.status().message(), Catch::Contains("TLS"));
  // A create over a connection that never completed its handshake certainly never left: it is
  // Unavailable (retried, and safe to retry), not OutcomeUnknown.
  auto refused = (*untrusting)->create(CreateRequest{"never sent", {}, std::nullopt});
  CHECK(refused.status().code() == Code::kUnavailable);
  CHECK(live.api().calls().empty());
  CHECK(live.api().tokens().size() == 1);
  std::filesystem::remove_all(otherDir);
  CHECK_FALSE(live.secretLeaked());
}

TEST_CASE("Security: plain http:// is refused unless explicitly allowed") {
  testing::LiveDouble live({}, /*tls=*/false);
  REQUIRE(live.server().url().rfind("http://", 0) == 0);
  auto refused = live.client(UrlShape::kClustered, [](auto& o) { o.allowInsecureHttp = false; });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("https://"));
  auto allowed = live.client(UrlShape::kClustered, [](auto& o) { o.allowInsecureHttp = true; });
  REQUIRE(allowed.ok());
  CHECK((*allowed)->list().ok());
}

TEST_CASE(
    "Security: a create against a server that is gone is sent again at once, then Unavailable, "
    "never unknown") {
  std::string url;
  std::string caFile;
  auto dir = std::filesystem::temp_directory_path() / ("gone-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto tokenFile = (dir / "token").string();
  {
    testing::LiveDouble live;
    url = live.server().url();
    std::filesystem::copy_file(live.server().caFile(), dir / "ca.crt");
    std::filesystem::copy_file(live.tokenFile(), tokenFile);
  }
  influx::HttpTokenClientOptions o;
  o.url = url;
  o.caFile = (dir / "ca.crt").string();
  o.managementTokenFile = tokenFile;
  auto client = influx::HttpTokenClient::make(o);
  REQUIRE(client.ok());
  auto created = (*client)->create(CreateRequest{"nobody home", {}, std::nullopt});
  CHECK(created.status().code() == Code::kUnavailable);
  CHECK_THAT(created.status().message(), Catch::Contains("not sent"));
  CHECK_THAT(created.status().message(), Catch::Contains("after 2 attempts"));
  CHECK(created.status().retryAfter().has_value());  // the caller retries through its queue
  std::filesystem::remove_all(dir);
}

TEST_CASE("Security: a rotated management token file is picked up without a restart") {
  testing::LiveDouble live;
  auto client = live.client(UrlShape::kDedicated);
  REQUIRE(client.ok());
  REQUIRE((*client)->list().ok());
  const std::string next = "mgmt_live_rotated_8d1e77c3b5";
  live.api().setManagementToken(next);
  CHECK((*client)->list().status().code() == Code::kUnauthenticated);
  live.writeManagementToken(next);
  CHECK((*client)->list().ok());
  std::filesystem::remove(live.tokenFile());
  auto missing = (*client)->list();
  CHECK(missing.status().code() == Code::kFailedPrecondition);
  bool leaked = live.logs().find(next) != std::string::npos ||
                missing.status().message().find(next) != std::string::npos;
  CHECK_FALSE(leaked);
  CHECK_FALSE(live.secretLeaked());
}

TEST_CASE("Security: a revoked token stops working on the data plane at once") {
  testing::LiveDouble live;
  auto client = live.client();
  REQUIRE(client.ok());
  auto created = (*client)->create(CreateRequest{"writer", {{"write", "sensors"}}, std::nullopt});
  REQUIRE(created.ok());
  live.remember(created->accessToken);
  CHECK(live.writeStatus(created->accessToken, "sensors") == 204);
  CHECK(live.writeStatus(created->accessToken, "elsewhere") == 403);
  REQUIRE((*client)->revoke(created->token.id).ok());
  CHECK(live.writeStatus(created->accessToken, "sensors") == 401);
  CHECK_FALSE(live.secretLeaked());
}
