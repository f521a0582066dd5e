#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

json widgetCrd(json schema, const std::string& scope = "Namespaced") {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "widgets.example.com"}}},
          {"spec",
           {{"group", "example.com"},
            {"names",
             {{"plural", "widgets"},
              {"singular", "widget"},
              {"kind", "Widget"},
              {"shortNames", {"wd"}},
              {"categories", {"all-widgets"}}}},
            {"scope", scope},
            {"versions",
             {{{"name", "v1"},
               {"served", true},
               {"storage", true},
               {"subresources", {{"status", json::object()}}},
               {"schema", {{"openAPIV3Schema", schema}}}}}}}}};
}

json widget(const std::string& name, json spec) {
  return {{"apiVersion", "example.com/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", spec}};
}

const std::string kWidgets = "/apis/example.com/v1/namespaces/default/widgets";

}  // namespace

TEST_CASE("API double: a CRD with a rule outside the supported CEL subset is refused loudly") {
  Double d;
  json schema = {
      {"type", "object"},
      {"properties",
       {{"spec",
         {{"type", "object"},
          {"x-kubernetes-validations", {{{"rule", "self.name.matches('^a')"}, {"message", "m"}}}},
          {"properties", {{"name", {{"type", "string"}}}}}}}}}};
  Reply r = d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd(schema));
  CHECK(r.status == 422);
  std::string field = r.body["details"]["causes"][0]["field"];
  CHECK(field ==
        "spec.versions[0].schema.openAPIV3Schema.properties[spec]."
        "x-kubernetes-validations[0].rule");
  CHECK(r.body["message"].get<std::string>().find("compilation failed") != std::string::npos);
  CHECK(
      d.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status ==
      404);
}

TEST_CASE("API double: a CRD is served with its names, defaults, pruning and rules") {
  Double d;
  json schema = {
      {"type", "object"},
      {"properties",
       {{"spec",
         {{"type", "object"},
          {"required", {"size"}},
          {"x-kubernetes-validations",
           {{{"rule", "!has(oldSelf.locked) || !oldSelf.locked || self.locked"},
             {"message", "locked stays locked"}}}},
          {"properties",
           {{"size", {{"type", "integer"}, {"minimum", 1}}},
            {"color", {{"type", "string"}, {"default", "blue"}, {"enum", {"blue", "red"}}}},
            {"locked", {{"type", "boolean"}}},
            {"extra", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}},
        {"status", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}};
  REQUIRE(
      d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd(schema)).status ==
      201);
  SECTION("before it is Established its resource answers 429, then it serves") {
    auto options = Double::quiet();
    (void)options;
    d.settle();
    Reply crd =
        d.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    CHECK(crd.body["status"]["conditions"][1]["type"] == "Established");
    CHECK(d.get(kWidgets).status == 200);
  }
  d.settle();
  struct Row {
    const char* sentence;
    json spec;
    int status;
  };
  const Row rows[] = {
      {"a valid object is created", {{"size", 2}}, 201},
      {"a missing required field is 422", {{"color", "red"}}, 422},
      {"an enum violation is 422", {{"size", 2}, {"color", "green"}}, 422},
      {"a minimum violation is 422", {{"size", 0}}, 422},
      {"a wrong type is 422", {{"size", "two"}}, 422},
  };
  int n = 0;
  for (const auto& row : rows) {
    INFO(row.sentence);
    CHECK(d.post(kWidgets, widget("w" + std::to_string(n++), row.spec)).status == row.status);
  }
  Reply w = d.post(
      kWidgets,
      widget("full", {{"size", 1}, {"unknown", 1}, {"extra", {{"anything", {{"goes", true}}}}}}));
  REQUIRE(w.status == 201);
  CHECK(w.body["spec"]["color"] == "blue");
  CHECK_FALSE(w.body["spec"].contains("unknown"));
  CHECK(w.body["spec"]["extra"]["anything"]["goes"] == true);
  bool warned = false;
  for (const auto& [name, value] : w.raw.headers) {
    warned = warned || (name == "Warning" && value.find("spec.unknown") != std::string::npos);
  }
  CHECK(warned);

  SECTION("a transition rule sees oldSelf") {
    REQUIRE(d.merge(kWidgets + "/full", {{"spec", {{"locked", true}}}}).status == 200);
    Reply r = d.merge(kWidgets + "/full", {{"spec", {{"locked", false}}}});
    CHECK(r.status == 422);
    CHECK(r.body["details"]["causes"][0]["message"] ==
          "Invalid value: \"object\": locked stays locked");
  }
  SECTION("discovery shows its short names and categories") {
    Reply disco = d.get("/apis/example.com/v1");
    CHECK(disco.body["resources"][0]["shortNames"] == json::array({"wd"}));
    CHECK(disco.body["resources"][0]["categories"] == json::array({"all-widgets"}));
  }
  SECTION("deleting the CRD removes the resource and its objects") {
    d.del("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    d.settle();
    CHECK(d.get(kWidgets).status == 404);
  }
}

TEST_CASE("API double: a cluster-scoped CRD is served without namespaces") {
  Double d;
  json crd =
      widgetCrd({{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}, "Cluster");
  REQUIRE(d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201);
  d.settle();
  json obj = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "g"}}}};
  CHECK(d.post("/apis/example.com/v1/widgets", obj).status == 201);
  CHECK(d.get("/apis/example.com/v1/widgets/g").status == 200);
  CHECK(d.get(kWidgets).status == 404);
}

TEST_CASE(
    "API double: a CRD established late never sends a resource that already serves back "
    "to 429") {
  auto clock = std::make_shared<dbtoken::common::FakeClock>();
  dbtoken::kubedouble::ApiServerOptions o = Double::quiet();
  o.crdEstablishDelay = std::chrono::milliseconds(20);
  o.crdStorageInitDelay = std::chrono::milliseconds(20);
  Double d(o, clock);
  json schema = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  REQUIRE(
      d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd(schema)).status ==
      201);
  CHECK(d.get(kWidgets).status == 429);  // storage initialising, as a real server says
  clock->advance(std::chrono::milliseconds(50));
  CHECK(d.get(kWidgets).status == 200);  // serving, although not Established yet
  clock->advance(std::chrono::milliseconds(50));
  d.api().runControllersOnce();  // the establishing controller comes late (a busy machine)
  CHECK(d.get(kWidgets).status == 200);
}
