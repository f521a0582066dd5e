// Evaluates a checked tree of the CEL subset against self (and oldSelf), with cel-go's runtime
// semantics: errors are values that && and || absorb when the other side decides the result,
// heterogeneous equality, and cel-go's error messages ("no such key: x", "no such overload").
// Stateless: any number of threads may evaluate the same tree at once.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "kube/cel_ast.h"
#include "kube/cel_value.h"

namespace dbtoken::kubedouble {

struct CelActivation {
  const nlohmann::json* self = nullptr;
  const nlohmann::json* oldSelf = nullptr;  // set for transition rules
  const nlohmann::json* schema = nullptr;   // the schema node of self and oldSelf, when known
};

// The value of node, or the runtime error (InvalidArgument) it evaluates to. Values borrow from
// node and from the activation's JSON.
common::Result<CelValue> evalCel(const CelNode& node, const CelActivation& activation);

}  // namespace dbtoken::kubedouble
