#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble;
using namespace dbtoken::kubedouble::testing;

TEST_CASE("API double controls: the next N matching requests fail the way a test asks") {
  struct Row {
    const char* sentence;
    int status;
    int retryAfter;
    const char* reason;
  };
  const Row rows[] = {
      {"a conflict", 409, 0, "Conflict"},
      {"throttling with Retry-After", 429, 3, "TooManyRequests"},
      {"an internal error", 500, 0, "InternalError"},
      {"unavailability", 503, 2, "ServiceUnavailable"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      Double d;
      d.createNamespace("c");
      FaultRule rule;
      rule.method = "GET";
      rule.pathPattern = "/secrets";
      rule.remaining = 2;
      rule.status = row.status;
      rule.retryAfterSeconds = row.retryAfter;
      d.api().faults().add(rule);
      for (int i = 0; i < 2; ++i) {
        Reply r = d.get(Double::secrets("c"));
        CHECK(r.status == row.status);
        CHECK(r.body["reason"] == row.reason);
        bool retryAfter = false;
        for (const auto& [name, value] : r.raw.headers) {
          retryAfter =
              retryAfter || (name == "Retry-After" && value == std::to_string(row.retryAfter));
        }
        CHECK(retryAfter == (row.retryAfter > 0));
      }
      CHECK(d.get(Double::secrets("c")).status == 200);               // the third one passes
      CHECK(d.get("/api/v1/namespaces/c/configmaps").status == 200);  // other paths never failed
    }
  }
}

TEST_CASE(
    "API double controls: requests are counted by verb and resource, so a test can see "
    "that nothing is written in steady state") {
  Double d;
  d.createNamespace("c");
  d.api().counters().reset();
  d.get(Double::secrets("c"));
  d.get(Double::secrets("c") + "/x");
  d.post(Double::secrets("c"),
         {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "x"}}}});
  json counts = d.api().counters().snapshot();
  CHECK(counts["list"]["secrets"] == 1);
  CHECK(counts["get"]["secrets"] == 1);
  CHECK(counts["create"]["secrets"] == 1);
  CHECK(counts["writes"] == 1);
  d.api().counters().reset();
  d.get(Double::secrets("c"));
  CHECK(d.api().counters().writes() == 0);
}
