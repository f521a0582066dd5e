#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

TEST_CASE("API double: bad requests get the apiserver's status and reason, and it keeps serving") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("b");
  const std::string url = Double::tokens("b");
  struct Row {
    const char* sentence;
    std::string method;
    std::string target;
    json body;
    std::string contentType;
    int status;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"malformed JSON", "POST", url, std::string("{\"kind\": "), "application/json", 400,
       "BadRequest"},
      {"an empty body", "POST", url, std::string(""), "application/json", 400, "BadRequest"},
      {"a body of another kind", "POST", url,
       json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "x"}}}},
       "application/json", 400, "BadRequest"},
      {"malformed YAML", "POST", url, std::string("kind: [unclosed"), "application/yaml", 400,
       "BadRequest"},
      {"a content type it does not read", "POST", url, std::string("{}"), "text/plain", 415,
       "UnsupportedMediaType"},
      {"a namespace that does not exist", "POST", Double::tokens("missing"),
       Double::token("missing", "x"), "application/json", 404, "NotFound"},
      {"an oversized body", "POST", url, std::string(3 * 1024 * 1024 + 10, ' '), "application/json",
       413, "RequestEntityTooLarge"},
      {"an invalid name", "POST", url, Double::token("b", "Not_Valid"), "application/json", 422,
       "Invalid"},
      {"an unknown core resource", "GET", "/api/v1/namespaces/b/widgets", nullptr, "", 404,
       "NotFound"},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    Reply r = d.send(row.method, row.target, row.body, row.contentType);
    CHECK(r.status == row.status);
    CHECK(r.body["reason"] == row.reason);
  }
  CHECK(d.get("/apis/nope.example.com/v1/things").raw.body == "404 page not found\n");
  CHECK(d.post(url, Double::token("b", "fine")).status == 201);  // still serving
}
