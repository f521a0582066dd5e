#include "kube/cel_ast.h"

namespace dbtoken::kubedouble {

std::string celPosText(CelPos pos) {
  return std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

common::Status celCompileError(const std::string& what, CelPos pos, const std::string& suffix) {
  return common::Status(common::Code::kInvalidArgument, what + " at " + celPosText(pos) + suffix);
}

const char* celOperatorName(CelNodeKind kind) {
  switch (kind) {
    case CelNodeKind::kNot:
      return "!_";
    case CelNodeKind::kNegate:
      return "-_";
    case CelNodeKind::kAnd:
      return "_&&_";
    case CelNodeKind::kOr:
      return "_||_";
    case CelNodeKind::kEquals:
      return "_==_";
    case CelNodeKind::kNotEquals:
      return "_!=_";
    case CelNodeKind::kLess:
      return "_<_";
    case CelNodeKind::kLessEquals:
      return "_<=_";
    case CelNodeKind::kGreater:
      return "_>_";
    case CelNodeKind::kGreaterEquals:
      return "_>=_";
    case CelNodeKind::kIn:
      return "@in";
    case CelNodeKind::kConditional:
      return "_?_:_";
    case CelNodeKind::kSize:
      return "size";
    case CelNodeKind::kLiteral:
    case CelNodeKind::kList:
    case CelNodeKind::kIdent:
    case CelNodeKind::kSelect:
    case CelNodeKind::kHas:
      break;
  }
  return "?";
}

}  // namespace dbtoken::kubedouble
