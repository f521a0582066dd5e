// Recursive-descent parser for the CEL subset of the Kubernetes API double, with CEL's operator
// precedence (?: < || < && < relations < + - < unary < member). It refuses, with the construct's
// name and position, everything outside the subset; it does not resolve names or types (the
// checker does).
#pragma once

#include <string_view>

#include "common/status.h"
#include "kube/cel_ast.h"

namespace dbtoken::kubedouble {

// What the double understands, appended to every "unsupported CEL" message.
extern const char* const kCelSupportedSubset;

// Deepest nesting accepted (cel-go's default parser recursion limit).
inline constexpr int kCelMaxNesting = 250;

common::Result<CelNodePtr> parseCel(std::string_view expression);

}  // namespace dbtoken::kubedouble
