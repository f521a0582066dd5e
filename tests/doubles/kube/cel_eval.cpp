#include "kube/cel_eval.h"

#include <initializer_list>
#include <limits>
#include <optional>
#include <string>

namespace dbtoken::kubedouble {
namespace {

using common::Result;
using common::Status;

Status runtimeError(std::string message) {
  return Status(common::Code::kInvalidArgument, std::move(message));
}

// "no such overload: _<_(string, int)"
Status noSuchOverload(CelNodeKind op, std::initializer_list<const CelValue*> args) {
  std::string applied;
  for (const CelValue* v : args) {
    applied += (applied.empty() ? "" : ", ") + std::string(celTypeName(v->kind()));
  }
  return runtimeError(std::string("no such overload: ") + celOperatorName(op) + "(" + applied +
                      ")");
}

Status noFieldSelection(const CelValue& target) {
  return runtimeError(std::string("type '") + celTypeName(target.kind()) +
                      "' does not support field selection");
}

CelValue literal(const CelLiteral& lit) {
  if (const auto* b = std::get_if<bool>(&lit)) {
    return CelValue::boolean(*b);
  }
  if (const auto* i = std::get_if<std::int64_t>(&lit)) {
    return CelValue::integer(*i);
  }
  if (const auto* u = std::get_if<std::uint64_t>(&lit)) {
    return CelValue::unsignedInteger(*u);
  }
  if (const auto* d = std::get_if<double>(&lit)) {
    return CelValue::floating(*d);
  }
  if (const auto* s = std::get_if<std::string>(&lit)) {
    return CelValue::string(*s);
  }
  return CelValue();
}

class Evaluator {
 public:
  explicit Evaluator(const CelActivation& activation) : activation_(activation) {}

  Result<CelValue> eval(const CelNode& n) const {
    switch (n.kind) {
      case CelNodeKind::kLiteral:
        return literal(n.literal);
      case CelNodeKind::kList:
        return list(n);
      case CelNodeKind::kIdent:
        return ident(n);
      case CelNodeKind::kSelect:
      case CelNodeKind::kHas:
        return select(n);
      case CelNodeKind::kAnd:
      case CelNodeKind::kOr:
        return logical(n);
      case CelNodeKind::kConditional:
        return conditional(n);
      default:
        break;
    }
    Result<CelValue> first = eval(*n.args[0]);
    if (!first.ok()) {
      return first;
    }
    if (n.args.size() == 1) {
      return unary(n.kind, *first);
    }
    Result<CelValue> second = eval(*n.args[1]);
    if (!second.ok()) {
      return second;
    }
    return binary(n.kind, *first, *second);
  }

 private:
  Result<CelValue> list(const CelNode& n) const {
    std::vector<CelValue> items;
    items.reserve(n.args.size());
    for (const CelNodePtr& arg : n.args) {
      Result<CelValue> item = eval(*arg);
      if (!item.ok()) {
        return item;
      }
      items.push_back(std::move(item).value());
    }
    return CelValue::list(std::move(items));
  }

  Result<CelValue> ident(const CelNode& n) const {
    const nlohmann::json* json = n.name == "self" ? activation_.self : activation_.oldSelf;
    if (json == nullptr) {
      return runtimeError("no such attribute: " + n.name);
    }
    return CelValue::fromJson(*json, activation_.schema);
  }

  // a.b and has(a.b). On null, cel-go answers "no such key" and false; other non-maps cannot
  // pass Kubernetes' schema-aware checker, so the double refuses them with its message.
  Result<CelValue> select(const CelNode& n) const {
    Result<CelValue> target = eval(*n.args[0]);
    if (!target.ok()) {
      return target;
    }
    bool presence = n.kind == CelNodeKind::kHas;
    if (target->kind() == CelValue::Kind::kNull) {
      return presence ? Result<CelValue>(CelValue::boolean(false))
                      : Result<CelValue>(runtimeError("no such key: " + n.name));
    }
    if (target->kind() != CelValue::Kind::kMap) {
      return noFieldSelection(*target);
    }
    std::optional<CelValue> field = target->find(n.name);
    if (presence) {
      return CelValue::boolean(field.has_value());
    }
    if (!field) {
      return runtimeError("no such key: " + n.name);
    }
    return *field;
  }

  // && and || are commutative over errors: a deciding operand (false for &&, true for ||) wins
  // wherever it is; otherwise the first error, in source order, is the result.
  Result<CelValue> logical(const CelNode& n) const {
    bool decisive = n.kind == CelNodeKind::kOr;
    std::optional<Status> error;
    for (const CelNodePtr& term : n.args) {
      Result<CelValue> v = eval(*term);
      if (v.ok() && v->kind() == CelValue::Kind::kBool) {
        if (v->asBool() == decisive) {
          return CelValue::boolean(decisive);
        }
      } else if (!error) {
        error = v.ok() ? noSuchOverload(n.kind, {&*v}) : v.status();
      }
    }
    if (error) {
      return *error;
    }
    return CelValue::boolean(!decisive);
  }

  Result<CelValue> conditional(const CelNode& n) const {
    Result<CelValue> cond = eval(*n.args[0]);
    if (!cond.ok()) {
      return cond;
    }
    if (cond->kind() != CelValue::Kind::kBool) {
      return noSuchOverload(n.kind, {&*cond});
    }
    return eval(*n.args[cond->asBool() ? 1 : 2]);
  }

  static Result<CelValue> unary(CelNodeKind op, const CelValue& v) {
    switch (op) {
      case CelNodeKind::kNot:
        if (v.kind() == CelValue::Kind::kBool) {
          return CelValue::boolean(!v.asBool());
        }
        break;
      case CelNodeKind::kNegate:
        if (v.kind() == CelValue::Kind::kInt) {
          if (v.asInt() == std::numeric_limits<std::int64_t>::min()) {
            return runtimeError("integer overflow");
          }
          return CelValue::integer(-v.asInt());
        }
        if (v.kind() == CelValue::Kind::kDouble) {
          return CelValue::floating(-v.asDouble());
        }
        break;
      case CelNodeKind::kSize:
        if (v.kind() == CelValue::Kind::kString) {
          return CelValue::integer(celCodePoints(v.asString()));
        }
        if (v.kind() == CelValue::Kind::kList || v.kind() == CelValue::Kind::kMap) {
          return CelValue::integer(static_cast<std::int64_t>(v.size()));
        }
        break;
      default:
        break;
    }
    return noSuchOverload(op, {&v});
  }

  static Result<CelValue> binary(CelNodeKind op, const CelValue& a, const CelValue& b) {
    switch (op) {
      case CelNodeKind::kEquals:
        return CelValue::boolean(celEquals(a, b));
      case CelNodeKind::kNotEquals:
        return CelValue::boolean(!celEquals(a, b));
      case CelNodeKind::kIn:
        return in(a, b);
      default:
        break;
    }
    bool comparable = (a.isNumber() && b.isNumber()) ||
                      (a.kind() == b.kind() &&
                       (a.kind() == CelValue::Kind::kString || a.kind() == CelValue::Kind::kBool));
    if (!comparable) {
      return noSuchOverload(op, {&a, &b});
    }
    std::optional<int> c = celCompare(a, b);
    if (!c) {
      return runtimeError("NaN values cannot be ordered");
    }
    switch (op) {
      case CelNodeKind::kLess:
        return CelValue::boolean(*c < 0);
      case CelNodeKind::kLessEquals:
        return CelValue::boolean(*c <= 0);
      case CelNodeKind::kGreater:
        return CelValue::boolean(*c > 0);
      default:
        return CelValue::boolean(*c >= 0);
    }
  }

  // x in list: heterogeneous equality with any element. key in map: Kubernetes' maps only take
  // string keys and answer anything else with "no such overload".
  static Result<CelValue> in(const CelValue& needle, const CelValue& haystack) {
    if (haystack.kind() == CelValue::Kind::kList) {
      for (std::size_t i = 0; i < haystack.size(); ++i) {
        if (celEquals(needle, haystack.at(i))) {
          return CelValue::boolean(true);
        }
      }
      return CelValue::boolean(false);
    }
    if (haystack.kind() == CelValue::Kind::kMap && needle.kind() == CelValue::Kind::kString) {
      return CelValue::boolean(haystack.find(needle.asString()).has_value());
    }
    return noSuchOverload(CelNodeKind::kIn, {&needle, &haystack});
  }

  const CelActivation& activation_;
};

}  // namespace

common::Result<CelValue> evalCel(const CelNode& node, const CelActivation& activation) {
  return Evaluator(activation).eval(node);
}

}  // namespace dbtoken::kubedouble
