// The x-kubernetes-validations rules of one structural schema, compiled once and evaluated on
// create and update like apiextensions-apiserver does: each rule runs with `self` bound to the
// value at its schema node; transition rules (using oldSelf) run only on update and only where
// the old object has a value at that node.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "kube/errors.h"

namespace dbtoken::kubedouble {

class CompiledRules {
 public:
  // Refuses (with the rule's field path, e.g.
  // "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule")
  // any rule outside the CEL subset the double implements.
  // The refusal is also described as a field error in *problem when given.
  static common::Result<std::unique_ptr<CompiledRules>> compile(const nlohmann::json& schema,
                                                                const std::string& fieldPath,
                                                                FieldError* problem = nullptr);
  ~CompiledRules();
  bool empty() const;
  FieldErrors evaluate(const nlohmann::json& object, const nlohmann::json* oldObject) const;

 private:
  struct Rule;
  CompiledRules();
  std::vector<Rule> rules_;
};

}  // namespace dbtoken::kubedouble
