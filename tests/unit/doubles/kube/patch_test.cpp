#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

TEST_CASE("API double: every patch type does what the apiserver does") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("p");
  json tok = d.post(Double::tokens("p"), Double::token("p", "t")).body;
  const std::string url = Double::tokens("p") + "/t";

  SECTION("a JSON patch whose test fails is 422 and changes nothing") {
    Reply r = d.send("PATCH", url,
                     json::array({{{"op", "test"}, {"path", "/spec/description"}, {"value", "x"}},
                                  {{"op", "add"}, {"path", "/spec/description"}, {"value", "y"}}}),
                     "application/json-patch+json");
    CHECK(r.status == 422);
    CHECK_FALSE(d.get(url).body["spec"].contains("description"));
  }
  SECTION("a guarded JSON patch applies when the test holds") {
    std::string rv = tok["metadata"]["resourceVersion"];
    Reply r =
        d.send("PATCH", url,
               json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", rv}},
                            {{"op", "add"}, {"path", "/spec/description"}, {"value", "y"}}}),
               "application/json-patch+json");
    CHECK(r.status == 200);
    CHECK(r.body["spec"]["description"] == "y");
  }
  SECTION("a strategic merge patch is refused for custom resources") {
    CHECK(d.send("PATCH", url, {{"spec", {{"description", "z"}}}},
                 "application/strategic-merge-patch+json")
              .status == 415);
  }
  SECTION("server-side apply conflicts with another manager unless forced") {
    // Manager a applies the permissions the object already has (no conflict with their
    // creator) and a description; manager b then wants another description.
    std::string apply =
        "apiVersion: tokens.influxdb.dev/v1alpha1\nkind: DatabaseToken\nmetadata:\n  name: t\n"
        "spec:\n  description: from-a\n  permissions:\n  - action: write\n    database: sensors\n";
    CHECK(d.send("PATCH", url + "?fieldManager=a", apply, "application/apply-patch+yaml").status ==
          200);
    std::string other = apply;
    other.replace(other.find("from-a"), 6, "from-b");
    Reply conflict =
        d.send("PATCH", url + "?fieldManager=b", other, "application/apply-patch+yaml");
    CHECK(conflict.status == 409);
    CHECK(conflict.body["details"]["causes"][0]["field"] == ".spec.description");
    Reply forced =
        d.send("PATCH", url + "?fieldManager=b&force=true", other, "application/apply-patch+yaml");
    CHECK(forced.status == 200);
    CHECK(forced.body["spec"]["description"] == "from-b");
    bool hasManagers = forced.body["metadata"]["managedFields"].size() >= 2;
    CHECK(hasManagers);
  }
}

TEST_CASE("API double: strategic merge patches on built-in kinds merge maps and keyed lists") {
  Double d;
  d.createNamespace("p");
  json owner1 = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "o1"}, {"uid", "u-1"}};
  json owner2 = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "o2"}, {"uid", "u-2"}};
  d.post(Double::secrets("p"), {{"apiVersion", "v1"},
                                {"kind", "Secret"},
                                {"metadata",
                                 {{"name", "s"},
                                  {"labels", {{"a", "1"}}},
                                  {"finalizers", {"x.io/one"}},
                                  {"ownerReferences", {owner1}}}},
                                {"data", {{"k", "dg=="}}}});
  struct Row {
    const char* sentence;
    json patch;
    std::function<void(const json&)> expect;
  };
  const std::string url = Double::secrets("p") + "/s";
  const Row rows[] = {
      {"labels merge key by key",
       {{"metadata", {{"labels", {{"b", "2"}}}}}},
       [](const json& s) { CHECK(s["metadata"]["labels"].size() == 2); }},
      {"finalizers merge as a set",
       {{"metadata", {{"finalizers", {"x.io/two", "x.io/one"}}}}},
       [](const json& s) { CHECK(s["metadata"]["finalizers"].size() == 2); }},
      {"owner references merge by uid",
       {{"metadata", {{"ownerReferences", {owner2}}}}},
       [](const json& s) { CHECK(s["metadata"]["ownerReferences"].size() == 2); }},
      {"$patch: delete removes one keyed item",
       {{"metadata", {{"ownerReferences", {{{"uid", "u-1"}, {"$patch", "delete"}}}}}}},
       [](const json& s) {
         CHECK(s["metadata"]["ownerReferences"].size() == 1);
         CHECK(s["metadata"]["ownerReferences"][0]["uid"] == "u-2");
       }},
      {"stringData is folded into data",
       {{"stringData", {{"token", "abc"}}}},
       [](const json& s) {
         CHECK(s["data"]["token"] == "YWJj");
         CHECK_FALSE(s.contains("stringData"));
       }},
      {"null removes a key",
       {{"data", {{"k", nullptr}}}},
       [](const json& s) { CHECK_FALSE(s["data"].contains("k")); }},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    Reply r = d.send("PATCH", url, row.patch, "application/strategic-merge-patch+json");
    REQUIRE(r.status == 200);
    row.expect(r.body);
  }
}
