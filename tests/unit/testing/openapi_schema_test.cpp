#include <catch2/catch.hpp>

#include "testing/management_contract.h"

using namespace dbtoken::testing;
using nlohmann::json;

TEST_CASE("OpenAPI validator: every example of the token operations matches its own schema") {
  for (const OpenApiDocument* doc : {&clusteredDocument(), &dedicatedDocument()}) {
    int checked = 0;
    for (const auto& op : doc->operations("/tokens")) {
      CAPTURE(op.method, op.path);
      const json& operation = *op.op;
      if (operation.contains("requestBody")) {
        const json& media = operation["requestBody"]["content"]["application/json"];
        const json examples = media.value("examples", json::object());
        for (const auto& [name, example] : examples.items()) {
          CAPTURE(name);
          CHECK(doc->validate(media["schema"], example["value"]).empty());
          ++checked;
        }
      }
      for (const auto& [status, response] : operation["responses"].items()) {
        if (!response.contains("content")) {
          continue;
        }
        const json& media = response["content"]["application/json"];
        if (media.contains("example")) {
          CHECK(doc->validate(media["schema"], media["example"]).empty());
          ++checked;
        }
        const json examples = media.value("examples", json::object());
        for (const auto& [name, example] : examples.items()) {
          CAPTURE(status, name);
          CHECK(doc->validate(media["schema"], example["value"]).empty());
          ++checked;
        }
      }
    }
    CHECK(checked >= 15);
  }
}

TEST_CASE("OpenAPI validator: answers that break the token schema are caught") {
  const auto& doc = clusteredDocument();
  const std::string item = "/api/v0/tokens/55555555-5555-4555-8555-555555555555";
  json good = json::parse(R"({"id":"55555555-5555-4555-8555-555555555555","description":"d",
    "permissions":[{"action":"read","resource":"db"}],"createdAt":"2023-12-21T17:32:28.000Z"})");
  CHECK(doc.checkResponse("GET", item, 200, good.dump()).empty());
  struct Row {
    const char* sentence;
    std::function<void(json&)> damage;
  };
  const std::vector<Row> rows = {
      {"a missing required field", [](json& j) { j.erase("createdAt"); }},
      {"an id that is not a uuid", [](json& j) { j["id"] = "x"; }},
      {"a date that is not a date-time", [](json& j) { j["createdAt"] = "noon"; }},
      {"a resource longer than 64",
       [](json& j) { j["permissions"][0]["resource"] = std::string(65, 'x'); }},
      {"permissions of the wrong type", [](json& j) { j["permissions"] = "all"; }},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      json bad = good;
      row.damage(bad);
      CHECK_FALSE(doc.checkResponse("GET", item, 200, bad.dump()).empty());
    }
  }
  SECTION("an error body with another code than its status") {
    CHECK_FALSE(doc.checkResponse("GET", item, 404, R"({"code":400,"message":"x"})").empty());
    CHECK(doc.checkResponse("GET", item, 404, R"({"code":404,"message":"x"})").empty());
  }
  SECTION("a status the operation does not document") {
    CHECK_FALSE(doc.checkResponse("GET", item, 418, "{}").empty());
  }
  SECTION("a path parameter that is not a uuid (a fault of the request)") {
    CHECK_FALSE(doc.checkRequest("GET", "/api/v0/tokens/abc", "").empty());
  }
  SECTION("a create answer without accessToken, and a PATCH without properties") {
    CHECK_FALSE(doc.checkResponse("POST", "/api/v0/tokens", 200, good.dump()).empty());
    CHECK_FALSE(doc.checkRequest("PATCH", item, "{}").empty());
    CHECK(doc.checkRequest("PATCH", item, R"({"permissions":[]})").empty());
  }
  SECTION("a Dedicated answer without its account id") {
    const std::string dedicated =
        "/api/v0/accounts/11111111-1111-4111-8111-111111111111/clusters/"
        "33333333-3333-4333-8333-333333333333/tokens";
    json list = json::array({good});
    CHECK_FALSE(dedicatedDocument().checkResponse("GET", dedicated, 200, list.dump()).empty());
    list[0]["accountId"] = "11111111-1111-4111-8111-111111111111";
    list[0]["clusterId"] = "33333333-3333-4333-8333-333333333333";
    CHECK(dedicatedDocument().checkResponse("GET", dedicated, 200, list.dump()).empty());
  }
}
