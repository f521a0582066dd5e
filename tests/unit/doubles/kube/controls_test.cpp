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

TEST_CASE(
    "API double controls: an injected 429 carries the flow-control headers as the real "
    "server's own rejections do; a server built without them sends none") {
  auto has = [](const Reply& r, const std::string& header) {
    for (const auto& [name, value] : r.raw.headers) {
      if (name == header && !value.empty()) {
        return true;
      }
    }
    return false;
  };
  Double d;
  d.createNamespace("c");
  FaultRule rule;
  rule.method = "GET";
  rule.pathPattern = "/secrets";
  rule.status = 429;
  d.api().faults().add(rule);
  Reply throttled = d.get(Double::secrets("c"));
  CHECK(throttled.status == 429);
  CHECK(has(throttled, "X-Kubernetes-PF-FlowSchema-UID"));
  CHECK(has(throttled, "X-Kubernetes-PF-PriorityLevel-UID"));

  ApiServerOptions o = Double::quiet();
  o.priorityAndFairness = false;
  Double plain(o);
  plain.createNamespace("c");
  Reply r = plain.get(Double::secrets("c"));
  CHECK(r.status == 200);
  CHECK_FALSE(has(r, "X-Kubernetes-PF-FlowSchema-UID"));
  CHECK_FALSE(has(r, "X-Kubernetes-PF-PriorityLevel-UID"));
}
