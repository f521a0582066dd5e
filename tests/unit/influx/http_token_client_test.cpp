// HttpTokenClient against the in-process face of the Management API double: no sockets, no
// real time (a FakeClock; the client never waits), every exchange held to the OpenAPI contract.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "influx/http_token_client.h"
#include "management/in_process_transport.h"
#include "management/management_api.h"
#include "testing/management_contract.h"

using namespace dbtoken;
using common::Code;
using doubles::management::Behaviour;
using doubles::management::Fault;
using doubles::management::FaultKind;
using doubles::management::InProcessTransport;
using doubles::management::ManagementApi;
using influx::CreateRequest;
using influx::HttpTokenClient;
using influx::RevokeOutcome;
using influx::UpdateRequest;
using influx::UrlShape;

namespace {

const std::string kManagementToken = "mgmt_in_process_0123456789abcdef";

int countCalls(const ManagementApi& api, const std::string& method) {
  int n = 0;
  for (const auto& c : api.calls()) {
    n += c.method == method ? 1 : 0;
  }
  return n;
}

struct Harness {
  explicit Harness(UrlShape shape = UrlShape::kClustered, Behaviour behaviour = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "client-unit-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    tokenFile = (dir / "management-token").string();
    writeToken(kManagementToken);
    api = std::make_unique<ManagementApi>(
        doubles::management::ManagementApiOptions{kManagementToken, "", "", behaviour, &clock});
    contract = std::make_unique<testing::ContractChecker>(*api);
    sink =
        std::make_shared<common::LogSink>(common::LogLevel::kDebug, common::LogFormat::kJson, clock,
                                          std::make_shared<common::Redactor>(), lines.writer());
    options.url = "https://management.test";
    options.shape = shape;
    options.accountId = api->accountId();
    options.clusterId = api->clusterId();
    options.managementTokenFile = tokenFile;
    options.clock = &clock;
    options.logger = common::Logger(sink);
    options.observer = [this](const influx::AttemptRecord& r) {
      attempts.push_back(r);
      clock.advance(attemptTakes);  // as if the attempt had taken this long
    };
    auto t = std::make_unique<InProcessTransport>(api->handler());
    transport = t.get();
    auto c = HttpTokenClient::make(options, std::move(t));
    REQUIRE(c.ok());
    client = std::move(c).value();
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  void writeToken(const std::string& token) const { std::ofstream(tokenFile) << token << "\n"; }

  // No captured line and no error text may contain the management token.
  bool managementTokenLeaked() const {
    return lines.joined().find(kManagementToken) != std::string::npos;
  }

  common::FakeClock clock;
  std::chrono::milliseconds attemptTakes{0};
  std::filesystem::path dir;
  std::string tokenFile;
  std::unique_ptr<ManagementApi> api;
  std::unique_ptr<testing::ContractChecker> contract;
  common::CapturedLines lines;
  std::shared_ptr<common::LogSink> sink;
  influx::HttpTokenClientOptions options;
  InProcessTransport* transport = nullptr;
  std::unique_ptr<HttpTokenClient> client;
  std::vector<influx::AttemptRecord> attempts;
};

CreateRequest request(const std::string& description) {
  return CreateRequest{description, {{"write", "sensors"}, {"read", "*"}}, std::nullopt};
}

}  // namespace

TEST_CASE("HttpTokenClient: creates, lists, gets, updates and revokes a token in both URL shapes") {
  auto shape = GENERATE(UrlShape::kClustered, UrlShape::kDedicated);
  Harness h(shape);
  CHECK(h.client->tokensPath() == (shape == UrlShape::kClustered ? h.api->clusteredTokensPath()
                                                                 : h.api->dedicatedTokensPath()));
  auto created = h.client->create(request("telegraf writer"));
  REQUIRE(created.ok());
  const std::string id = created->token.id;
  CHECK(created->token.description == "telegraf writer");
  CHECK(created->accessToken.reveal().rfind("apiv1_", 0) == 0);
  CHECK(created->token.accountId.has_value() == (shape == UrlShape::kDedicated));
  CHECK(h.api->authorize(created->accessToken.reveal(), "sensors", true) ==
        doubles::management::DataPlaneAnswer::kAllowed);

  auto listed = h.client->list();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().id == id);

  auto got = h.client->get(id);
  REQUIRE(got.ok());
  CHECK(got->permissions == created->token.permissions);

  auto updated = h.client->update(id, UpdateRequest{std::nullopt, {{{"read", "sensors"}}}});
  REQUIRE(updated.ok());
  CHECK(updated->permissions == std::vector<influx::Permission>{{"read", "sensors"}});
  CHECK(updated->description == "telegraf writer");

  auto revoked = h.client->revoke(id);
  REQUIRE(revoked.ok());
  CHECK(*revoked == RevokeOutcome::kRevoked);
  CHECK(h.api->authorize(created->accessToken.reveal(), "sensors", false) ==
        doubles::management::DataPlaneAnswer::kRevoked);
  CHECK(h.contract->violations().empty());
  CHECK(h.contract->exchanges() == 5);
  CHECK_FALSE(h.managementTokenLeaked());
}

TEST_CASE(
    "HttpTokenClient: the management token is sent as a bearer token and re-read on rotation") {
  Harness h;
  REQUIRE(h.client->list().ok());
  auto sent = h.transport->requests().back().headers.get("Authorization");
  CHECK((sent && *sent == "Bearer " + kManagementToken));

  const std::string rotated = "mgmt_rotated_fedcba9876543210";
  h.api->setManagementToken(rotated);
  auto stale = h.client->list();
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Code::kUnauthenticated);

  h.writeToken(rotated);
  CHECK(h.client->list().ok());

  std::filesystem::remove(h.tokenFile);
  auto missing = h.client->list();
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(missing.status().message(), Catch::Contains(h.tokenFile));
  CHECK(h.transport->requests().size() == 3);  // no request without a token
}

TEST_CASE(
    "HttpTokenClient: GET, PATCH and DELETE answered 500, 503 or 429 come back at once with the "
    "least delay before a retry, which the caller makes") {
  struct Row {
    const char* method;
    int status;
  };
  auto row = GENERATE(Row{"GET", 500}, Row{"GET", 503}, Row{"GET", 429}, Row{"PATCH", 500},
                      Row{"PATCH", 503}, Row{"PATCH", 429}, Row{"DELETE", 500}, Row{"DELETE", 503},
                      Row{"DELETE", 429});
  CAPTURE(row.method, row.status);
  Harness h;
  auto created = h.client->create(request("retry"));
  REQUIRE(created.ok());
  Fault fault;
  fault.method = row.method;
  fault.pathRegex = ".*/tokens.*";
  fault.times = 1;
  fault.kind = FaultKind::kStatus;
  fault.status = row.status;
  REQUIRE(h.api->addFault(fault).isOk());
  auto call = [&]() -> common::Status {
    if (std::string(row.method) == "GET") {
      return h.client->get(created->token.id).status();
    }
    if (std::string(row.method) == "PATCH") {
      return h.client->update(created->token.id, UpdateRequest{"renamed", std::nullopt}).status();
    }
    return h.client->revoke(created->token.id).status();
  };
  const auto before = h.clock.now();
  common::Status first = call();
  CHECK(first.code() == Code::kUnavailable);
  CHECK(first.retryAfter() == std::chrono::milliseconds(200));  // the policy's least delay
  CHECK(countCalls(*h.api, row.method) == 1);
  CHECK(h.clock.now() == before);  // nothing waited
  // The caller's retry (a requeue) goes through.
  CHECK(call().isOk());
  CHECK(countCalls(*h.api, row.method) == 2);
  CHECK(h.contract->violations().empty());
}

TEST_CASE(
    "HttpTokenClient: a POST answered 500 or 503 is never retried and its outcome is unknown") {
  int status = GENERATE(500, 502, 503);
  Harness h;
  Fault fault;
  fault.method = "POST";
  fault.kind = FaultKind::kStatus;
  fault.status = status;
  REQUIRE(h.api->addFault(fault).isOk());
  auto created = h.client->create(request("once"));
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == Code::kOutcomeUnknown);
  CHECK(countCalls(*h.api, "POST") == 1);
  CHECK(created.status().retryAfter() == std::chrono::milliseconds(200));
}

TEST_CASE(
    "HttpTokenClient: a POST refused with 429 is not retried and reports Unavailable with the "
    "delay") {
  Harness h;
  Fault fault;
  fault.method = "POST";
  fault.kind = FaultKind::kStatus;
  fault.status = 429;
  fault.retryAfterSeconds = 7;
  REQUIRE(h.api->addFault(fault).isOk());
  auto created = h.client->create(request("rate limited"));
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == Code::kUnavailable);
  REQUIRE(created.status().retryAfter());
  CHECK(*created.status().retryAfter() == std::chrono::seconds(7));
  CHECK(countCalls(*h.api, "POST") == 1);
  CHECK(h.api->tokens().empty());
}

TEST_CASE(
    "HttpTokenClient: a POST whose answer was lost is reported as an unknown outcome, never "
    "retried") {
  Harness h;
  SECTION("the connection dropped after the server created the token") {
    Fault fault;
    fault.method = "POST";
    fault.kind = FaultKind::kDropAfterWork;
    REQUIRE(h.api->addFault(fault).isOk());
  }
  SECTION("the answer timed out after the server created the token") {
    h.transport->failNext(common::Status(Code::kDeadlineExceeded, "timed out"), 1, true);
    CHECK(h.api->tokens().empty());
  }
  SECTION("the answer was cut halfway") {
    Fault fault;
    fault.method = "POST";
    fault.kind = FaultKind::kTruncateAfterWork;
    REQUIRE(h.api->addFault(fault).isOk());
  }
  auto created = h.client->create(request("lost answer"));
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == Code::kOutcomeUnknown);
  CHECK_THAT(created.status().message(), Catch::Contains("look for it"));
  CHECK(h.transport->requests().size() == 1);
  REQUIRE(h.api->tokens().size() == 1);
  CHECK(h.api->tokens().front().description == "lost answer");
  // One line per failure, the caller's (the controller's): the client adds no warning of its own.
  CHECK_THAT(h.lines.joined(), !Catch::Contains("[warn]") && !Catch::Contains("\"warn\""));
}

TEST_CASE("HttpTokenClient: a POST that certainly never left is sent again at once, once") {
  Harness h;
  SECTION("the second attempt goes through") {
    h.transport->failNext(common::Status(Code::kUnavailable, "connection refused; not sent"), 1);
    auto created = h.client->create(request("second try"));
    REQUIRE(created.ok());
    CHECK(h.api->tokens().size() == 1);
  }
  SECTION("the second fails too: Unavailable, nothing created, the delay handed back") {
    h.transport->failNext(common::Status(Code::kUnavailable, "connection refused; not sent"), 2);
    auto created = h.client->create(request("second try"));
    REQUIRE_FALSE(created.ok());
    CHECK(created.status().code() == Code::kUnavailable);
    CHECK(created.status().retryAfter() == std::chrono::milliseconds(200));
    CHECK(h.api->tokens().empty());
  }
  CHECK(h.transport->requests().size() == 2);
}

TEST_CASE(
    "HttpTokenClient: a call that got no answer is sent again at once on a new connection, "
    "within the one timeout, then given up with Unavailable") {
  Harness h;
  const common::Status reset(Code::kOutcomeUnknown, "connection reset");
  SECTION("a quick failure (a closed pooled connection): one resend with the time left") {
    h.transport->failNext(reset, 10);
    h.attemptTakes = std::chrono::milliseconds(3000);
    auto listed = h.client->list();
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.status().code() == Code::kUnavailable);
    CHECK_THAT(listed.status().message(), Catch::Contains("after 2 attempts"));
    CHECK(listed.status().retryAfter() == std::chrono::milliseconds(200));
    REQUIRE(h.attempts.size() == 2);
    auto sent = h.transport->requests();
    REQUIRE(sent.size() == 2);
    CHECK_FALSE(sent[0].timeout.has_value());  // the transport's own, pooled
    CHECK(sent[1].timeout == std::chrono::milliseconds(7000));
  }
  SECTION("a failure that used more than half the timeout is not resent") {
    h.transport->failNext(reset, 10);
    h.attemptTakes = std::chrono::milliseconds(6000);
    auto listed = h.client->list();
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.status().code() == Code::kUnavailable);
    CHECK(h.attempts.size() == 1);
  }
  SECTION("a timeout is not resent: it used the call's time") {
    h.transport->failNext(common::Status(Code::kDeadlineExceeded, "timed out"), 1);
    auto got = h.client->get("55555555-5555-4555-8555-555555555555");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == Code::kDeadlineExceeded);
    CHECK(got.status().retryAfter() == std::chrono::milliseconds(200));
    CHECK(h.attempts.size() == 1);
  }
}

TEST_CASE(
    "HttpTokenClient: a 503 with Retry-After comes back at once, the server's delay handed to "
    "the caller (a slow API never holds a worker)") {
  Harness h;
  Fault fault;
  fault.method = "DELETE";
  fault.pathRegex = ".*/tokens.*";
  fault.kind = FaultKind::kStatus;
  fault.status = 503;
  struct Row {
    int retryAfterSeconds;
    std::chrono::milliseconds handedBack;
  };
  auto row = GENERATE(Row{30, std::chrono::seconds(30)}, Row{2, std::chrono::seconds(2)},
                      Row{3600, std::chrono::seconds(300)});  // capped by maxRetryAfter
  CAPTURE(row.retryAfterSeconds);
  fault.retryAfterSeconds = row.retryAfterSeconds;
  REQUIRE(h.api->addFault(fault).isOk());
  const auto before = h.clock.now();
  auto revoked = h.client->revoke("55555555-5555-4555-8555-555555555555");
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.status().code() == Code::kUnavailable);
  CHECK(revoked.status().retryAfter() == row.handedBack);
  CHECK(countCalls(*h.api, "DELETE") == 1);
  CHECK(h.clock.now() == before);
}

TEST_CASE("HttpTokenClient: answers that are not what the API promises are typed errors") {
  struct Row {
    const char* sentence;
    const char* body;
  };
  auto row = GENERATE(
      Row{"not JSON", "<html>gateway</html>"}, Row{"empty", ""},
      Row{"truncated JSON", R"({"id":"55555555-5555-4555-8555-5555)"},
      Row{"missing required fields", R"({"id":"55555555-5555-4555-8555-555555555555"})"},
      Row{"wrong types", R"({"id":5,"description":[],"permissions":{},"createdAt":1})"},
      Row{"an array where an object belongs", "[]"}, Row{"an object where an array belongs", "{}"});
  CAPTURE(row.sentence);
  Harness h;
  auto existing = h.client->create(request("existing"));
  REQUIRE(existing.ok());
  for (const char* method : {"GET", "POST", "PATCH"}) {
    Fault fault;
    fault.method = method;
    fault.kind = FaultKind::kBody;
    fault.status = 200;
    fault.body = row.body;
    REQUIRE(h.api->addFault(fault).isOk());
  }
  auto listed = h.client->list();
  if (std::string(row.sentence) == "an array where an object belongs") {
    CHECK(listed.ok());  // an empty list is a fine list
  } else {
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.status().code() == Code::kInternal);
  }
  auto created = h.client->create(request("garbled"));
  REQUIRE_FALSE(created.ok());
  CHECK(created.status().code() == Code::kOutcomeUnknown);
  auto updated = h.client->update(existing->token.id, UpdateRequest{"x", std::nullopt});
  REQUIRE_FALSE(updated.ok());
  CHECK(updated.status().code() == Code::kInternal);
}

TEST_CASE("HttpTokenClient: DELETE answered 404 counts as already revoked") {
  auto second = GENERATE(Behaviour::SecondDelete::kNoContent, Behaviour::SecondDelete::kNotFound);
  Behaviour b;
  b.secondDelete = second;
  Harness h(UrlShape::kClustered, b);
  auto created = h.client->create(request("twice"));
  REQUIRE(created.ok());
  CHECK(*h.client->revoke(created->token.id) == RevokeOutcome::kRevoked);
  auto again = h.client->revoke(created->token.id);
  REQUIRE(again.ok());
  CHECK(*again == (second == Behaviour::SecondDelete::kNotFound ? RevokeOutcome::kAlreadyRevoked
                                                                : RevokeOutcome::kRevoked));
  CHECK(*h.client->revoke("99999999-9999-4999-8999-999999999999") ==
        RevokeOutcome::kAlreadyRevoked);
}

TEST_CASE("HttpTokenClient: API errors come back with their meaning") {
  Behaviour b;
  b.duplicateDescription = Behaviour::DuplicateDescription::kConflict;
  b.revokedPatch = Behaviour::RevokedPatch::kConflict;
  Harness h(UrlShape::kClustered, b);
  auto first = h.client->create(request("unique"));
  REQUIRE(first.ok());
  CHECK(h.client->create(request("unique")).status().code() == Code::kAlreadyExists);
  REQUIRE(h.client->revoke(first->token.id).ok());
  CHECK(h.client->update(first->token.id, UpdateRequest{"x", std::nullopt}).status().code() ==
        Code::kConflict);
  CHECK(h.client->get("99999999-9999-4999-8999-999999999999").status().code() == Code::kNotFound);
  h.api->setManagementToken("some_other_management_token");
  auto denied = h.client->list();
  CHECK(denied.status().code() == Code::kUnauthenticated);
  CHECK_THAT(denied.status().message(), Catch::Contains("401 Unauthorized"));
}

TEST_CASE(
    "HttpTokenClient: requests the API would refuse, and ids that are not UUIDs, never leave") {
  Harness h;
  CHECK(h.client->create(CreateRequest{"", {}, std::nullopt}).status().code() ==
        Code::kInvalidArgument);
  CHECK(h.client->create(CreateRequest{"x", {{"delete", "db"}}, std::nullopt}).status().code() ==
        Code::kInvalidArgument);
  CHECK(h.client->update("55555555-5555-4555-8555-555555555555", UpdateRequest{}).status().code() ==
        Code::kInvalidArgument);
  CHECK(h.client->get("../../accounts").status().code() == Code::kInvalidArgument);
  CHECK(h.client->revoke("").status().code() == Code::kInvalidArgument);
  CHECK(h.transport->requests().empty());
}

TEST_CASE("HttpTokenClient: bad configuration is refused with one clear sentence") {
  Harness h;
  struct Row {
    const char* sentence;
    std::function<void(influx::HttpTokenClientOptions&)> change;
    Code code;
    const char* mentions;
  };
  const std::vector<Row> rows = {
      {"plain http is refused", [](auto& o) { o.url = "http://management.test"; },
       Code::kInvalidArgument, "https://"},
      {"plain http is accepted when explicitly allowed",
       [](auto& o) {
         o.url = "http://management.test";
         o.allowInsecureHttp = true;
       },
       Code::kOk, ""},
      {"a URL that is not one is refused", [](auto& o) { o.url = "management.test"; },
       Code::kInvalidArgument, "not a valid"},
      {"Cloud Dedicated without ids is refused",
       [](auto& o) {
         o.shape = UrlShape::kDedicated;
         o.accountId = "";
       },
       Code::kInvalidArgument, "account ID"},
      {"a missing token file is refused",
       [](auto& o) { o.managementTokenFile = "/nonexistent/token"; }, Code::kFailedPrecondition,
       "/nonexistent/token"},
      {"a missing CA file is refused", [](auto& o) { o.caFile = "/nonexistent/ca.crt"; },
       Code::kFailedPrecondition, "CA file"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      auto options = h.options;
      row.change(options);
      auto c =
          HttpTokenClient::make(options, std::make_unique<InProcessTransport>(h.api->handler()));
      CHECK(c.status().code() == row.code);
      CHECK_THAT(c.status().message(), Catch::Contains(row.mentions));
    }
  }
  SECTION("an empty token file is refused without showing anything of it") {
    h.writeToken("   ");
    auto c =
        HttpTokenClient::make(h.options, std::make_unique<InProcessTransport>(h.api->handler()));
    CHECK(c.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(c.status().message(), Catch::Contains("is empty"));
  }
}

TEST_CASE("HttpTokenClient: the management token never appears in a log line or an error text") {
  Harness h;
  std::vector<common::Status> errors;
  Fault fault;
  fault.kind = FaultKind::kStatus;
  fault.status = 503;
  fault.times = 3;
  REQUIRE(h.api->addFault(fault).isOk());
  errors.push_back(h.client->list().status());
  h.transport->failNext(common::Status(Code::kUnavailable, "echo " + kManagementToken), 4);
  errors.push_back(h.client->list().status());
  h.api->setManagementToken("a_different_management_token");
  errors.push_back(h.client->list().status());
  bool leaked = h.managementTokenLeaked();
  for (const auto& s : errors) {
    leaked = leaked || s.message().find(kManagementToken) != std::string::npos;
  }
  CHECK_FALSE(leaked);
  CHECK_FALSE(h.lines.lines().empty());
}
