#include "kube/cel.h"

#include <utility>

#include "kube/cel_ast.h"
#include "kube/cel_checker.h"
#include "kube/cel_eval.h"
#include "kube/cel_parser.h"

namespace dbtoken::kubedouble {

CelProgram::CelProgram(std::string expression, std::shared_ptr<const CelNode> root, bool transition)
    : expression_(std::move(expression)), root_(std::move(root)), transition_(transition) {}

common::Result<CelProgram> CelProgram::compile(std::string_view expression) {
  common::Result<CelNodePtr> root = parseCel(expression);
  if (!root.ok()) {
    return root.status();
  }
  common::Result<CelCheckInfo> info = checkCel(**root);
  if (!info.ok()) {
    return info.status();
  }
  return CelProgram(std::string(expression), *root, info->referencesOldSelf);
}

common::Result<bool> CelProgram::evaluate(const nlohmann::json& self, const nlohmann::json* oldSelf,
                                          const nlohmann::json* schema) const {
  if (transition_ && oldSelf == nullptr) {
    return common::Status(common::Code::kInvalidArgument,
                          "no such attribute: oldSelf (a transition rule needs the old object)");
  }
  common::Result<CelValue> result = evalCel(*root_, CelActivation{&self, oldSelf, schema});
  if (!result.ok()) {
    return result.status();
  }
  if (result->kind() != CelValue::Kind::kBool) {
    return common::Status(common::Code::kInvalidArgument,
                          std::string("no such overload: the rule evaluated to a value of type '") +
                              celTypeName(result->kind()) + "', not bool");
  }
  return result->asBool();
}

}  // namespace dbtoken::kubedouble
