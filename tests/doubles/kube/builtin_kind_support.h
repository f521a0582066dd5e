// What the files defining built-in kinds share: the verbs every kind serves, schema text
// compiled once, printer columns, and the factories of the kinds kept in their own files
// (RBAC in builtin_rbac_kinds.cpp; Service and Deployment in builtin_app_kinds.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/resource_type.h"
#include "kube/schema.h"

namespace dbtoken::kubedouble {

std::vector<ResourceTypePtr> rbacResourceTypes();
std::vector<ResourceTypePtr> appResourceTypes();

namespace builtin {

inline const std::vector<std::string>& allVerbs() {
  static const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                                  "list",   "patch",  "update",           "watch"};
  return kVerbs;
}

// Built-in schemas are fixed text in the source; a failure to compile is a programming error.
inline std::shared_ptr<const StructuralSchema> compiledSchema(const char* text) {
  auto compiled = StructuralSchema::compile(nlohmann::json::parse(text), "builtin");
  return compiled.ok() ? compiled.value() : nullptr;
}

inline PrinterColumn printerColumn(const char* name, const char* description,
                                   const char* type = "string") {
  PrinterColumn c;
  c.name = name;
  c.type = type;
  c.description = description;
  return c;
}

inline std::string stringAt(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace builtin
}  // namespace dbtoken::kubedouble
