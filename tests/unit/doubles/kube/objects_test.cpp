#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {
std::string rvOf(const Reply& r) {
  return r.body["metadata"]["resourceVersion"];
}
}  // namespace

TEST_CASE(
    "API double: objects get a uid, a creation time, a global monotonic version and "
    "a generation that moves only with spec") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("app");
  Reply a = d.post(Double::tokens("app"), Double::token("app", "a"));
  REQUIRE(a.status == 201);
  CHECK(a.body["metadata"]["uid"].get<std::string>().size() == 36);
  CHECK(a.body["metadata"]["creationTimestamp"].is_string());
  CHECK(a.body["metadata"]["generation"] == 1);
  Reply s = d.post(Double::secrets("app"),
                   {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}});
  REQUIRE(s.status == 201);
  CHECK(std::stoull(rvOf(s)) > std::stoull(rvOf(a)));  // one counter for every kind
  CHECK_FALSE(s.body["metadata"].contains("generation"));

  struct Row {
    const char* sentence;
    json patch;
    bool statusWrite;
    int generation;
  };
  const Row rows[] = {
      {"a label change keeps the generation", {{"metadata", {{"labels", {{"x", "y"}}}}}}, false, 1},
      {"a spec change bumps it", {{"spec", {{"description", "new"}}}}, false, 2},
      {"a status write keeps it", {{"status", {{"phase", "Active"}}}}, true, 2},
      {"another spec change bumps it again", {{"spec", {{"description", "newer"}}}}, false, 3},
  };
  std::string before = rvOf(a);
  for (const auto& row : rows) {
    INFO(row.sentence);
    Reply r = d.merge(Double::tokens("app") + "/a" + (row.statusWrite ? "/status" : ""), row.patch);
    REQUIRE(r.status == 200);
    CHECK(r.body["metadata"]["generation"] == row.generation);
    CHECK(std::stoull(rvOf(r)) > std::stoull(before));
    before = rvOf(r);
  }
}

TEST_CASE("API double: an update carrying a stale resourceVersion is a 409 Conflict") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("app");
  Reply a = d.post(Double::tokens("app"), Double::token("app", "a"));
  json stale = a.body;
  REQUIRE(d.merge(Double::tokens("app") + "/a", {{"spec", {{"description", "moved on"}}}}).status ==
          200);
  stale["spec"]["description"] = "late";
  Reply r = d.put(Double::tokens("app") + "/a", stale);
  CHECK(r.status == 409);
  CHECK(r.body["reason"] == "Conflict");
  SECTION("and the status subresource checks it the same way") {
    CHECK(d.put(Double::tokens("app") + "/a/status", stale).status == 409);
  }
}

TEST_CASE("API double: writes through the main resource ignore status and vice versa") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("app");
  json obj = Double::token("app", "a");
  obj["status"] = {{"phase", "Forged"}};
  Reply created = d.post(Double::tokens("app"), obj);
  CHECK_FALSE(created.body.contains("status"));
  Reply st = d.merge(Double::tokens("app") + "/a/status",
                     {{"status", {{"phase", "Active"}}}, {"spec", {{"description", "sneaky"}}}});
  CHECK(st.body["status"]["phase"] == "Active");
  CHECK_FALSE(st.body["spec"].contains("description"));
  Reply main = d.merge(Double::tokens("app") + "/a", {{"status", {{"phase", "Forged"}}}});
  CHECK(main.body["status"]["phase"] == "Active");
}

TEST_CASE("API double: a no-op write changes neither resourceVersion nor generation") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("app");
  Reply a = d.post(Double::tokens("app"), Double::token("app", "a"));
  Reply again = d.merge(Double::tokens("app") + "/a", {{"spec", {{"revoked", false}}}});
  CHECK(rvOf(again) == rvOf(a));
  CHECK(d.api().counters().writes() >= 1);
}

TEST_CASE(
    "API double: a Secret with a megabyte of data is accepted (Helm keeps a release in "
    "one), and data that is not base64 is refused") {
  Double d;
  d.createNamespace("big");
  std::string large((1 << 20) / 4 * 4, 'A');  // valid base64, 1 MiB of text
  Reply ok = d.post(Double::secrets("big"), {{"apiVersion", "v1"},
                                             {"kind", "Secret"},
                                             {"metadata", {{"name", "release"}}},
                                             {"data", {{"release", large}}}});
  CHECK(ok.status == 201);
  Reply bad = d.post(Double::secrets("big"), {{"apiVersion", "v1"},
                                              {"kind", "Secret"},
                                              {"metadata", {{"name", "bad"}}},
                                              {"data", {{"x", "not base64!"}}}});
  CHECK(bad.status == 400);
}
