#include "kube/cel_checker.h"

#include <memory>
#include <string>
#include <vector>

namespace dbtoken::kubedouble {
namespace {

using common::Result;
using common::Status;

// A static type: dyn where nothing is known (self, oldSelf and anything selected from them).
struct Type {
  enum class Kind { kDyn, kNull, kBool, kInt, kUint, kDouble, kString, kList };
  Kind kind = Kind::kDyn;
  std::shared_ptr<const Type> element;  // kList

  static Type of(Kind kind) { return Type{kind, nullptr}; }
  static Type listOf(Type element) {
    return Type{Kind::kList, std::make_shared<const Type>(std::move(element))};
  }
  bool is(Kind k) const { return kind == k; }
  bool dyn() const { return kind == Kind::kDyn; }
  bool numeric() const {
    return kind == Kind::kInt || kind == Kind::kUint || kind == Kind::kDouble;
  }
  bool orderable() const { return numeric() || kind == Kind::kBool || kind == Kind::kString; }
};

std::string typeName(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kDyn:
      return "dyn";
    case Type::Kind::kNull:
      return "null_type";
    case Type::Kind::kBool:
      return "bool";
    case Type::Kind::kInt:
      return "int";
    case Type::Kind::kUint:
      return "uint";
    case Type::Kind::kDouble:
      return "double";
    case Type::Kind::kString:
      return "string";
    case Type::Kind::kList:
      return "list(" + typeName(*t.element) + ")";
  }
  return "?";
}

// Whether two types unify, as the type parameter A of `_==_(A, A)` or `_?_:_(bool, A, A)`.
bool assignable(const Type& a, const Type& b) {
  if (a.dyn() || b.dyn()) {
    return true;
  }
  if (a.kind != b.kind) {
    return false;
  }
  return a.kind != Type::Kind::kList || assignable(*a.element, *b.element);
}

// The most general of two types that unify.
Type join(const Type& a, const Type& b) {
  if (a.dyn() || b.dyn()) {
    return Type::of(Type::Kind::kDyn);
  }
  if (a.is(Type::Kind::kList)) {
    return Type::listOf(join(*a.element, *b.element));
  }
  return a;
}

class Checker {
 public:
  Result<Type> check(const CelNode& n) {
    std::vector<Type> args;
    for (const CelNodePtr& arg : n.args) {
      Result<Type> t = check(*arg);
      if (!t.ok()) {
        return t.status();
      }
      args.push_back(std::move(t).value());
    }
    switch (n.kind) {
      case CelNodeKind::kLiteral:
        return literalType(n.literal);
      case CelNodeKind::kList:
        return listType(args);
      case CelNodeKind::kIdent:
        if (n.name == "oldSelf") {
          info_.referencesOldSelf = true;
        } else if (n.name != "self") {
          return celCompileError("undeclared reference to '" + n.name + "'", n.pos);
        }
        return Type::of(Type::Kind::kDyn);
      case CelNodeKind::kSelect:
      case CelNodeKind::kHas:
        if (!args[0].dyn()) {
          return celCompileError(
              "type '" + typeName(args[0]) + "' does not support field selection", n.pos);
        }
        return Type::of(n.kind == CelNodeKind::kHas ? Type::Kind::kBool : Type::Kind::kDyn);
      case CelNodeKind::kSize:
        return expect(
            n, args,
            args[0].dyn() || args[0].is(Type::Kind::kString) || args[0].is(Type::Kind::kList),
            Type::of(Type::Kind::kInt));
      case CelNodeKind::kNot:
        return expect(n, args, bools(args), Type::of(Type::Kind::kBool));
      case CelNodeKind::kNegate:
        return expect(
            n, args,
            args[0].dyn() || args[0].is(Type::Kind::kInt) || args[0].is(Type::Kind::kDouble),
            args[0]);
      case CelNodeKind::kAnd:
      case CelNodeKind::kOr:
        return expect(n, args, bools(args), Type::of(Type::Kind::kBool));
      case CelNodeKind::kEquals:
      case CelNodeKind::kNotEquals:
        return expect(n, args, assignable(args[0], args[1]), Type::of(Type::Kind::kBool));
      case CelNodeKind::kLess:
      case CelNodeKind::kLessEquals:
      case CelNodeKind::kGreater:
      case CelNodeKind::kGreaterEquals:
        return expect(n, args, ordered(args[0], args[1]), Type::of(Type::Kind::kBool));
      case CelNodeKind::kIn:
        return expect(n, args,
                      args[1].dyn() ||
                          (args[1].is(Type::Kind::kList) && assignable(args[0], *args[1].element)),
                      Type::of(Type::Kind::kBool));
      case CelNodeKind::kConditional: {
        bool ok = bools({args[0]}) && assignable(args[1], args[2]);
        return expect(n, args, ok, ok ? join(args[1], args[2]) : Type());
      }
    }
    return Status(common::Code::kInternal, "unknown CEL node");
  }

  const CelCheckInfo& info() const { return info_; }

 private:
  static Type literalType(const CelLiteral& literal) {
    static const Type::Kind kKinds[] = {Type::Kind::kNull,   Type::Kind::kBool,
                                        Type::Kind::kInt,    Type::Kind::kUint,
                                        Type::Kind::kDouble, Type::Kind::kString};
    return Type::of(kKinds[literal.index()]);
  }

  // Mixed element types make list(dyn), as cel-go does without HomogeneousAggregateLiterals.
  static Type listType(const std::vector<Type>& elements) {
    if (elements.empty()) {
      return Type::listOf(Type::of(Type::Kind::kDyn));
    }
    Type element = elements[0];
    for (const Type& t : elements) {
      element = assignable(element, t) ? join(element, t) : Type::of(Type::Kind::kDyn);
    }
    return Type::listOf(element);
  }

  static bool bools(const std::vector<Type>& args) {
    for (const Type& t : args) {
      if (!t.dyn() && !t.is(Type::Kind::kBool)) {
        return false;
      }
    }
    return true;
  }

  // Orderings exist for bool, string and numbers, across numeric types too (Kubernetes enables
  // cross-type numeric comparisons).
  static bool ordered(const Type& a, const Type& b) {
    if (a.dyn() || b.dyn()) {
      return (a.dyn() || a.orderable()) && (b.dyn() || b.orderable());
    }
    return (a.numeric() && b.numeric()) || (a.kind == b.kind && a.orderable());
  }

  static Result<Type> expect(const CelNode& n, const std::vector<Type>& args, bool ok,
                             Type result) {
    if (ok) {
      return result;
    }
    std::string applied;
    for (const Type& t : args) {
      applied += (applied.empty() ? "" : ", ") + typeName(t);
    }
    return celCompileError(std::string("found no matching overload for '") +
                               celOperatorName(n.kind) + "' applied to '(" + applied + ")'",
                           n.pos);
  }

  CelCheckInfo info_;
};

}  // namespace

common::Result<CelCheckInfo> checkCel(const CelNode& root) {
  Checker checker;
  Result<Type> type = checker.check(root);
  if (!type.ok()) {
    return type.status();
  }
  if (!type->dyn() && !type->is(Type::Kind::kBool)) {
    return Status(
        common::Code::kInvalidArgument,
        "cel expression must evaluate to a bool, but evaluates to '" + typeName(*type) + "'");
  }
  return checker.info();
}

}  // namespace dbtoken::kubedouble
