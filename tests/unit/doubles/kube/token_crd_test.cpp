// The project's own DatabaseToken CRD (crds/databasetoken.yaml) as the double serves it: what
// kubectl apply of a bad DatabaseToken answers, as a real kube-apiserver v1.32 would.
#include <catch2/catch.hpp>

#include <sstream>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

void installProjectCrd(Double& d) {
  std::ifstream in(std::string(DBTOKEN_CRDS_DIR) + "/databasetoken.yaml");
  std::stringstream yaml;
  yaml << in.rdbuf();
  REQUIRE(d.send("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", yaml.str(),
                 "application/yaml")
              .status == 201);
  d.settle();
  d.createNamespace("t");
}

json perm(const std::string& action, const std::string& database) {
  return {{"action", action}, {"database", database}};
}

json tokenWith(const std::string& name, const json& permissions, bool revoked = false) {
  json obj = Double::token("t", name);
  obj["spec"]["permissions"] = permissions;
  obj["spec"]["revoked"] = revoked;
  return obj;
}

std::vector<std::string> tokenCauses(const Reply& r) {
  std::vector<std::string> out;
  for (const auto& c : r.body["details"]["causes"]) {
    out.push_back(c.value("field", "") + ": " + c.value("message", ""));
  }
  return out;
}

const std::string kRevokedRule =
    "spec: Invalid value: \"object\": permissions cannot change "
    "once the token is revoked";

}  // namespace

TEST_CASE("DatabaseToken CRD: a permission listed twice is refused, naming the repeat") {
  Double d;
  installProjectCrd(d);
  Reply r = d.post(Double::tokens("t"),
                   tokenWith("dup", {perm("read", "sensors"), perm("write", "sensors"),
                                     perm("read", "sensors")}));
  CHECK(r.status == 422);
  CHECK(r.body["message"] ==
        "DatabaseToken.tokens.influxdb.dev \"dup\" is invalid: spec.permissions[2]: Duplicate "
        "value: map[string]interface {}{\"action\":\"read\", \"database\":\"sensors\"}");
  CHECK(r.body["details"]["causes"][0]["reason"] == "FieldValueDuplicate");

  SECTION("the same database for read and write, or one action on two databases, is fine") {
    CHECK(d.post(Double::tokens("t"),
                 tokenWith("ok",
                           {perm("read", "sensors"), perm("write", "sensors"), perm("read", "*")}))
              .status == 201);
  }
  SECTION("a patch that repeats a permission is refused the same way") {
    REQUIRE(d.post(Double::tokens("t"), tokenWith("p", json::array({perm("read", "a")}))).status ==
            201);
    Reply p = d.merge(Double::tokens("t") + "/p",
                      {{"spec", {{"permissions", {perm("read", "a"), perm("read", "a")}}}}});
    CHECK(p.status == 422);
    CHECK(tokenCauses(p) ==
          std::vector<std::string>{"spec.permissions[1]: Duplicate value: map[string]interface "
                                   "{}{\"action\":\"read\", \"database\":\"a\"}"});
  }
}

TEST_CASE("DatabaseToken CRD: once revoked, a token's permissions cannot change") {
  Double d;
  installProjectCrd(d);
  const std::string url = Double::tokens("t") + "/gone";
  REQUIRE(
      d.post(Double::tokens("t"), tokenWith("gone", {perm("read", "a"), perm("write", "b")}, true))
          .status == 201);

  SECTION("adding a permission is refused with the rule's message") {
    Reply r = d.merge(
        url,
        {{"spec", {{"permissions", {perm("read", "a"), perm("write", "b"), perm("read", "c")}}}}});
    CHECK(r.status == 422);
    CHECK(r.body["message"] ==
          "DatabaseToken.tokens.influxdb.dev \"gone\" is invalid: " + kRevokedRule);
    CHECK(r.body["details"]["causes"][0]["reason"] == "FieldValueInvalid");
  }
  SECTION("emptying the list is refused too") {
    CHECK(tokenCauses(d.merge(url, {{"spec", {{"permissions", json::array()}}}})) ==
          std::vector<std::string>{kRevokedRule});
  }
  SECTION("the same permissions in another order are the same list (list-type map)") {
    CHECK(d.merge(url, {{"spec", {{"permissions", {perm("write", "b"), perm("read", "a")}}}}})
              .status == 200);
  }
  SECTION("other edits still go through") {
    CHECK(d.merge(url, {{"spec", {{"description", "still revoked"}}}}).status == 200);
  }
  SECTION("un-revoking while changing permissions breaks both rules") {
    Reply r = d.merge(url, {{"spec", {{"revoked", false}, {"permissions", json::array()}}}});
    CHECK(r.status == 422);
    CHECK(
        tokenCauses(r) ==
        std::vector<std::string>{
            "spec: Invalid value: \"object\": a revoked token cannot be un-revoked", kRevokedRule});
  }
}

TEST_CASE("DatabaseToken CRD: a live token's permissions may change, also in the revoking edit") {
  Double d;
  installProjectCrd(d);
  const std::string url = Double::tokens("t") + "/live";
  REQUIRE(d.post(Double::tokens("t"), tokenWith("live", json::array({perm("read", "a")}))).status ==
          201);
  CHECK(d.merge(url, {{"spec", {{"permissions", json::array({perm("write", "a")})}}}}).status ==
        200);
  CHECK(d.merge(url, {{"spec", {{"revoked", true}, {"permissions", json::array()}}}}).status ==
        200);
  CHECK(
      tokenCauses(d.merge(url, {{"spec", {{"permissions", json::array({perm("read", "a")})}}}})) ==
      std::vector<std::string>{kRevokedRule});
}
