#include "kube/cel_lexer.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace dbtoken::kubedouble {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentPart(char c) {
  return isIdentStart(c) || isDigit(c);
}
int hexValue(char c) {
  if (isDigit(c)) {
    return c - '0';
  }
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct Operator {
  const char* text;
  CelTokenKind kind;
};
// Two-character operators first, so that "<=" is not read as "<" then "=".
constexpr Operator kOperators[] = {
    {"==", CelTokenKind::kEq},      {"!=", CelTokenKind::kNe},    {"<=", CelTokenKind::kLe},
    {">=", CelTokenKind::kGe},      {"&&", CelTokenKind::kAnd},   {"||", CelTokenKind::kOr},
    {"<", CelTokenKind::kLt},       {">", CelTokenKind::kGt},     {"!", CelTokenKind::kNot},
    {"(", CelTokenKind::kLParen},   {")", CelTokenKind::kRParen}, {"[", CelTokenKind::kLBracket},
    {"]", CelTokenKind::kRBracket}, {"{", CelTokenKind::kLBrace}, {"}", CelTokenKind::kRBrace},
    {".", CelTokenKind::kDot},      {",", CelTokenKind::kComma},  {":", CelTokenKind::kColon},
    {"?", CelTokenKind::kQuestion}, {"+", CelTokenKind::kPlus},   {"-", CelTokenKind::kMinus},
    {"*", CelTokenKind::kStar},     {"/", CelTokenKind::kSlash},  {"%", CelTokenKind::kPercent},
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  common::Result<std::vector<CelToken>> run() {
    std::vector<CelToken> tokens;
    for (;;) {
      skipSpaceAndComments();
      CelToken token;
      token.pos = pos_;
      std::size_t start = i_;
      if (i_ >= src_.size()) {
        tokens.push_back(std::move(token));
        return tokens;
      }
      common::Status status = next(token);
      if (!status.isOk()) {
        return status;
      }
      token.source = std::string(src_.substr(start, i_ - start));
      tokens.push_back(std::move(token));
    }
  }

 private:
  char peek(std::size_t ahead = 0) const {
    return i_ + ahead < src_.size() ? src_[i_ + ahead] : '\0';
  }

  // Moves past n bytes, keeping line and column (in code points) up to date.
  void advance(std::size_t n = 1) {
    for (; n > 0 && i_ < src_.size(); --n, ++i_) {
      auto byte = static_cast<unsigned char>(src_[i_]);
      if (byte == '\n') {
        ++pos_.line;
        pos_.column = 1;
      } else if ((byte & 0xC0) != 0x80) {
        ++pos_.column;
      }
    }
  }

  void skipSpaceAndComments() {
    for (;;) {
      char c = peek();
      if (i_ < src_.size() && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (i_ < src_.size() && peek() != '\n') {
          advance();
        }
      } else {
        return;
      }
    }
  }

  common::Status next(CelToken& token) {
    char c = peek();
    if (isIdentStart(c)) {
      return identifierOrString(token);
    }
    if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
      number(token);
      return common::Status::ok();
    }
    if (c == '"' || c == '\'') {
      return string(token, /*raw=*/false, /*bytes=*/false);
    }
    for (const Operator& op : kOperators) {
      std::string_view text(op.text);
      if (src_.substr(i_, text.size()) == text) {
        token.kind = op.kind;
        token.text = std::string(text);
        advance(text.size());
        return common::Status::ok();
      }
    }
    std::string hint;
    if (c == '=') {
      hint = " (did you mean '=='?)";
    } else if (c == '&') {
      hint = " (did you mean '&&'?)";
    } else if (c == '|') {
      hint = " (did you mean '||'?)";
    }
    std::size_t length = 1;
    while (i_ + length < src_.size() &&
           (static_cast<unsigned char>(src_[i_ + length]) & 0xC0) == 0x80) {
      ++length;
    }
    return celCompileError(
        "syntax error: unexpected character '" + std::string(src_.substr(i_, length)) + "'", pos_,
        hint);
  }

  common::Status identifierOrString(CelToken& token) {
    // A string may carry a prefix: b (bytes), r (raw) or br.
    std::size_t prefix = 0;
    bool bytes = false;
    bool raw = false;
    if (peek(prefix) == 'b' || peek(prefix) == 'B') {
      bytes = true;
      ++prefix;
    }
    if (peek(prefix) == 'r' || peek(prefix) == 'R') {
      raw = true;
      ++prefix;
    }
    if (prefix > 0 && (peek(prefix) == '"' || peek(prefix) == '\'')) {
      advance(prefix);
      return string(token, raw, bytes);
    }
    std::size_t start = i_;
    while (isIdentPart(peek())) {
      advance();
    }
    token.text = std::string(src_.substr(start, i_ - start));
    token.kind = CelTokenKind::kIdent;
    if (token.text == "true") {
      token.kind = CelTokenKind::kTrue;
    } else if (token.text == "false") {
      token.kind = CelTokenKind::kFalse;
    } else if (token.text == "null") {
      token.kind = CelTokenKind::kNull;
    } else if (token.text == "in") {
      token.kind = CelTokenKind::kIn;
    }
    return common::Status::ok();
  }

  void digits(bool hex) {
    while (hex ? isHex(peek()) : isDigit(peek())) {
      advance();
    }
  }

  void number(CelToken& token) {
    std::size_t start = i_;
    token.kind = CelTokenKind::kInt;
    if (peek() == '0' && peek(1) == 'x' && isHex(peek(2))) {
      advance(2);
      digits(true);
    } else {
      digits(false);
      if (peek() == '.' && isDigit(peek(1))) {
        advance();
        digits(false);
        token.kind = CelTokenKind::kDouble;
      }
      char sign = peek(1);
      if ((peek() == 'e' || peek() == 'E') &&
          (isDigit(sign) || ((sign == '+' || sign == '-') && isDigit(peek(2))))) {
        advance(2);
        digits(false);
        token.kind = CelTokenKind::kDouble;
      }
    }
    token.text = std::string(src_.substr(start, i_ - start));
    if (token.kind == CelTokenKind::kInt && (peek() == 'u' || peek() == 'U')) {
      advance();
      token.kind = CelTokenKind::kUint;
    }
  }

  common::Status string(CelToken& token, bool raw, bool bytes) {
    CelPos start = token.pos;
    char quote = peek();
    bool triple = peek(1) == quote && peek(2) == quote;
    advance(triple ? 3 : 1);
    std::string out;
    for (;;) {
      if (i_ >= src_.size()) {
        return celCompileError("syntax error: unterminated string literal", start);
      }
      char c = peek();
      if (triple && c == quote && peek(1) == quote && peek(2) == quote) {
        advance(3);
        break;
      }
      if (!triple && c == quote) {
        advance();
        break;
      }
      if (!triple && (c == '\n' || c == '\r')) {
        return celCompileError("syntax error: unterminated string literal", start);
      }
      if (c == '\\' && !raw) {
        common::Status status = escape(out);
        if (!status.isOk()) {
          return status;
        }
        continue;
      }
      out += c;
      advance();
    }
    token.kind = bytes ? CelTokenKind::kBytes : CelTokenKind::kString;
    token.text = std::move(out);
    return common::Status::ok();
  }

  // Decodes one escape sequence (the backslash is at i_) as cel-go does for strings: numeric
  // escapes name a code point, which is appended as UTF-8.
  common::Status escape(std::string& out) {
    CelPos at = pos_;
    char e = peek(1);
    auto invalid = [&](std::size_t length) {
      return celCompileError(
          "syntax error: invalid escape sequence '" + std::string(src_.substr(i_, length)) + "'",
          at);
    };
    static constexpr std::string_view kSimple = "abfnrtv\\'\"`?";
    static constexpr std::string_view kSimpleValue = "\a\b\f\n\r\t\v\\'\"`?";
    if (std::size_t k = kSimple.find(e); e != '\0' && k != std::string_view::npos) {
      out += kSimpleValue[k];
      advance(2);
      return common::Status::ok();
    }
    std::size_t count = 0;
    int base = 16;
    if (e == 'x' || e == 'X') {
      count = 2;
    } else if (e == 'u') {
      count = 4;
    } else if (e == 'U') {
      count = 8;
    } else if (e >= '0' && e <= '3') {
      count = 3;
      base = 8;
    } else {
      return invalid(e == '\0' ? 1 : 2);
    }
    std::size_t first = base == 8 ? 1 : 2;
    std::uint32_t cp = 0;
    for (std::size_t k = 0; k < count; ++k) {
      char d = peek(first + k);
      bool ok = base == 8 ? (d >= '0' && d <= '7') : isHex(d);
      if (!ok) {
        return invalid(first + k + (d == '\0' ? 0 : 1));
      }
      cp = cp * base + (base == 8 ? d - '0' : hexValue(d));
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return celCompileError("syntax error: invalid unicode code point in escape sequence '" +
                                 std::string(src_.substr(i_, first + count)) + "'",
                             at);
    }
    appendUtf8(out, cp);
    advance(first + count);
    return common::Status::ok();
  }

  std::string_view src_;
  std::size_t i_ = 0;
  CelPos pos_;
};

}  // namespace

common::Result<std::vector<CelToken>> lexCel(std::string_view expression) {
  return Lexer(expression).run();
}

common::Result<CelLiteral> celNumberLiteral(const CelToken& token, bool negative) {
  auto invalid = [](const char* type) {
    return common::Status(common::Code::kInvalidArgument,
                          std::string("invalid ") + type + " literal");
  };
  if (token.kind == CelTokenKind::kDouble) {
    std::string text = (negative ? "-" : "") + token.text;
    errno = 0;
    double value = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(value)) {
      return invalid("double");  // Go's ParseFloat fails on overflow, not on underflow
    }
    return CelLiteral(value);
  }
  bool hex = token.text.size() > 2 && token.text[1] == 'x';
  std::string_view digits = hex ? std::string_view(token.text).substr(2) : token.text;
  std::uint64_t magnitude = 0;
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, hex ? 16 : 10);
  bool parsed = ec == std::errc() && end == digits.data() + digits.size();
  if (token.kind == CelTokenKind::kUint) {
    return parsed ? common::Result<CelLiteral>(CelLiteral(magnitude)) : invalid("uint");
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!parsed || magnitude > kMax + (negative ? 1 : 0)) {
    return invalid("int");
  }
  if (!negative) {
    return CelLiteral(static_cast<std::int64_t>(magnitude));
  }
  return CelLiteral(magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                          : -static_cast<std::int64_t>(magnitude));
}

}  // namespace dbtoken::kubedouble
