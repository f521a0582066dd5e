// Structural OpenAPI v3 schemas as the apiserver applies them to custom resources (and, here,
// to the built-in kinds the double serves): unknown-field pruning (honouring
// x-kubernetes-preserve-unknown-fields), defaulting, and validation with the exact causes of
// a real server. x-kubernetes-validations (CEL) rules are compiled once per schema.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "kube/errors.h"

namespace dbtoken::kubedouble {

class CompiledRules;  // CEL rules of one schema, compiled

class StructuralSchema {
 public:
  // Compiles the schema's CEL rules; a rule outside the supported subset is an error naming
  // the field path of the rule (what a CRD create answers 422 with).
  static common::Result<std::shared_ptr<const StructuralSchema>> compile(
      const nlohmann::json& openApiV3Schema, const std::string& fieldPathForErrors,
      FieldError* problem = nullptr);
  ~StructuralSchema();

  const nlohmann::json& raw() const { return schema_; }

  // Removes fields the schema does not know (apiVersion, kind and metadata are always known
  // at the root; metadata is pruned to ObjectMeta). Returns the dotted paths removed, for
  // "unknown field" warnings or a Strict-mode 400.
  std::vector<std::string> prune(nlohmann::json& object) const;
  // Drops nulls of non-nullable fields, then fills in defaults.
  void applyDefaults(nlohmann::json& object) const;
  // Schema validation, then (only when no blocking error was found, counting the errors
  // already in `prior`, e.g. from ObjectMeta) CEL rules. oldObject is set on update so
  // transition rules (oldSelf) run. Returns prior + new errors, in apiserver order.
  FieldErrors validate(const nlohmann::json& object, const nlohmann::json* oldObject,
                       FieldErrors prior = {}) const;

  // The schema node for a dotted path such as "spec" (nullptr when absent).
  const nlohmann::json* nodeAt(const std::vector<std::string>& path) const;

 private:
  StructuralSchema() = default;
  nlohmann::json schema_;
  std::unique_ptr<CompiledRules> rules_;
};

// The JSON type name the apiserver reports for a value ("string", "integer", "object", ...).
std::string jsonTypeName(const nlohmann::json& v);

// The ObjectMeta fields every object may carry.
bool isObjectMetaField(const std::string& name);

}  // namespace dbtoken::kubedouble
