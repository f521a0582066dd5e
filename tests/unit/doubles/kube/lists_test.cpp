#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

std::vector<std::string> names(const Reply& r) {
  std::vector<std::string> out;
  for (const auto& item : r.body["items"]) {
    out.push_back(item["metadata"]["name"]);
  }
  return out;
}

Double& populated() {
  static thread_local std::unique_ptr<Double> d;
  d = std::make_unique<Double>();
  d->installTokenCrd();
  d->createNamespace("l");
  d->post(Double::tokens("l"), Double::token("l", "t1", {{"tier", "gold"}, {"env", "prod"}}));
  d->post(Double::tokens("l"), Double::token("l", "t2", {{"tier", "silver"}, {"env", "prod"}}));
  d->post(Double::tokens("l"), Double::token("l", "t3", {{"tier", "bronze"}, {"env", "dev"}}));
  d->post(Double::tokens("l"), Double::token("l", "t4", {{"tier", "gold"}}));
  d->post(Double::tokens("l"), Double::token("l", "t5"));
  return *d;
}

}  // namespace

TEST_CASE("API double: label and field selectors select like the apiserver") {
  Double& d = populated();
  struct Row {
    const char* query;
    std::vector<std::string> expected;
  };
  const Row rows[] = {
      {"labelSelector=env%3Dprod", {"t1", "t2"}},
      {"labelSelector=env%3D%3Dprod", {"t1", "t2"}},
      {"labelSelector=env%21%3Dprod", {"t3", "t4", "t5"}},
      {"labelSelector=env%20in%20(prod%2Cdev)", {"t1", "t2", "t3"}},
      {"labelSelector=env%20notin%20(prod)", {"t3", "t4", "t5"}},
      {"labelSelector=env", {"t1", "t2", "t3"}},
      {"labelSelector=%21env", {"t4", "t5"}},
      {"labelSelector=tier%3Dgold%2Cenv%3Dprod", {"t1"}},
      {"fieldSelector=metadata.name%3Dt3", {"t3"}},
      {"fieldSelector=metadata.name%21%3Dt3", {"t1", "t2", "t4", "t5"}},
      {"fieldSelector=metadata.namespace%3Dl", {"t1", "t2", "t3", "t4", "t5"}},
  };
  for (const auto& row : rows) {
    INFO(row.query);
    Reply r = d.get(Double::tokens("l") + "?" + row.query);
    REQUIRE(r.status == 200);
    CHECK(names(r) == row.expected);
  }
  SECTION("a malformed selector or an unsupported field is a 400") {
    CHECK(d.get(Double::tokens("l") + "?labelSelector=env%20in%20(prod").status == 400);
    CHECK(d.get(Double::tokens("l") + "?fieldSelector=spec.revoked%3Dfalse").status == 400);
  }
}

TEST_CASE("API double: pages are a consistent snapshot even when writes happen in between") {
  Double& d = populated();
  Reply page1 = d.get(Double::tokens("l") + "?limit=2");
  REQUIRE(names(page1) == std::vector<std::string>{"t1", "t2"});
  CHECK(page1.body["metadata"]["remainingItemCount"] == 3);
  std::string cont = page1.body["metadata"]["continue"];
  // A write after page 1: deleting t3 and changing t4 must not show in the following pages.
  d.del(Double::tokens("l") + "/t3");
  d.merge(Double::tokens("l") + "/t4", {{"metadata", {{"labels", {{"late", "yes"}}}}}});
  Reply page2 = d.get(Double::tokens("l") + "?limit=2&continue=" + cont);
  CHECK(names(page2) == std::vector<std::string>{"t3", "t4"});
  CHECK_FALSE(page2.body["items"][1]["metadata"]["labels"].contains("late"));
  CHECK(page2.body["metadata"]["resourceVersion"] == page1.body["metadata"]["resourceVersion"]);

  SECTION("resourceVersion=0 ignores the limit") {
    CHECK(names(d.get(Double::tokens("l") + "?resourceVersion=0&limit=2")).size() == 4);
  }
  SECTION("after the history expires, the old continue token is 410 with a new token") {
    d.api().expireHistory();
    Reply gone = d.get(Double::tokens("l") + "?limit=2&continue=" + cont);
    CHECK(gone.status == 410);
    CHECK(gone.body["reason"] == "Expired");
    CHECK(gone.body["metadata"]["continue"].get<std::string>().size() > 0);
  }
}

TEST_CASE("API double: a list in a namespace that does not exist is empty, a create there 404") {
  Double d;
  d.installTokenCrd();
  CHECK(d.get(Double::tokens("nowhere")).body["items"].empty());
  Reply r = d.post(Double::tokens("nowhere"), Double::token("nowhere", "x"));
  CHECK(r.status == 404);
  CHECK(r.body["details"]["kind"] == "namespaces");
}
