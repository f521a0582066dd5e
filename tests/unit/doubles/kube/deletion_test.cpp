#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

json secretOwnedBy(const std::string& name, const std::vector<json>& owners) {
  json refs = json::array();
  for (const auto& o : owners) {
    refs.push_back({{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                    {"kind", "DatabaseToken"},
                    {"name", o["metadata"]["name"]},
                    {"uid", o["metadata"]["uid"]},
                    {"controller", refs.empty()},
                    {"blockOwnerDeletion", true}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"ownerReferences", refs}}},
          {"stringData", {{"token", "x"}}}};
}

}  // namespace

TEST_CASE("API double: a finalizer keeps a deleted object until the last one is removed") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("app");
  json obj = Double::token("app", "a");
  obj["metadata"]["finalizers"] = {"tokens.influxdb.dev/revoke"};
  REQUIRE(d.post(Double::tokens("app"), obj).status == 201);
  Reply del = d.del(Double::tokens("app") + "/a");
  REQUIRE(del.status == 200);
  CHECK(del.body["metadata"].contains("deletionTimestamp"));
  CHECK(d.get(Double::tokens("app") + "/a").status == 200);

  SECTION("no new finalizer can be added while it terminates") {
    Reply r =
        d.merge(Double::tokens("app") + "/a",
                {{"metadata", {{"finalizers", {"tokens.influxdb.dev/revoke", "x.io/more"}}}}});
    CHECK(r.status == 422);
    CHECK(r.body["details"]["causes"][0]["field"] == "metadata.finalizers");
  }
  SECTION("removing the last finalizer deletes it in the same request") {
    Reply r = d.merge(Double::tokens("app") + "/a", {{"metadata", {{"finalizers", nullptr}}}});
    CHECK(r.status == 200);
    CHECK(d.get(Double::tokens("app") + "/a").status == 404);
  }
}

TEST_CASE("API double: the garbage collector treats dependents by propagation policy") {
  struct Row {
    const char* sentence;
    const char* policy;  // "" = default (Background)
    bool secondOwner;
    bool dependentSurvives;
    bool refsRemain;
  };
  const Row rows[] = {
      {"deleting the owner deletes its dependent (background, the default)", "", false, false,
       false},
      {"foreground: the owner waits for its dependent, then both are gone", "Foreground", false,
       false, false},
      {"orphan: the dependent survives without the owner reference", "Orphan", false, true, false},
      {"a dependent with another living owner survives and loses only one reference", "", true,
       true, true},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      Double d;
      d.installTokenCrd();
      d.createNamespace("app");
      json owner = d.post(Double::tokens("app"), Double::token("app", "owner")).body;
      json other = d.post(Double::tokens("app"), Double::token("app", "other")).body;
      std::vector<json> owners{owner};
      if (row.secondOwner) {
        owners.push_back(other);
      }
      REQUIRE(d.post(Double::secrets("app"), secretOwnedBy("dep", owners)).status == 201);
      json options = nullptr;
      if (*row.policy != '\0') {
        options = {
            {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", row.policy}};
      }
      REQUIRE(d.del(Double::tokens("app") + "/owner", options).status == 200);
      if (std::string(row.policy) == "Foreground") {
        Reply mid = d.get(Double::tokens("app") + "/owner");
        CHECK(mid.status == 200);
        CHECK(mid.body["metadata"]["finalizers"] == json::array({"foregroundDeletion"}));
      }
      d.settle();
      CHECK(d.get(Double::tokens("app") + "/owner").status == 404);
      Reply dep = d.get(Double::secrets("app") + "/dep");
      CHECK((dep.status == 200) == row.dependentSurvives);
      if (row.dependentSurvives) {
        CHECK(dep.body["metadata"].contains("ownerReferences") == row.refsRemain);
        if (row.refsRemain) {
          CHECK(dep.body["metadata"]["ownerReferences"].size() == 1);
          CHECK(dep.body["metadata"]["ownerReferences"][0]["name"] == "other");
        }
      }
    }
  }
}

TEST_CASE("API double: a dependent whose owner never existed is collected") {
  Double d;
  d.createNamespace("app");
  json ghost = {{"metadata", {{"name", "ghost"}, {"uid", "0b0d0c0a-0000-4000-8000-000000000000"}}}};
  REQUIRE(d.post(Double::secrets("app"), secretOwnedBy("dangling", {ghost})).status == 201);
  d.settle();
  CHECK(d.get(Double::secrets("app") + "/dangling").status == 404);
}

TEST_CASE("API double: deleting a namespace deletes its content, waits for finalizers, then goes") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("doomed");
  json held = Double::token("doomed", "held");
  held["metadata"]["finalizers"] = {"tokens.influxdb.dev/revoke"};
  d.post(Double::tokens("doomed"), held);
  d.post(Double::secrets("doomed"),
         {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}});
  Reply ns = d.del("/api/v1/namespaces/doomed");
  CHECK(ns.body["status"]["phase"] == "Terminating");
  d.settle();
  CHECK(d.get(Double::secrets("doomed") + "/s").status == 404);
  Reply tok = d.get(Double::tokens("doomed") + "/held");
  CHECK(tok.body["metadata"].contains("deletionTimestamp"));
  Reply creating =
      d.post(Double::secrets("doomed"),
             {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "new"}}}});
  CHECK(creating.status == 403);
  CHECK(creating.body["details"]["causes"][0]["reason"] == "NamespaceTerminating");
  d.merge(Double::tokens("doomed") + "/held", {{"metadata", {{"finalizers", nullptr}}}});
  d.settle();
  CHECK(d.get("/api/v1/namespaces/doomed").status == 404);
}
