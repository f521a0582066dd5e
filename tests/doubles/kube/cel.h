// CEL for the Kubernetes API double: compiles a CRD's x-kubernetes-validations rule and evaluates
// it against self (and oldSelf) with the semantics of cel-go, for the subset of CEL this project's
// CRDs use. Anything outside that subset is refused at compile time, never ignored; it does not
// know the CRD schema, so type errors that involve self surface at evaluation instead.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::kubedouble {

struct CelNode;

class CelProgram {
 public:
  // Parses and checks expression. Errors are InvalidArgument and name the construct and its
  // line:column, e.g. "unsupported CEL: function 'matches' at 1:11 (the double supports: ...)",
  // "undeclared reference to 'x' at 1:1", "syntax error: expected ')' but found end of input at
  // 1:6".
  static common::Result<CelProgram> compile(std::string_view expression);

  // True when the rule references oldSelf (a transition rule, evaluated on updates only).
  bool isTransitionRule() const { return transition_; }

  // The rule's result for self (and oldSelf, which a transition rule needs; it is ignored
  // otherwise). Runtime errors are InvalidArgument with cel-go's wording: "no such key: revoked",
  // "no such overload: _<_(string, int)". A result that is not a bool is an error too. Const and
  // stateless: safe to call from many threads at once. schema, when given, is the structural
  // schema node the rule sits on: it makes lists of x-kubernetes-list-type map or set compare
  // ignoring order, as on a real apiserver.
  common::Result<bool> evaluate(const nlohmann::json& self, const nlohmann::json* oldSelf,
                                const nlohmann::json* schema = nullptr) const;

  const std::string& expression() const { return expression_; }

 private:
  CelProgram(std::string expression, std::shared_ptr<const CelNode> root, bool transition);

  std::string expression_;
  std::shared_ptr<const CelNode> root_;  // immutable, shared by copies
  bool transition_ = false;
};

}  // namespace dbtoken::kubedouble
