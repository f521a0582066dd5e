// Splits a CEL rule into tokens, following the lexical rules of the CEL grammar (cel-spec
// CEL.g4): identifiers, int/uint/double literals, quoted and raw strings with CEL's escapes,
// operators and `//` comments. It decodes string literals; numbers are converted separately, by
// celNumberLiteral, because the parser decides whether a leading '-' belongs to the literal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kube/cel_ast.h"

namespace dbtoken::kubedouble {

enum class CelTokenKind {
  kEnd,
  kIdent,
  kInt,     // text: digits or 0x-hex, no sign
  kUint,    // text: without the u suffix
  kDouble,  // text: as written
  kString,  // text: the decoded value
  kBytes,   // b'...' (refused by the parser)
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
};

struct CelToken {
  CelTokenKind kind = CelTokenKind::kEnd;
  std::string text;    // see CelTokenKind; for operators and identifiers the source text
  std::string source;  // the token as written, for "found ..." in messages
  CelPos pos;
};

// The tokens of expression, ending with one kEnd token; or a syntax error naming its position.
common::Result<std::vector<CelToken>> lexCel(std::string_view expression);

// The value of a kInt, kUint or kDouble token, negated if negative, read as cel-go reads it
// (base 10, or 16 after 0x). Out of range: "invalid int literal" (uint, double likewise).
common::Result<CelLiteral> celNumberLiteral(const CelToken& token, bool negative);

}  // namespace dbtoken::kubedouble
