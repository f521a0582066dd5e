// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding and ClusterRoleBinding, with
// the validation of kube-apiserver's rbac/validation package (rules need verbs, and api groups
// and resources unless they name non-resource URLs; a binding's roleRef is required, of a
// supported kind and immutable; subjects need a kind and a name). The double does not enforce
// RBAC: these objects are stored and served, as an installer applies and reads them back.
#include "kube/builtin_kind_support.h"
#include "kube/errors.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

const char* kRbacGroup = "rbac.authorization.k8s.io";

const char* kRoleSchema = R"({
  "type": "object",
  "description": "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.",
  "properties": {
    "rules": {"type": "array", "description": "Rules holds all the PolicyRules for this Role",
      "items": {"type": "object", "properties": {
        "verbs": {"type": "array", "items": {"type": "string"}},
        "apiGroups": {"type": "array", "items": {"type": "string"}},
        "resources": {"type": "array", "items": {"type": "string"}},
        "resourceNames": {"type": "array", "items": {"type": "string"}},
        "nonResourceURLs": {"type": "array", "items": {"type": "string"}}}}},
    "aggregationRule": {"type": "object", "properties": {
      "clusterRoleSelectors": {"type": "array", "items": {"type": "object",
        "x-kubernetes-preserve-unknown-fields": true}}}}
  }
})";

const char* kBindingSchema = R"({
  "type": "object",
  "description": "RoleBinding references a role, but does not contain it.",
  "properties": {
    "subjects": {"type": "array", "items": {"type": "object", "properties": {
      "kind": {"type": "string"}, "apiGroup": {"type": "string"},
      "name": {"type": "string"}, "namespace": {"type": "string"}}}},
    "roleRef": {"type": "object", "properties": {
      "apiGroup": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}}}
  }
})";

size_t sizeOf(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? it->size() : 0;
}

FieldErrors validateRules(const json& obj, bool namespaced) {
  FieldErrors errs;
  const json rules = obj.value("rules", json::array());
  for (size_t i = 0; i < rules.size(); ++i) {
    const json& rule = rules[i];
    const std::string path = "rules[" + std::to_string(i) + "]";
    if (sizeOf(rule, "verbs") == 0) {
      errs.push_back({FieldErrorType::kRequired, path + ".verbs", std::nullopt,
                      "verbs must contain at least one value"});
    }
    if (sizeOf(rule, "nonResourceURLs") > 0) {
      std::string urls = "[]string{";
      for (size_t u = 0; u < rule["nonResourceURLs"].size(); ++u) {
        urls += (u ? ", " : "") + goQuote(rule["nonResourceURLs"][u].get<std::string>());
      }
      urls += "}";
      if (namespaced) {
        errs.push_back({FieldErrorType::kInvalid, path + ".nonResourceURLs", urls,
                        "namespaced rules cannot apply to non-resource URLs"});
      }
      if (sizeOf(rule, "apiGroups") > 0 || sizeOf(rule, "resources") > 0 ||
          sizeOf(rule, "resourceNames") > 0) {
        errs.push_back({FieldErrorType::kInvalid, path + ".nonResourceURLs", urls,
                        "rules cannot apply to both regular resources and non-resource URLs"});
      }
      continue;
    }
    if (sizeOf(rule, "apiGroups") == 0) {
      errs.push_back({FieldErrorType::kRequired, path + ".apiGroups", std::nullopt,
                      "resource rules must supply at least one api group"});
    }
    if (sizeOf(rule, "resources") == 0) {
      errs.push_back({FieldErrorType::kRequired, path + ".resources", std::nullopt,
                      "resource rules must supply at least one resource"});
    }
  }
  return errs;
}

FieldErrors validateBinding(const json& obj, const json* old, bool namespaced) {
  FieldErrors errs;
  const json ref = obj.value("roleRef", json::object());
  const std::string apiGroup = builtin::stringAt(ref, "apiGroup");
  const std::string kind = builtin::stringAt(ref, "kind");
  const std::string name = builtin::stringAt(ref, "name");
  if (apiGroup != kRbacGroup) {
    errs.push_back({FieldErrorType::kNotSupported, "roleRef.apiGroup", goQuote(apiGroup),
                    "supported values: \"rbac.authorization.k8s.io\""});
  }
  if (namespaced && kind != "Role" && kind != "ClusterRole") {
    errs.push_back({FieldErrorType::kNotSupported, "roleRef.kind", goQuote(kind),
                    "supported values: \"ClusterRole\", \"Role\""});
  }
  if (!namespaced && kind != "ClusterRole") {
    errs.push_back({FieldErrorType::kNotSupported, "roleRef.kind", goQuote(kind),
                    "supported values: \"ClusterRole\""});
  }
  if (name.empty()) {
    errs.push_back({FieldErrorType::kRequired, "roleRef.name", std::nullopt, ""});
  }
  const json subjects = obj.value("subjects", json::array());
  for (size_t i = 0; i < subjects.size(); ++i) {
    const json& s = subjects[i];
    const std::string path = "subjects[" + std::to_string(i) + "]";
    const std::string sKind = builtin::stringAt(s, "kind");
    const std::string sName = builtin::stringAt(s, "name");
    if (sName.empty()) {
      errs.push_back({FieldErrorType::kRequired, path + ".name", std::nullopt, ""});
    }
    if (sKind == "ServiceAccount") {
      if (!builtin::stringAt(s, "apiGroup").empty()) {
        errs.push_back({FieldErrorType::kNotSupported, path + ".apiGroup",
                        goQuote(builtin::stringAt(s, "apiGroup")), "supported values: \"\""});
      }
      if (!namespaced && builtin::stringAt(s, "namespace").empty()) {
        errs.push_back({FieldErrorType::kRequired, path + ".namespace", std::nullopt, ""});
      }
    } else if (sKind == "User" || sKind == "Group") {
      if (builtin::stringAt(s, "apiGroup") != kRbacGroup) {
        errs.push_back({FieldErrorType::kNotSupported, path + ".apiGroup",
                        goQuote(builtin::stringAt(s, "apiGroup")),
                        "supported values: \"rbac.authorization.k8s.io\""});
      }
    } else {
      errs.push_back({FieldErrorType::kNotSupported, path + ".kind", goQuote(sKind),
                      "supported values: \"Group\", \"ServiceAccount\", \"User\""});
    }
  }
  if (old != nullptr && old->value("roleRef", json::object()) != ref) {
    errs.push_back({FieldErrorType::kInvalid, "roleRef", std::nullopt, "cannot change roleRef"});
  }
  return errs;
}

// ServiceAccount subjects read "namespace/name" in the wide columns; here: the role column.
std::vector<json> bindingCells(const json& obj) {
  const json ref = obj.value("roleRef", json::object());
  return {builtin::stringAt(ref, "kind") + "/" + builtin::stringAt(ref, "name")};
}

ResourceTypePtr rbacType(const char* kind, const char* plural, const char* singular,
                         bool namespaced, const char* hash) {
  auto t = std::make_shared<ResourceType>();
  t->group = kRbacGroup;
  t->version = "v1";
  t->plural = plural;
  t->singular = singular;
  t->kind = kind;
  t->listKind = std::string(kind) + "List";
  t->namespaced = namespaced;
  t->verbs = builtin::allVerbs();
  t->storageVersionHash = hash;
  t->storageKey = plural;
  const bool binding = t->kind.find("Binding") != std::string::npos;
  t->schema = builtin::compiledSchema(binding ? kBindingSchema : kRoleSchema);
  auto h = std::make_shared<BuiltinHooks>();
  if (binding) {
    h->validate = [namespaced](const json& obj, const json* old) {
      return validateBinding(obj, old, namespaced);
    };
    h->columns = {builtin::printerColumn("Role", "")};
    h->cells = bindingCells;
  } else {
    h->validate = [namespaced](const json& obj, const json*) {
      return validateRules(obj, namespaced);
    };
    // Roles list their creation time instead of an age.
    h->columns = {builtin::printerColumn("Created At", "", "date")};
    h->cells = [](const json& obj) {
      return std::vector<json>{
          builtin::stringAt(obj.value("metadata", json::object()), "creationTimestamp")};
    };
    h->ageColumn = false;
  }
  t->hooks = h;
  return t;
}

}  // namespace

std::vector<ResourceTypePtr> rbacResourceTypes() {
  return {rbacType("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false,
                   "48tpQ8gZHFc="),
          rbacType("ClusterRole", "clusterroles", "clusterrole", false, "bYE5ZWDrJ44="),
          rbacType("RoleBinding", "rolebindings", "rolebinding", true, "eGsCzGH6b1g="),
          rbacType("Role", "roles", "role", true, "7FuwZcIIItM=")};
}

}  // namespace dbtoken::kubedouble
