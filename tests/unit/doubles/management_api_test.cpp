// The Management API double's semantics through its in-process face: documented validation,
// every undocumented switch, the data plane, the control surface. Every answer is held to the
// OpenAPI documents.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "management/management_api.h"
#include "testing/management_contract.h"

using namespace dbtoken;
using doubles::management::Behaviour;
using doubles::management::DataPlaneAnswer;
using doubles::management::ManagementApi;
using doubles::management::ManagementApiOptions;
using nlohmann::json;

namespace {

const std::string kManagement = "mgmt_double_test_token_123456";

struct Double {
  explicit Double(Behaviour b = {}, bool checkRequests = false)
      : api(ManagementApiOptions{kManagement, "", "", b, &clock}), contract(api, checkRequests) {}

  http::ServerResponse call(const std::string& method, const std::string& target,
                            const std::string& body = "",
                            std::optional<std::string> bearer = kManagement) {
    http::ServerRequest r;
    r.method = method;
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.rawQuery = q == std::string::npos ? "" : target.substr(q + 1);
    if (bearer) {
      r.headers.set("Authorization", "Bearer " + *bearer);
    }
    r.body = body;
    return api.handle(r);
  }

  // Creates a token; returns {id, accessToken}.
  std::pair<std::string, std::string> create(
      const std::string& description,
      const std::string& permissions = R"([{"action":"write","resource":"db"}])") {
    auto r = call("POST", "/api/v0/tokens",
                  R"({"description":")" + description + R"(","permissions":)" + permissions + "}");
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    return {j["id"], j["accessToken"]};
  }

  common::FakeClock clock;
  ManagementApi api;
  testing::ContractChecker contract;
};

}  // namespace

TEST_CASE(
    "Management double: requests the documents forbid are refused with 400 and an error body") {
  struct Row {
    const char* sentence;
    const char* method;
    std::string target;
    std::string body;
    int status;
  };
  const std::string item = "/api/v0/tokens/55555555-5555-4555-8555-555555555555";
  const std::vector<Row> rows = {
      {"a body that is not JSON", "POST", "/api/v0/tokens", "description=x", 400},
      {"a create without description", "POST", "/api/v0/tokens", R"({"permissions":[]})", 400},
      {"a description that is not a string", "POST", "/api/v0/tokens", R"({"description":3})", 400},
      {"an action other than read or write", "POST", "/api/v0/tokens",
       R"({"description":"x","permissions":[{"action":"admin","resource":"db"}]})", 400},
      {"an empty resource", "POST", "/api/v0/tokens",
       R"({"description":"x","permissions":[{"action":"read","resource":""}]})", 400},
      {"a resource of 65 characters", "POST", "/api/v0/tokens",
       R"({"description":"x","permissions":[{"action":"read","resource":")" + std::string(65, 'r') +
           R"("}]})",
       400},
      {"a permission without resource", "POST", "/api/v0/tokens",
       R"({"description":"x","permissions":[{"action":"read"}]})", 400},
      {"an expiresAt that is not RFC 3339", "POST", "/api/v0/tokens",
       R"({"description":"x","expiresAt":"tomorrow"})", 400},
      {"a token id that is not a UUID", "GET", "/api/v0/tokens/not-a-uuid", "", 400},
      {"an unknown token", "GET", item, "", 404},
      {"a PATCH of an unknown token", "PATCH", item, R"({"description":"x"})", 404},
      {"a DELETE of an unknown token", "DELETE", item, "", 404},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      Double d;
      auto r = d.call(row.method, row.target, row.body);
      CHECK(r.status == row.status);
      auto body = json::parse(r.body);
      CHECK(body["code"] == row.status);
      CHECK(body["message"].is_string());
      CHECK(d.contract.violations().empty());
    }
  }
}

TEST_CASE("Management double: a PATCH needs a property and replaces the permission list") {
  Double d;
  auto [id, access] = d.create("patch me");
  std::string path = "/api/v0/tokens/" + id;
  CHECK(d.call("PATCH", path, "{}").status == 400);
  CHECK(d.call("PATCH", path, R"({"expiresAt":"2030-01-01T00:00:00Z"})").status == 400);
  auto r = d.call("PATCH", path, R"({"permissions":[{"action":"read","resource":"other"}]})");
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  CHECK(j["permissions"] == json::parse(R"([{"action":"read","resource":"other"}])"));
  CHECK(j["description"] == "patch me");
  CHECK(d.api.authorize(access, "db", true) == DataPlaneAnswer::kDenied);
  CHECK(d.api.authorize(access, "other", false) == DataPlaneAnswer::kAllowed);
  CHECK(d.contract.violations().empty());
}

TEST_CASE("Management double: create answers 200 with the access token once, delete 204") {
  Double d({}, /*checkRequests=*/true);
  auto r = d.call("POST", "/api/v0/tokens",
                  R"({"description":"d","permissions":[],"expiresAt":"2031-01-01T00:00:00Z"})");
  REQUIRE(r.status == 200);
  auto created = json::parse(r.body);
  std::string access = created["accessToken"];
  CHECK(access.rfind("apiv1_", 0) == 0);
  CHECK(access.size() >= 64);
  CHECK(created["expiresAt"] == "2031-01-01T00:00:00.000Z");
  auto got = d.call("GET", "/api/v0/tokens/" + created["id"].get<std::string>());
  CHECK_FALSE(json::parse(got.body).contains("accessToken"));
  auto list = d.call("GET", "/api/v0/tokens");
  CHECK_FALSE(json::parse(list.body)[0].contains("accessToken"));
  auto del = d.call("DELETE", "/api/v0/tokens/" + created["id"].get<std::string>());
  CHECK(del.status == 204);
  CHECK(del.body.empty());
  CHECK(d.contract.violations().empty());
}

TEST_CASE("Management double: each undocumented behaviour follows its switch") {
  Behaviour b;
  b.revokedInList = GENERATE(Behaviour::RevokedInList::kShown, Behaviour::RevokedInList::kHidden);
  b.revokedGet = GENERATE(Behaviour::RevokedGet::kOk, Behaviour::RevokedGet::kNotFound);
  b.secondDelete =
      GENERATE(Behaviour::SecondDelete::kNoContent, Behaviour::SecondDelete::kNotFound);
  b.revokedPatch = GENERATE(Behaviour::RevokedPatch::kConflict, Behaviour::RevokedPatch::kNotFound,
                            Behaviour::RevokedPatch::kOk);
  b.duplicateDescription = GENERATE(Behaviour::DuplicateDescription::kAllowed,
                                    Behaviour::DuplicateDescription::kConflict);
  CAPTURE(doubles::management::describe(b));
  Double d(b, /*checkRequests=*/true);
  auto [revoked, access] = d.create("same");
  auto dup = d.call("POST", "/api/v0/tokens", R"({"description":"same"})");
  CHECK(dup.status ==
        (b.duplicateDescription == Behaviour::DuplicateDescription::kConflict ? 409 : 200));
  std::string path = "/api/v0/tokens/" + revoked;
  REQUIRE(d.call("DELETE", path).status == 204);

  auto list = json::parse(d.call("GET", "/api/v0/tokens").body);
  bool listed = false;
  for (const auto& t : list) {
    if (t["id"] == revoked) {
      listed = true;
      CHECK(t.contains("revokedAt"));
    }
  }
  CHECK(listed == (b.revokedInList == Behaviour::RevokedInList::kShown));

  auto get = d.call("GET", path);
  CHECK(get.status == (b.revokedGet == Behaviour::RevokedGet::kOk ? 200 : 404));
  CHECK(d.call("DELETE", path).status ==
        (b.secondDelete == Behaviour::SecondDelete::kNoContent ? 204 : 404));
  int patchStatus = d.call("PATCH", path, R"({"description":"renamed"})").status;
  CHECK(patchStatus == (b.revokedPatch == Behaviour::RevokedPatch::kConflict   ? 409
                        : b.revokedPatch == Behaviour::RevokedPatch::kNotFound ? 404
                                                                               : 200));
  // Whatever the switches say, a revoked token never works again.
  CHECK(d.api.authorize(access, "db", true) == DataPlaneAnswer::kRevoked);
  // A revoked token's description is free again.
  CHECK(d.call("POST", "/api/v0/tokens", R"({"description":"renamed"})").status == 200);
  CHECK(d.contract.violations().empty());
}

TEST_CASE(
    "Management double: the data plane says 401 for unknown, revoked, expired or new tokens") {
  Behaviour b;
  b.activationDelay = std::chrono::seconds(30);
  Double d(b);
  auto [id, access] = d.create("writer", R"([{"action":"write","resource":"sensors"}])");
  auto write = [&](const std::string& token, const std::string& db) {
    return d.call("POST", "/api/v2/write?db=" + db, "m v=1", token).status;
  };
  auto query = [&](const std::string& token, const std::string& db) {
    return d.call("GET", "/api/v3/query_sql?db=" + db + "&q=select+1", "", token).status;
  };
  CHECK(write(access, "sensors") == 401);  // not active yet
  d.clock.advance(std::chrono::seconds(31));
  CHECK(write(access, "sensors") == 204);
  CHECK(write(access, "other") == 403);
  CHECK(query(access, "sensors") == 403);  // write only
  CHECK(write("apiv1_unknown_token_value", "sensors") == 401);
  CHECK(d.call("POST", "/api/v2/write?db=sensors", "m v=1", std::nullopt).status == 401);
  CHECK(d.call("POST", "/api/v2/write", "m v=1", access).status == 400);

  auto [reader, readAccess] = d.create("reader", R"([{"action":"read","resource":"*"}])");
  d.clock.advance(std::chrono::seconds(31));
  CHECK(query(readAccess, "anything") == 200);

  auto expiring = d.call(
      "POST", "/api/v0/tokens",
      R"({"description":"short","permissions":[{"action":"write","resource":"*"}],"expiresAt":"2030-01-01T00:05:00Z"})");
  std::string expiringAccess = json::parse(expiring.body)["accessToken"];
  d.clock.advance(std::chrono::minutes(10));
  CHECK(write(expiringAccess, "sensors") == 401);
  CHECK(d.api.authorize(expiringAccess, "sensors", true) == DataPlaneAnswer::kExpired);

  REQUIRE(d.call("DELETE", "/api/v0/tokens/" + id).status == 204);
  CHECK(write(access, "sensors") == 401);
  CHECK(d.api.authorize(access, "sensors", true) == DataPlaneAnswer::kRevoked);
}

TEST_CASE("Management double: management calls need the management token") {
  Double d;
  auto [id, access] = d.create("x");
  CHECK(d.call("GET", "/api/v0/tokens", "", std::nullopt).status == 401);
  CHECK(d.call("GET", "/api/v0/tokens", "", "wrong_management_token").status == 401);
  CHECK(d.call("GET", "/api/v0/tokens", "", access).status == 403);  // a database token
  CHECK(d.call("GET", "/_double/state", "", std::nullopt).status == 401);
  CHECK(d.contract.violations().empty());
}

TEST_CASE(
    "Management double: the Cloud Dedicated shape answers for its own account and cluster only") {
  Double d({}, true);
  std::string base = "/api/v0/accounts/" + d.api.accountId() + "/clusters/" + d.api.clusterId();
  auto r = d.call("POST", base + "/tokens", R"({"description":"dedicated"})");
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  CHECK(j["accountId"] == d.api.accountId());
  CHECK(j["clusterId"] == d.api.clusterId());
  auto list = json::parse(d.call("GET", base + "/tokens").body);
  CHECK(list[0]["clusterId"] == d.api.clusterId());
  std::string other = "/api/v0/accounts/11111111-1111-4111-8111-111111111111/clusters/" +
                      d.api.clusterId() + "/tokens";
  CHECK(d.call("GET", other).status == 404);
  // Both shapes see the same cluster.
  CHECK(json::parse(d.call("GET", "/api/v0/tokens").body).size() == 1);
  CHECK(d.contract.violations().empty());
}

TEST_CASE("Management double: the control surface flips switches, injects faults, logs and dumps") {
  Double d;
  auto put =
      d.call("PUT", "/_double/behaviour", R"({"revokedInList":"hidden","revokedPatch":"200"})");
  REQUIRE(put.status == 200);
  CHECK(d.api.behaviour().revokedInList == Behaviour::RevokedInList::kHidden);
  CHECK(d.api.behaviour().revokedPatch == Behaviour::RevokedPatch::kOk);
  CHECK(d.call("PUT", "/_double/behaviour", R"({"revokedInList":"maybe"})").status == 400);

  REQUIRE(
      d.call("POST", "/_double/faults",
             R"([{"method":"GET","path":"/api/v0/tokens","kind":"status","status":503,"times":2}])")
          .status == 204);
  CHECK(d.call("GET", "/api/v0/tokens").status == 503);
  CHECK(d.call("GET", "/api/v0/tokens").status == 503);
  CHECK(d.call("GET", "/api/v0/tokens").status == 200);
  CHECK(d.call("POST", "/_double/faults", R"({"kind":"explode"})").status == 400);
  CHECK(d.call("POST", "/_double/faults", R"({"path":"("})").status == 400);

  auto [id, access] = d.create("dumped");
  auto state = d.call("GET", "/_double/state");
  REQUIRE(state.status == 200);
  auto tokens = json::parse(state.body)["tokens"];
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0]["accessTokenSha256"] == doubles::management::sha256Hex(access));
  bool leaked = state.body.find(access) != std::string::npos;
  CHECK_FALSE(leaked);

  auto calls = json::parse(d.call("GET", "/_double/calls").body);
  REQUIRE(calls.size() == 4);
  CHECK(calls[0]["status"] == 503);
  CHECK(calls[0]["fault"] == "status");
  CHECK(calls[3]["method"] == "POST");
  bool callsLeak = calls.dump().find(access) != std::string::npos ||
                   calls.dump().find(kManagement) != std::string::npos;
  CHECK_FALSE(callsLeak);
  CHECK(d.call("DELETE", "/_double/calls").status == 204);
  CHECK(d.api.calls().empty());

  REQUIRE(
      d.call("PUT", "/_double/management-token", R"({"token":"mgmt_rotated_token_abc"})").status ==
      204);
  CHECK(d.call("GET", "/api/v0/tokens").status == 401);
  CHECK(d.call("GET", "/api/v0/tokens", "", "mgmt_rotated_token_abc").status == 200);
}

TEST_CASE("Management double: a fault after the work still does the work; one before does not") {
  Double d;
  doubles::management::Fault after;
  after.method = "POST";
  after.kind = doubles::management::FaultKind::kDropAfterWork;
  REQUIRE(d.api.addFault(after).isOk());
  auto dropped = d.call("POST", "/api/v0/tokens", R"({"description":"after"})");
  CHECK(dropped.headers.get(doubles::management::kConnectionFaultHeader) == "drop");
  CHECK(d.api.tokens().size() == 1);

  doubles::management::Fault before;
  before.method = "POST";
  before.kind = doubles::management::FaultKind::kDropBeforeWork;
  REQUIRE(d.api.addFault(before).isOk());
  d.call("POST", "/api/v0/tokens", R"({"description":"before"})");
  CHECK(d.api.tokens().size() == 1);

  doubles::management::Fault status;
  status.method = "POST";
  status.kind = doubles::management::FaultKind::kStatusAfterWork;
  status.status = 500;
  REQUIRE(d.api.addFault(status).isOk());
  CHECK(d.call("POST", "/api/v0/tokens", R"({"description":"500"})").status == 500);
  CHECK(d.api.tokens().size() == 2);
  CHECK(d.contract.violations().empty());
}

TEST_CASE(
    "Management double: an echo fault answers an error that repeats the whole request, "
    "management token included, and does no work") {
  Double d;
  doubles::management::Fault echo;
  echo.method = "POST";
  echo.kind = doubles::management::FaultKind::kEcho;
  echo.status = 500;
  REQUIRE(d.api.addFault(echo).isOk());
  auto r = d.call("POST", "/api/v0/tokens", R"({"description":"echoed"})");
  CHECK(r.status == 500);
  std::string message = json::parse(r.body).value("message", "");
  CHECK(message.find("Bearer " + kManagement) != std::string::npos);
  CHECK(message.find(R"("description":"echoed")") != std::string::npos);
  CHECK(d.api.tokens().empty());
  CHECK(doubles::management::faultFromJson({{"kind", "echo"}, {"status", 500}})->kind ==
        doubles::management::FaultKind::kEcho);
}
