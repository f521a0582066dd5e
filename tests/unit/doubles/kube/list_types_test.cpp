#include <catch2/catch.hpp>

#include <algorithm>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

// A Widget whose spec holds one list of each kind that has an invariant: a map list keyed by
// (a, b), a map list keyed by name, and a set.
json listWidgetCrd(const json& itemsSchema) {
  json schema = {{"type", "object"},
                 {"properties", {{"spec", {{"type", "object"}, {"properties", itemsSchema}}}}}};
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "widgets.example.com"}}},
          {"spec",
           {{"group", "example.com"},
            {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
            {"scope", "Namespaced"},
            {"versions",
             {{{"name", "v1"},
               {"served", true},
               {"storage", true},
               {"schema", {{"openAPIV3Schema", schema}}}}}}}}};
}

const json kListSchemas = json::parse(R"({
  "pairs": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["a", "b"],
            "items": {"type": "object", "required": ["a", "b"],
                      "properties": {"a": {"type": "integer"}, "b": {"type": "string"},
                                     "v": {"type": "string"}}}},
  "named": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "required": ["name"],
                      "properties": {"name": {"type": "string"}}}},
  "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
  "loose": {"type": "array", "items": {"type": "string"}}
})");

json listWidget(const std::string& name, const json& spec) {
  return {{"apiVersion", "example.com/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", spec}};
}

const std::string kListWidgets = "/apis/example.com/v1/namespaces/default/widgets";

std::vector<std::string> listCauses(const Reply& r) {
  std::vector<std::string> out;
  for (const auto& c : r.body["details"]["causes"]) {
    out.push_back(c.value("reason", "") + " " + c.value("field", "") + ": " +
                  c.value("message", ""));
  }
  return out;
}

}  // namespace

TEST_CASE("API double: a map list refuses a repeated key as Duplicate value, naming the element") {
  Double d;
  REQUIRE(
      d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", listWidgetCrd(kListSchemas))
          .status == 201);
  d.settle();

  SECTION("several key fields: the duplicate's key fields are the value, other fields ignored") {
    Reply r = d.post(kListWidgets, listWidget("w", {{"pairs", json::parse(R"([
        {"a": 1, "b": "x", "v": "first"}, {"a": 2, "b": "x"}, {"a": 1, "b": "x", "v": "second"}
      ])")}}));
    CHECK(r.status == 422);
    CHECK(r.body["reason"] == "Invalid");
    CHECK(r.body["message"] ==
          "Widget.example.com \"w\" is invalid: spec.pairs[2]: Duplicate value: "
          "map[string]interface {}{\"a\":1, \"b\":\"x\"}");
    CHECK(listCauses(r) ==
          std::vector<std::string>{"FieldValueDuplicate spec.pairs[2]: Duplicate value: "
                                   "map[string]interface {}{\"a\":1, \"b\":\"x\"}"});
  }
  SECTION("a key repeated three times is reported once, at its second appearance") {
    Reply r = d.post(kListWidgets, listWidget("w", {{"named", json::parse(R"([
        {"name": "n"}, {"name": "m"}, {"name": "n"}, {"name": "n"}, {"name": "m"}
      ])")}}));
    CHECK(r.status == 422);
    CHECK(listCauses(r) ==
          std::vector<std::string>{"FieldValueDuplicate spec.named[2]: Duplicate value: "
                                   "map[string]interface {}{\"name\":\"n\"}",
                                   "FieldValueDuplicate spec.named[4]: Duplicate value: "
                                   "map[string]interface {}{\"name\":\"m\"}"});
  }
  SECTION("a set refuses a repeated element; an atomic list does not care") {
    Reply r =
        d.post(kListWidgets, listWidget("w", {{"tags", {"x", "y", "x"}}, {"loose", {"x", "x"}}}));
    CHECK(r.status == 422);
    CHECK(listCauses(r) ==
          std::vector<std::string>{"FieldValueDuplicate spec.tags[2]: Duplicate value: \"x\""});
  }
  SECTION("an element of a map list that is not an object is refused as such") {
    Reply r = d.post(kListWidgets, listWidget("w", {{"named", {"n"}}}));
    CHECK(r.status == 422);
    CHECK(listCauses(r) ==
          std::vector<std::string>{
              "FieldValueTypeInvalid spec.named[0]: Invalid value: \"string\": spec.named[0] in "
              "body must be of type object: \"string\"",
              "FieldValueInvalid spec.named[0]: Invalid value: \"n\": must be an object for an "
              "array of list-type map"});
  }
  SECTION("distinct keys are accepted") {
    CHECK(d.post(kListWidgets, listWidget("w", {{"pairs", json::parse(R"([
        {"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": 1, "b": "y"}])")},
                                                {"tags", {"x", "y"}}}))
              .status == 201);
  }
}

TEST_CASE("API double: duplicates stored before the list became a map list do not block updates") {
  // apiextensions ratchets: on update, list invariants are checked only when the old object
  // met them.
  Double d;
  json atomic = kListSchemas["named"];
  atomic.erase("x-kubernetes-list-type");
  atomic.erase("x-kubernetes-list-map-keys");
  json crd = listWidgetCrd({{"named", atomic}});
  REQUIRE(d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201);
  d.settle();
  REQUIRE(d.post(kListWidgets, listWidget("old", {{"named", {{{"name", "n"}}, {{"name", "n"}}}}}))
              .status == 201);
  REQUIRE(d.post(kListWidgets, listWidget("clean", {{"named", {{{"name", "n"}}}}})).status == 201);

  Reply current = d.get(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
      "widgets.example.com");
  json updated = current.body;
  updated["spec"]["versions"][0]["schema"]["openAPIV3Schema"] =
      listWidgetCrd(kListSchemas)["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  REQUIRE(
      d.put("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", updated)
          .status == 200);
  d.settle();

  CHECK(d.merge(kListWidgets + "/old", {{"metadata", {{"labels", {{"touched", "yes"}}}}}}).status ==
        200);
  Reply r =
      d.merge(kListWidgets + "/clean", {{"spec", {{"named", {{{"name", "m"}}, {{"name", "m"}}}}}}});
  CHECK(r.status == 422);
  CHECK(listCauses(r) ==
        std::vector<std::string>{"FieldValueDuplicate spec.named[1]: Duplicate value: "
                                 "map[string]interface {}{\"name\":\"m\"}"});
}

TEST_CASE("API double: a CRD whose list-map key may be absent or null is refused") {
  // apiextensions' validateMapListKeysMaybeRequired; a CRD whose versions share one schema is
  // validated as its internal spec.validation, which the errors name.
  Double d;
  json lists = kListSchemas;
  lists["pairs"]["items"]["required"] = {"a"};
  lists["pairs"]["items"]["properties"]["a"]["nullable"] = true;
  lists["named"]["items"].erase("required");
  lists["named"]["items"]["properties"]["name"]["default"] = "n";
  lists["tags"]["items"]["nullable"] = true;
  Reply r = d.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", listWidgetCrd(lists));
  CHECK(r.status == 422);
  std::vector<std::string> got;
  for (const auto& c : r.body["details"]["causes"]) {
    got.push_back(c.value("field", "") + ": " + c.value("message", ""));
  }
  const std::string base = "spec.validation.openAPIV3Schema.properties[spec].properties";
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{
                   base + "[pairs].items.properties[a].nullable: Forbidden: this property is in "
                          "x-kubernetes-list-map-keys, so it cannot be nullable",
                   base + "[pairs].items.properties[b].default: Required value: this property "
                          "is in x-kubernetes-list-map-keys, so it must have a default or be a "
                          "required property",
                   base + "[tags].items.nullable: Forbidden: cannot be nullable when "
                          "x-kubernetes-list-type is set"});
  CHECK(
      d.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status ==
      404);
}
