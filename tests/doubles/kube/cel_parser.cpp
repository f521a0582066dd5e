#include "kube/cel_parser.h"

#include <algorithm>
#include <set>
#include <utility>

#include "kube/cel_lexer.h"

namespace dbtoken::kubedouble {

const char* const kCelSupportedSubset =
    "self, oldSelf, field selection a.b, has(a.b), size(x) and x.size(), null/bool/int/uint/"
    "double/string literals, list literals, !, unary -, &&, ||, ?:, ==, !=, <, <=, >, >=, in";

namespace {

using common::Result;
using common::Status;

const std::set<std::string, std::less<>> kReserved = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while",
};
const std::set<std::string, std::less<>> kMacros = {
    "all", "exists", "exists_one", "map", "filter", "optMap", "optFlatMap", "bind",
};

std::string describe(const CelToken& token) {
  return token.kind == CelTokenKind::kEnd ? "end of input" : "'" + token.source + "'";
}

class Parser {
 public:
  explicit Parser(std::vector<CelToken> tokens) : tokens_(std::move(tokens)) {}

  Result<CelNodePtr> run() {
    CelNodePtr root = expr();
    if (root && peek().kind != CelTokenKind::kEnd) {
      root = expected("end of input");
    }
    if (!root) {
      return error_;
    }
    return root;
  }

 private:
  const CelToken& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(i_ + ahead, tokens_.size() - 1)];
  }
  bool check(CelTokenKind kind) const { return peek().kind == kind; }
  const CelToken& next() {
    const CelToken& token = peek();
    i_ = std::min(i_ + 1, tokens_.size() - 1);
    return token;
  }
  bool accept(CelTokenKind kind) {
    if (!check(kind)) {
      return false;
    }
    next();
    return true;
  }

  CelNodePtr fail(Status status) {
    if (error_.isOk()) {
      error_ = std::move(status);
    }
    return nullptr;
  }
  CelNodePtr expected(const std::string& what) {
    return fail(celCompileError("syntax error: expected " + what + " but found " + describe(peek()),
                                peek().pos));
  }
  CelNodePtr unsupported(const std::string& what, CelPos pos) {
    return fail(
        celCompileError("unsupported CEL: " + what, pos,
                        std::string(" (the double supports: ") + kCelSupportedSubset + ")"));
  }
  bool expect(CelTokenKind kind, const char* what) {
    if (accept(kind)) {
      return true;
    }
    expected(what);
    return false;
  }

  CelNodePtr node(CelNodeKind kind, CelPos pos, std::vector<CelNodePtr> args,
                  std::string name = {}) {
    auto n = std::make_shared<CelNode>();
    n->kind = kind;
    n->pos = pos;
    n->name = std::move(name);
    for (const CelNodePtr& arg : args) {
      n->depth = std::max(n->depth, arg->depth + 1);
    }
    n->args = std::move(args);
    if (n->depth > kCelMaxNesting) {
      return recursionLimit(pos);
    }
    return n;
  }
  CelNodePtr literal(CelPos pos, CelLiteral value) {
    auto n = std::make_shared<CelNode>();
    n->pos = pos;
    n->literal = std::move(value);
    return n;
  }
  CelNodePtr recursionLimit(CelPos pos) {
    return fail(celCompileError(
        "expression recursion limit exceeded: " + std::to_string(kCelMaxNesting), pos));
  }

  // expr: or ('?' or ':' expr)?
  CelNodePtr expr() {
    if (nesting_ >= kCelMaxNesting) {
      return recursionLimit(peek().pos);
    }
    ++nesting_;
    CelNodePtr result = conditional();
    --nesting_;
    return result;
  }
  CelNodePtr conditional() {
    CelNodePtr cond = logical(CelTokenKind::kOr);
    if (!cond || !check(CelTokenKind::kQuestion)) {
      return cond;
    }
    const CelToken& question = next();
    if (check(CelTokenKind::kDot) && peek().pos.line == question.pos.line &&
        peek().pos.column == question.pos.column + 1) {
      return unsupported(
          "optional chaining '?.' (CEL spells optional selection '.?', also unsupported)",
          question.pos);
    }
    CelNodePtr yes = logical(CelTokenKind::kOr);
    if (!yes || !expect(CelTokenKind::kColon, "':'")) {
      return nullptr;
    }
    CelNodePtr no = expr();
    if (!no) {
      return nullptr;
    }
    return node(CelNodeKind::kConditional, question.pos, {cond, yes, no});
  }

  // or: and ('||' and)*; and: relation ('&&' relation)*. Flattened into one n-ary node.
  CelNodePtr logical(CelTokenKind op) {
    auto term = [&]() {
      return op == CelTokenKind::kOr ? logical(CelTokenKind::kAnd) : relation();
    };
    CelNodePtr first = term();
    if (!first || !check(op)) {
      return first;
    }
    CelPos pos = peek().pos;
    std::vector<CelNodePtr> terms = {first};
    while (accept(op)) {
      CelNodePtr more = term();
      if (!more) {
        return nullptr;
      }
      terms.push_back(more);
    }
    return node(op == CelTokenKind::kOr ? CelNodeKind::kOr : CelNodeKind::kAnd, pos,
                std::move(terms));
  }

  // relation: calc (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') calc)*, left-associative.
  CelNodePtr relation() {
    static const std::pair<CelTokenKind, CelNodeKind> kRelations[] = {
        {CelTokenKind::kEq, CelNodeKind::kEquals},
        {CelTokenKind::kNe, CelNodeKind::kNotEquals},
        {CelTokenKind::kLt, CelNodeKind::kLess},
        {CelTokenKind::kLe, CelNodeKind::kLessEquals},
        {CelTokenKind::kGt, CelNodeKind::kGreater},
        {CelTokenKind::kGe, CelNodeKind::kGreaterEquals},
        {CelTokenKind::kIn, CelNodeKind::kIn},
    };
    CelNodePtr left = calc();
    while (left) {
      const auto* found = std::find_if(std::begin(kRelations), std::end(kRelations),
                                       [&](const auto& r) { return r.first == peek().kind; });
      if (found == std::end(kRelations)) {
        return left;
      }
      CelPos pos = next().pos;
      CelNodePtr right = calc();
      if (!right) {
        return nullptr;
      }
      left = node(found->second, pos, {left, right});
    }
    return left;
  }

  // calc: arithmetic is outside the subset; refuse it where it appears.
  CelNodePtr calc() {
    CelNodePtr operand = unary();
    switch (peek().kind) {
      case CelTokenKind::kPlus:
      case CelTokenKind::kMinus:
      case CelTokenKind::kStar:
      case CelTokenKind::kSlash:
      case CelTokenKind::kPercent:
        if (operand) {
          return unsupported("operator '" + peek().text + "'", peek().pos);
        }
        break;
      default:
        break;
    }
    return operand;
  }

  // unary: member | '!'+ member | '-'+ member. As in cel-go an even run of operators cancels
  // out, and '-' directly before a number is part of the literal ("-9223372036854775808").
  CelNodePtr unary() {
    CelTokenKind op = peek().kind;
    if (op != CelTokenKind::kNot && op != CelTokenKind::kMinus) {
      return member();
    }
    if (op == CelTokenKind::kMinus &&
        (peek(1).kind == CelTokenKind::kInt || peek(1).kind == CelTokenKind::kDouble)) {
      return member();
    }
    CelPos pos = peek().pos;
    int count = 0;
    while (accept(op)) {
      ++count;
    }
    CelNodePtr operand = member();
    if (!operand || count % 2 == 0) {
      return operand;
    }
    return node(op == CelTokenKind::kNot ? CelNodeKind::kNot : CelNodeKind::kNegate, pos,
                {operand});
  }

  // member: primary ('.' IDENT | '.' IDENT '(' args ')')*; indexing and messages are refused.
  CelNodePtr member() {
    CelNodePtr target = primary();
    while (target) {
      CelPos pos = peek().pos;
      if (accept(CelTokenKind::kDot)) {
        if (check(CelTokenKind::kQuestion)) {
          return unsupported("optional field selection '.?'", pos);
        }
        if (!check(CelTokenKind::kIdent)) {
          return expected("a field name after '.'");
        }
        const CelToken& field = next();
        if (check(CelTokenKind::kLParen)) {
          return methodCall(target, field);
        }
        if (!fieldName(field)) {
          return nullptr;
        }
        target = node(CelNodeKind::kSelect, field.pos, {target}, field.text);
      } else if (check(CelTokenKind::kLBracket)) {
        return peek(1).kind == CelTokenKind::kQuestion ? unsupported("optional index '[?'", pos)
                                                       : unsupported("index operator '[]'", pos);
      } else if (check(CelTokenKind::kLBrace)) {
        return unsupported("message construction 'Type{...}'", pos);
      } else {
        return target;
      }
    }
    return nullptr;
  }

  // Kubernetes escapes property names that are CEL reserved words or not identifiers
  // (namespace → __namespace__, a-b → a__dash__b); the double cannot tell object properties from
  // map keys without the schema, so it refuses both spellings instead of guessing.
  bool fieldName(const CelToken& field) {
    if (kReserved.count(field.text) > 0) {
      unsupported("field '" + field.text + "', a CEL reserved word (Kubernetes spells it '__" +
                      field.text + "__')",
                  field.pos);
      return false;
    }
    if (field.text.find("__") != std::string::npos) {
      unsupported("escaped field name '" + field.text + "' (Kubernetes property-name escaping)",
                  field.pos);
      return false;
    }
    return true;
  }

  bool arguments(std::vector<CelNodePtr>& args) {
    next();  // '('
    if (!check(CelTokenKind::kRParen)) {
      do {
        CelNodePtr arg = expr();
        if (!arg) {
          return false;
        }
        args.push_back(arg);
      } while (accept(CelTokenKind::kComma));
    }
    return expect(CelTokenKind::kRParen, "')'");
  }

  // size(x) and x.size(): exactly one operand, counting the receiver.
  CelNodePtr sizeCall(CelPos pos, std::vector<CelNodePtr> args) {
    if (args.size() != 1) {
      return fail(celCompileError("found no matching overload for 'size' applied to " +
                                      std::to_string(args.size()) + " arguments",
                                  pos));
    }
    return node(CelNodeKind::kSize, pos, {args[0]});
  }

  CelNodePtr methodCall(CelNodePtr target, const CelToken& name) {
    if (kMacros.count(name.text) > 0) {
      return unsupported("macro '" + name.text + "'", name.pos);
    }
    if (name.text != "size") {
      return unsupported("function '" + name.text + "'", name.pos);
    }
    std::vector<CelNodePtr> args = {target};
    if (!arguments(args)) {
      return nullptr;
    }
    return sizeCall(name.pos, std::move(args));
  }

  CelNodePtr globalCall(const CelToken& name) {
    if (name.text != "has" && name.text != "size") {
      return unsupported("function '" + name.text + "'", name.pos);
    }
    std::vector<CelNodePtr> args;
    if (!arguments(args)) {
      return nullptr;
    }
    if (name.text == "size") {
      return sizeCall(name.pos, std::move(args));
    }
    if (args.size() != 1 || args[0]->kind != CelNodeKind::kSelect) {
      return fail(celCompileError("invalid argument to has() macro",
                                  args.empty() ? name.pos : args[0]->pos));
    }
    return node(CelNodeKind::kHas, name.pos, {args[0]->args[0]}, args[0]->name);
  }

  CelNodePtr primary() {
    const CelToken& token = peek();
    switch (token.kind) {
      case CelTokenKind::kMinus:
        if (peek(1).kind == CelTokenKind::kInt || peek(1).kind == CelTokenKind::kDouble) {
          next();
          return number(true, token.pos);
        }
        return expected("an expression");
      case CelTokenKind::kInt:
      case CelTokenKind::kUint:
      case CelTokenKind::kDouble:
        return number(false, token.pos);
      case CelTokenKind::kString:
        return literal(next().pos, token.text);
      case CelTokenKind::kBytes:
        return unsupported("bytes literal", token.pos);
      case CelTokenKind::kTrue:
      case CelTokenKind::kFalse:
        return literal(next().pos, token.kind == CelTokenKind::kTrue);
      case CelTokenKind::kNull:
        return literal(next().pos, nullptr);
      case CelTokenKind::kIdent:
        next();
        if (kReserved.count(token.text) > 0) {
          return fail(celCompileError("reserved identifier: " + token.text, token.pos));
        }
        if (check(CelTokenKind::kLParen)) {
          return globalCall(token);
        }
        return node(CelNodeKind::kIdent, token.pos, {}, token.text);
      case CelTokenKind::kDot:
        return unsupported("leading '.' (a root-scoped name)", token.pos);
      case CelTokenKind::kLParen: {
        next();
        CelNodePtr inner = expr();
        if (!inner || !expect(CelTokenKind::kRParen, "')'")) {
          return nullptr;
        }
        return inner;
      }
      case CelTokenKind::kLBracket:
        return list();
      case CelTokenKind::kLBrace:
        return unsupported("map literal '{...}'", token.pos);
      default:
        return expected("an expression");
    }
  }

  // '[' (expr (',' expr)* ','?)? ']'
  CelNodePtr list() {
    CelPos pos = next().pos;
    std::vector<CelNodePtr> elements;
    while (!check(CelTokenKind::kRBracket)) {
      if (check(CelTokenKind::kQuestion)) {
        return unsupported("optional list element '[?'", peek().pos);
      }
      CelNodePtr element = expr();
      if (!element) {
        return nullptr;
      }
      elements.push_back(element);
      if (!accept(CelTokenKind::kComma)) {
        break;
      }
    }
    if (!expect(CelTokenKind::kRBracket, "']'")) {
      return nullptr;
    }
    return node(CelNodeKind::kList, pos, std::move(elements));
  }

  CelNodePtr number(bool negative, CelPos pos) {
    Result<CelLiteral> value = celNumberLiteral(next(), negative);
    if (!value.ok()) {
      return fail(celCompileError(value.status().message(), pos));
    }
    return literal(pos, std::move(value).value());
  }

  std::vector<CelToken> tokens_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  Status error_;
};

}  // namespace

common::Result<CelNodePtr> parseCel(std::string_view expression) {
  auto tokens = lexCel(expression);
  if (!tokens.ok()) {
    return tokens.status();
  }
  return Parser(std::move(tokens).value()).run();
}

}  // namespace dbtoken::kubedouble
