#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "influx/token.h"

using namespace dbtoken::influx;
using dbtoken::common::Code;
using nlohmann::json;

namespace {
const char* kId = "55555555-5555-4555-8555-555555555555";

json validToken() {
  return json{{"id", kId},
              {"description", "Limited Access Token"},
              {"permissions",
               {{{"action", "read"}, {"resource", "DatabaseOne"}},
                {{"action", "write"}, {"resource", "DatabaseTwo"}}}},
              {"createdAt", "2023-12-21T17:32:28.000Z"}};
}
}  // namespace

TEST_CASE("Token: the documented example parses into the token it describes") {
  auto t = parseToken(validToken());
  REQUIRE(t.ok());
  CHECK(t->id == kId);
  CHECK(t->description == "Limited Access Token");
  CHECK(t->permissions ==
        std::vector<Permission>{{"read", "DatabaseOne"}, {"write", "DatabaseTwo"}});
  CHECK(dbtoken::common::formatRfc3339Millis(t->createdAt) == "2023-12-21T17:32:28.000Z");
  CHECK_FALSE(t->isRevoked());
  CHECK_FALSE(t->expiresAt.has_value());
}

TEST_CASE("Token: a token with revokedAt is revoked") {
  auto j = validToken();
  j["revokedAt"] = "2024-01-01T00:00:00Z";
  auto t = parseToken(j);
  REQUIRE(t.ok());
  CHECK(t->isRevoked());
}

TEST_CASE("Token: an expiresAt in the past means expired, in the future not") {
  auto j = validToken();
  j["expiresAt"] = "2024-01-01T00:00:00Z";
  auto t = parseToken(j);
  REQUIRE(t.ok());
  CHECK(t->isExpiredAt(*dbtoken::common::parseRfc3339("2024-06-01T00:00:00Z")));
  CHECK_FALSE(t->isExpiredAt(*dbtoken::common::parseRfc3339("2023-06-01T00:00:00Z")));
}

TEST_CASE("Token: Cloud Dedicated answers keep their account and cluster ids") {
  auto j = validToken();
  j["accountId"] = "11111111-1111-4111-8111-111111111111";
  j["clusterId"] = "33333333-3333-4333-8333-333333333333";
  auto t = parseToken(j);
  REQUIRE(t.ok());
  CHECK(t->accountId == "11111111-1111-4111-8111-111111111111");
  CHECK(t->clusterId == "33333333-3333-4333-8333-333333333333");
}

TEST_CASE("Token: a token that breaks the schema is refused with the field named") {
  struct Row {
    const char* sentence;
    std::function<void(json&)> damage;
    const char* mentions;
  };
  const std::vector<Row> rows = {
      {"a missing id", [](json& j) { j.erase("id"); }, "id is missing"},
      {"an id that is not a UUID", [](json& j) { j["id"] = "42"; }, "not a UUID"},
      {"an id that is a number", [](json& j) { j["id"] = 42; }, "id must be a string"},
      {"a missing description", [](json& j) { j.erase("description"); }, "description"},
      {"missing permissions", [](json& j) { j.erase("permissions"); }, "permissions is missing"},
      {"permissions that are an object", [](json& j) { j["permissions"] = json::object(); },
       "must be an array"},
      {"a permission without action", [](json& j) { j["permissions"][1].erase("action"); },
       "permissions[1].action"},
      {"a permission whose resource is a number",
       [](json& j) { j["permissions"][0]["resource"] = 7; }, "permissions[0].resource"},
      {"a missing createdAt", [](json& j) { j.erase("createdAt"); }, "createdAt is missing"},
      {"a createdAt that is not a date", [](json& j) { j["createdAt"] = "yesterday"; },
       "createdAt is not an RFC 3339"},
      {"a revokedAt of the wrong type", [](json& j) { j["revokedAt"] = true; },
       "revokedAt must be a string"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      auto j = validToken();
      row.damage(j);
      auto t = parseToken(j);
      REQUIRE_FALSE(t.ok());
      CHECK(t.status().code() == Code::kInvalidArgument);
      CHECK_THAT(t.status().message(), Catch::Contains(row.mentions));
    }
  }
}

TEST_CASE("Token: a create answer must carry a non-empty accessToken, and errors never quote it") {
  auto j = validToken();
  j["accessToken"] = "apiv1_" + std::string(64, 'x');
  auto created = parseCreatedToken(j);
  REQUIRE(created.ok());
  CHECK(created->accessToken.reveal().size() == 70);

  j["accessToken"] = 12345;
  auto wrongType = parseCreatedToken(j);
  REQUIRE_FALSE(wrongType.ok());
  CHECK_THAT(wrongType.status().message(), Catch::Contains("accessToken must be a string"));

  j.erase("accessToken");
  CHECK_FALSE(parseCreatedToken(j).ok());

  auto secret = validToken();
  secret["accessToken"] = "apiv1_SECRETSECRETSECRET";
  secret["createdAt"] = 5;
  auto broken = parseCreatedToken(secret);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().message().find("SECRETSECRET") == std::string::npos);
}

TEST_CASE("Token: a list is an array of tokens; one bad item names its index") {
  json list = json::array({validToken(), validToken()});
  list[1].erase("createdAt");
  auto parsed = parseTokenList(list);
  REQUIRE_FALSE(parsed.ok());
  CHECK_THAT(parsed.status().message(), Catch::StartsWith("item 1"));
  CHECK_FALSE(parseTokenList(json::object()).ok());
  auto empty = parseTokenList(json::array());
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("Token: requests serialise with the field names of the API") {
  CreateRequest create{"telegraf", {{"write", "sensors"}}, std::nullopt};
  CHECK(
      toJson(create) ==
      json::parse(
          R"({"description":"telegraf","permissions":[{"action":"write","resource":"sensors"}]})"));
  create.expiresAt = dbtoken::common::parseRfc3339("2027-01-01T00:00:00Z");
  CHECK(toJson(create)["expiresAt"] == "2027-01-01T00:00:00Z");

  UpdateRequest onlyDescription{std::string("renamed"), std::nullopt};
  CHECK(toJson(onlyDescription) == json::parse(R"({"description":"renamed"})"));
  UpdateRequest removeAll{std::nullopt, std::vector<Permission>{}};
  CHECK(toJson(removeAll) == json::parse(R"({"permissions":[]})"));
}

TEST_CASE("Token: requests the API would refuse are refused before they are sent") {
  struct Row {
    const char* sentence;
    dbtoken::common::Status status;
    bool ok;
  };
  std::string longName(65, 'd');
  const std::vector<Row> rows = {
      {"a create with a description and no permissions is fine",
       validate(CreateRequest{"x", {}, std::nullopt}), true},
      {"a create without description is refused", validate(CreateRequest{"", {}, std::nullopt}),
       false},
      {"an action other than read or write is refused",
       validate(CreateRequest{"x", {{"admin", "db"}}, std::nullopt}), false},
      {"a resource of 65 characters is refused",
       validate(CreateRequest{"x", {{"read", longName}}, std::nullopt}), false},
      {"a resource of 64 characters is fine",
       validate(CreateRequest{"x", {{"read", std::string(64, 'd')}}, std::nullopt}), true},
      {"the all-databases resource is fine",
       validate(CreateRequest{"x", {{"write", "*"}}, std::nullopt}), true},
      {"an empty resource is refused", validate(CreateRequest{"x", {{"read", ""}}, std::nullopt}),
       false},
      {"an update with nothing to change is refused", validate(UpdateRequest{}), false},
      {"an update that removes every permission is fine",
       validate(UpdateRequest{std::nullopt, std::vector<Permission>{}}), true},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(row.status.isOk() == row.ok);
      if (!row.ok) {
        CHECK(row.status.code() == Code::kInvalidArgument);
      }
    }
  }
}
