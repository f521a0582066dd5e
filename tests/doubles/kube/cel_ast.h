// The syntax tree of the CEL subset the Kubernetes API double understands, shared by the parser,
// the checker and the evaluator. It only holds constructs of the subset: anything else is refused
// while parsing, so a tree that exists is a tree the evaluator can run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace dbtoken::kubedouble {

// A place in the rule text: 1-based line, 1-based column counted in code points (as cel-go).
struct CelPos {
  int line = 1;
  int column = 1;
};

// "1:12", the way every error message names a place.
std::string celPosText(CelPos pos);

// An InvalidArgument status reading "<what> at <line>:<column><suffix>"; all compile errors of
// the CEL subset have this shape.
common::Status celCompileError(const std::string& what, CelPos pos, const std::string& suffix = "");

enum class CelNodeKind {
  kLiteral,     // literal
  kList,        // [args...]
  kIdent,       // name: self or oldSelf (checked by the checker)
  kSelect,      // args[0].name
  kHas,         // has(args[0].name)
  kSize,        // size(args[0]) or args[0].size()
  kNot,         // !args[0]
  kNegate,      // -args[0]
  kAnd,         // args[0] && args[1] && ... (flattened: CEL's result does not depend on grouping)
  kOr,          // args[0] || args[1] || ...
  kEquals,      // ==
  kNotEquals,   // !=
  kLess,        // <
  kLessEquals,  // <=
  kGreater,     // >
  kGreaterEquals,  // >=
  kIn,             // args[0] in args[1]
  kConditional,    // args[0] ? args[1] : args[2]
};

// CEL's name for an operator's overload, used in "no matching overload" messages ("_==_").
const char* celOperatorName(CelNodeKind kind);

using CelLiteral =
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string>;

struct CelNode;
using CelNodePtr = std::shared_ptr<const CelNode>;

struct CelNode {
  CelNodeKind kind = CelNodeKind::kLiteral;
  CelPos pos;
  std::string name;  // kIdent: the identifier; kSelect / kHas: the field
  CelLiteral literal;
  std::vector<CelNodePtr> args;
  int depth = 1;  // 1 + the deepest child: bounds the evaluator's recursion
};

}  // namespace dbtoken::kubedouble
