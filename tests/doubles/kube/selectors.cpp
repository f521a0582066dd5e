#include "kube/selectors.h"

#include <cctype>
#include <cstdlib>

#include "kube/names.h"

namespace dbtoken::kubedouble {
namespace {

using common::Code;
using common::Result;
using common::Status;

// The tokens of labels.Parse's lexer.
enum class Tok {
  kIdentifier,
  kDoesNotExist,  // !
  kEquals,        // =
  kDoubleEquals,  // ==
  kNotEquals,     // !=
  kIn,
  kNotIn,
  kGt,
  kLt,
  kOpenPar,
  kClosedPar,
  kComma,
  kEnd,
  kError,
};

struct Token {
  Tok type;
  std::string text;
};

bool isSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}
  Token next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) {
      ++pos_;
    }
    if (pos_ >= s_.size()) {
      return {Tok::kEnd, ""};
    }
    char c = s_[pos_];
    if (isSpecial(c)) {
      std::string op(1, c);
      ++pos_;
      while (pos_ < s_.size() && isSpecial(s_[pos_]) && s_[pos_] != '(' && s_[pos_] != ')' &&
             s_[pos_] != ',' && op.size() < 2) {
        std::string longer = op + s_[pos_];
        if (longer == "==" || longer == "!=") {
          op = longer;
          ++pos_;
        } else {
          break;
        }
      }
      if (op == "=")
        return {Tok::kEquals, op};
      if (op == "==")
        return {Tok::kDoubleEquals, op};
      if (op == "!=")
        return {Tok::kNotEquals, op};
      if (op == "!")
        return {Tok::kDoesNotExist, op};
      if (op == "(")
        return {Tok::kOpenPar, op};
      if (op == ")")
        return {Tok::kClosedPar, op};
      if (op == ",")
        return {Tok::kComma, op};
      if (op == ">")
        return {Tok::kGt, op};
      if (op == "<")
        return {Tok::kLt, op};
      return {Tok::kError, op};
    }
    size_t start = pos_;
    while (pos_ < s_.size() && !isSpecial(s_[pos_]) &&
           !std::isspace(static_cast<unsigned char>(s_[pos_]))) {
      ++pos_;
    }
    std::string word = s_.substr(start, pos_ - start);
    if (word == "in")
      return {Tok::kIn, word};
    if (word == "notin")
      return {Tok::kNotIn, word};
    return {Tok::kIdentifier, word};
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(const std::string& s) {
    Lexer lx(s);
    while (true) {
      Token t = lx.next();
      toks_.push_back(t);
      if (t.type == Tok::kEnd) {
        break;
      }
    }
  }
  const Token& peek() const { return toks_[pos_]; }
  Token consume() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
};

Status parseError(const std::string& what) {
  return Status(Code::kInvalidArgument, "unable to parse requirement: " + what);
}

std::string joinErrors(const std::vector<std::string>& errs) {
  std::string out;
  for (size_t i = 0; i < errs.size(); ++i) {
    if (i > 0) {
      out += "; ";
    }
    out += errs[i];
  }
  return out;
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(const std::string& text) {
  LabelSelector sel;
  Parser p(text);
  if (p.peek().type == Tok::kEnd) {
    return sel;
  }
  while (true) {
    Requirement r;
    bool negated = false;
    Token t = p.consume();
    if (t.type == Tok::kDoesNotExist) {
      negated = true;
      t = p.consume();
    }
    if (t.type != Tok::kIdentifier) {
      return parseError("found '" + t.text + "', expected: !, identifier");
    }
    r.key = t.text;
    if (auto errs = isQualifiedName(r.key); !errs.empty()) {
      return parseError("invalid label key \"" + r.key + "\": " + joinErrors(errs));
    }
    if (negated) {
      r.op = Op::kDoesNotExist;
    } else {
      const Token& op = p.peek();
      if (op.type == Tok::kEnd || op.type == Tok::kComma) {
        r.op = Op::kExists;
      } else {
        Token o = p.consume();
        switch (o.type) {
          case Tok::kEquals:
          case Tok::kDoubleEquals:
            r.op = Op::kEquals;
            break;
          case Tok::kNotEquals:
            r.op = Op::kNotEquals;
            break;
          case Tok::kIn:
            r.op = Op::kIn;
            break;
          case Tok::kNotIn:
            r.op = Op::kNotIn;
            break;
          case Tok::kGt:
            r.op = Op::kGt;
            break;
          case Tok::kLt:
            r.op = Op::kLt;
            break;
          default:
            return parseError("found '" + o.text + "', expected: in, notin, =, ==, !=, gt, lt");
        }
        if (r.op == Op::kIn || r.op == Op::kNotIn) {
          Token open = p.consume();
          if (open.type != Tok::kOpenPar) {
            return parseError("found '" + open.text + "', expected: '('");
          }
          while (true) {
            Token v = p.consume();
            if (v.type == Tok::kClosedPar && r.values.empty()) {
              break;
            }
            if (v.type == Tok::kIdentifier) {
              r.values.push_back(v.text);
              v = p.consume();
            } else if (v.type == Tok::kComma) {
              r.values.push_back("");
            }
            if (v.type == Tok::kClosedPar) {
              break;
            }
            if (v.type != Tok::kComma) {
              return parseError("found '" + v.text + "', expected: ',' or ')'");
            }
          }
        } else {
          Token v = p.peek();
          if (v.type == Tok::kIdentifier) {
            p.consume();
            r.values.push_back(v.text);
          } else if (v.type == Tok::kEnd || v.type == Tok::kComma) {
            r.values.push_back("");
          } else {
            return parseError("found '" + v.text + "', expected: identifier");
          }
          if ((r.op == Op::kGt || r.op == Op::kLt)) {
            char* end = nullptr;
            std::strtoll(r.values[0].c_str(), &end, 10);
            if (r.values[0].empty() || *end != '\0') {
              return parseError("for 'Gt', 'Lt' operators, the value must be an integer");
            }
          }
        }
        for (const auto& v : r.values) {
          if (auto errs = isValidLabelValue(v); !errs.empty()) {
            return parseError("invalid label value: \"" + v + "\": at key: \"" + r.key +
                              "\": " + joinErrors(errs));
          }
        }
      }
    }
    sel.reqs_.push_back(std::move(r));
    Token sep = p.consume();
    if (sep.type == Tok::kEnd) {
      break;
    }
    if (sep.type != Tok::kComma) {
      return parseError("found '" + sep.text + "', expected: ',' or 'end of string'");
    }
  }
  return sel;
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  for (const auto& r : reqs_) {
    std::optional<std::string> value;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) {
        value = it->get<std::string>();
      }
    }
    bool ok = false;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = value.has_value() &&
             std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !value.has_value() ||
             std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
        break;
      case Op::kExists:
        ok = value.has_value();
        break;
      case Op::kDoesNotExist:
        ok = !value.has_value();
        break;
      case Op::kGt:
      case Op::kLt: {
        if (!value) {
          break;
        }
        char* end = nullptr;
        long long v = std::strtoll(value->c_str(), &end, 10);
        if (value->empty() || *end != '\0') {
          break;
        }
        long long limit = std::strtoll(r.values[0].c_str(), nullptr, 10);
        ok = r.op == Op::kGt ? v > limit : v < limit;
        break;
      }
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::parse(const std::string& text) {
  FieldSelector sel;
  if (text.empty()) {
    return sel;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    Term t;
    size_t op;
    if ((op = part.find("!=")) != std::string::npos) {
      t.field = part.substr(0, op);
      t.negate = true;
      t.value = part.substr(op + 2);
    } else if ((op = part.find("==")) != std::string::npos) {
      t.field = part.substr(0, op);
      t.value = part.substr(op + 2);
    } else if ((op = part.find('=')) != std::string::npos) {
      t.field = part.substr(0, op);
      t.value = part.substr(op + 1);
    } else {
      return Status(Code::kInvalidArgument,
                    "invalid selector: '" + text + "'; can't understand '" + part + "'");
    }
    sel.terms_.push_back(std::move(t));
    if (comma == std::string::npos) {
      break;
    }
    pos = comma + 1;
  }
  return sel;
}

std::optional<std::string> FieldSelector::singleName() const {
  for (const auto& t : terms_) {
    if (t.field == "metadata.name" && !t.negate) {
      return t.value;
    }
  }
  return std::nullopt;
}

}  // namespace dbtoken::kubedouble
