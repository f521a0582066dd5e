// The static checks cel-go's type checker makes on the CEL subset, as far as they can be made
// without the CRD's schema: only self and oldSelf are declared, and overloads are resolved where
// operand types are known (literals, list literals, results of operators). self and oldSelf are
// dyn here, so mistakes that involve them surface when the rule is evaluated instead.
#pragma once

#include "common/status.h"
#include "kube/cel_ast.h"

namespace dbtoken::kubedouble {

struct CelCheckInfo {
  bool referencesOldSelf = false;  // a transition rule
};

common::Result<CelCheckInfo> checkCel(const CelNode& root);

}  // namespace dbtoken::kubedouble
