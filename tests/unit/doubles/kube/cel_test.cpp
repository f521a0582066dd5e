#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kube/cel.h"

using dbtoken::kubedouble::CelProgram;
using nlohmann::json;

namespace {

// "true", "false", "error: <runtime error>" or "compile error: <compile error>": one string per
// outcome keeps the tables readable.
std::string outcome(std::string_view rule, const json& self = json::object(),
                    const json* oldSelf = nullptr) {
  auto program = CelProgram::compile(rule);
  if (!program.ok()) {
    return "compile error: " + program.status().message();
  }
  auto result = program->evaluate(self, oldSelf);
  if (!result.ok()) {
    return "error: " + result.status().message();
  }
  return *result ? "true" : "false";
}

std::string compileError(std::string_view rule) {
  auto program = CelProgram::compile(rule);
  return program.ok() ? "compiled" : program.status().message();
}

// A self that has a bit of everything.
const json kSelf = json::parse(R"({
  "flag": false, "on": true, "i": 5, "neg": -1, "zero": 0, "d": 1.5, "one": 1.0,
  "big": 18446744073709551615, "min": -9223372036854775808, "s": "abc", "e": "",
  "unicode": "h\u00e9llo \u65e5\u672c \ud83d\ude00", "n": null, "l": [1, 2, 3],
  "strs": ["a", "b"], "m": {"k": 1, "o": {"p": true}, "nul": null}, "empty": {}
})");

const char* const kUnRevoke = "!has(oldSelf.revoked) || !oldSelf.revoked || self.revoked";

}  // namespace

TEST_CASE("CEL: the un-revoke rule rejects only turning a revoked token back on") {
  struct Row {
    const char* sentence;
    const char* oldSpec;
    const char* newSpec;
    const char* expected;
  };
  const Row rows[] = {
      {"a token that never had the field may stay unrevoked", "{}", R"({"revoked": false})",
       "true"},
      {"a token that never had the field may be revoked", "{}", R"({"revoked": true})", "true"},
      {"an unrevoked token may stay unrevoked", R"({"revoked": false})", R"({"revoked": false})",
       "true"},
      {"an unrevoked token may be revoked", R"({"revoked": false})", R"({"revoked": true})",
       "true"},
      {"a revoked token may not be un-revoked", R"({"revoked": true})", R"({"revoked": false})",
       "false"},
      {"a revoked token may stay revoked", R"({"revoked": true})", R"({"revoked": true})", "true"},
      {"an unrevoked token may lose the field: the decided || absorbs the missing key",
       R"({"revoked": false})", "{}", "true"},
      {"a revoked token that loses the field is an error, not a pass (defaults prevent this)",
       R"({"revoked": true})", "{}", "error: no such key: revoked"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      json oldSpec = json::parse(row.oldSpec);
      CHECK(outcome(kUnRevoke, json::parse(row.newSpec), &oldSpec) == row.expected);
    }
  }
}

TEST_CASE("CEL: a rule that mentions oldSelf is a transition rule and needs the old object") {
  auto transition = CelProgram::compile(kUnRevoke);
  REQUIRE(transition.ok());
  CHECK(transition->isTransitionRule());
  auto missingOld = transition->evaluate(json::object(), nullptr);
  REQUIRE_FALSE(missingOld.ok());
  CHECK(missingOld.status().message() ==
        "no such attribute: oldSelf (a transition rule needs the old object)");

  auto plain = CelProgram::compile("self.on");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->isTransitionRule());
  json ignored = "not even an object";
  CHECK(plain->evaluate(kSelf, &ignored).valueOr(false));
}

TEST_CASE("CEL: programs are values that outlive their source text and share one tree") {
  auto compiled = CelProgram::compile(std::string("self.s == 'abc' && size(self.l) == 3"));
  REQUIRE(compiled.ok());
  CelProgram copy = *compiled;
  CelProgram assigned = copy;
  compiled = CelProgram::compile("false").value();
  CHECK(copy.evaluate(kSelf, nullptr).valueOr(false));
  CHECK(assigned.evaluate(kSelf, nullptr).valueOr(false));
  CHECK(assigned.expression() == "self.s == 'abc' && size(self.l) == 3");
  CHECK_FALSE(compiled->evaluate(kSelf, nullptr).valueOr(true));
}

TEST_CASE("CEL: operators bind with CEL's precedence") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"&& binds tighter than ||", "true || false && false", "true"},
      {"parentheses override precedence", "(true || false) && false", "false"},
      {"! binds tighter than &&", "!false && false", "false"},
      {"relations bind tighter than &&", "1 < 2 && 2 < 3", "true"},
      {"relations bind tighter than ||", "1 > 2 || 3 > 2", "true"},
      {"== and < share one level and group to the left", "false == false < false", "false"},
      {"in is a relation that binds tighter than &&", "'a' in self.strs && !('c' in self.strs)",
       "true"},
      {"the conditional binds loosest", "true ? false : true || true", "false"},
      {"the conditional groups to the right", "true ? false : true ? true : true", "false"},
      {"a conditional in the middle operand needs parentheses",
       "false ? (true ? false : false) : true", "true"},
      {"unary minus binds tighter than relations", "-self.i < 0 && -1 < 0", "true"},
      {"member selection binds tighter than !", "!self.flag", "true"},
      {"member selection binds tighter than unary minus", "-self.m.k == -1", "true"},
      {"an even run of ! cancels out", "!!self.on", "true"},
      {"an odd run of ! negates once", "!!!self.on", "false"},
      {"an even run of - cancels out", "--self.i == 5", "true"},
      {"a receiver call binds to the member before it", "self.s.size() == 3", "true"},
      {"&& chains evaluate left to right as one", "true && true && true && self.on", "true"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: && and || absorb errors whichever side the deciding operand is on") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"false on the left of && decides", "false && self.missing", "false"},
      {"false on the right of && decides", "self.missing && false", "false"},
      {"true on the left of || decides", "true || self.missing", "true"},
      {"true on the right of || decides", "self.missing || true", "true"},
      {"true && error is the error", "true && self.missing", "error: no such key: missing"},
      {"error || false is the error", "self.missing || false", "error: no such key: missing"},
      {"of two errors the first one in the text wins", "self.missing || self.absent",
       "error: no such key: missing"},
      {"a decider anywhere in a chain absorbs errors before it",
       "self.missing && self.absent && false", "false"},
      {"a non-bool operand is absorbed like an error", "self.i && false", "false"},
      {"a non-bool operand that is not absorbed is no such overload", "self.i || false",
       "error: no such overload: _||_(int)"},
      {"the branch a conditional does not take is not evaluated", "self.on ? true : self.missing",
       "true"},
      {"an erroneous condition makes the conditional an error", "self.missing ? true : true",
       "error: no such key: missing"},
      {"a non-bool condition is no such overload", "self.s ? true : true",
       "error: no such overload: _?_:_(string)"},
      {"! passes an error through", "!self.missing", "error: no such key: missing"},
      {"== passes an error through", "self.missing == 1", "error: no such key: missing"},
      {"a list literal passes an element's error through", "[1, self.missing] == [1]",
       "error: no such key: missing"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: field selection reads maps and reports missing keys as cel-go does") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"a nested field is read", "self.m.o.p", "true"},
      {"a missing key is an error naming the key", "self.m.q == 1", "error: no such key: q"},
      {"a missing parent is reported, not the child", "self.x.y == 1", "error: no such key: x"},
      {"a field holding null reads as null", "self.m.nul == null", "true"},
      {"selecting on null is a missing key, as in cel-go", "self.n.y == 1",
       "error: no such key: y"},
      {"selecting on a string is refused", "self.s.y == 1",
       "error: type 'string' does not support field selection"},
      {"selecting on a list is refused", "self.l.y == 1",
       "error: type 'list' does not support field selection"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: has() tests presence of the last field only") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"a present field is present", "has(self.i)", "true"},
      {"an absent field is absent", "!has(self.revoked)", "true"},
      {"a field present with a null value is present", "has(self.m.nul)", "true"},
      {"a nested present field is present", "has(self.m.o.p)", "true"},
      {"a nested absent field under a present parent is absent", "!has(self.m.o.q)", "true"},
      {"a field of an empty object is absent", "!has(self.empty.a)", "true"},
      {"a missing parent is an error, as in CEL", "has(self.x.y)", "error: no such key: x"},
      {"a missing grandparent is an error naming it", "has(self.x.y.z)", "error: no such key: x"},
      {"a field of null is absent, as in cel-go", "!has(self.n.y)", "true"},
      {"a field of a number is refused", "has(self.i.y)",
       "error: type 'int' does not support field selection"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: size() counts code points, list elements and map entries") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"an ASCII string counts its characters", "size(self.s) == 3", "true"},
      {"the empty string has size 0", "size(self.e) == 0", "true"},
      {"accented letters, CJK and emoji count one each", "size(self.unicode) == 10", "true"},
      {"the receiver form counts the same", "self.unicode.size() == 10", "true"},
      {"a literal with escapes counts decoded code points", "'\\u00e9\\U0001F600\\x41'.size() == 3",
       "true"},
      {"a list counts its elements", "size(self.l) == 3 && [].size() == 0", "true"},
      {"a map counts its entries", "size(self.m) == 3 && size(self.empty) == 0", "true"},
      {"a number has no size", "size(self.i) == 1", "error: no such overload: size(int)"},
      {"null has no size", "self.n.size() == 0", "error: no such overload: size(null_type)"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: equality is heterogeneous, numeric across int, uint and double, deep otherwise") {
  json self = kSelf;
  self["same"] = json::parse(R"({"o": {"p": true}, "nul": null, "k": 1.0})");
  self["other"] = json::parse(R"({"o": {"p": false}, "nul": null, "k": 1})");
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"int and double compare by value", "self.one == 1 && self.d != 1", "true"},
      {"int and uint compare by value", "self.i == 5u && self.big != -1", "true"},
      {"a string never equals a number", "self.s == 1", "false"},
      {"a string is unequal to a number", "self.s != 1", "true"},
      {"null equals only null", "self.n == null && self.i != null && self.e != null", "true"},
      {"a bool never equals an int", "self.flag == 0", "false"},
      {"lists compare element by element with numeric equality", "self.l == [1.0, 2u, 3]", "true"},
      {"lists of different lengths differ", "self.l != [1, 2]", "true"},
      {"maps compare deeply whatever the key order", "self.m == self.same", "true"},
      {"maps with one different value differ", "self.m != self.other", "true"},
      {"a map never equals a list", "self.m == self.l", "false"},
      {"mixed list literals are allowed and compare element-wise", "[1, 'a'] == [1, 'a']", "true"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, self) == row.expected);
    }
  }
}

TEST_CASE("CEL: with its schema, a list-type map or set equals a reordering of itself") {
  // As apiextensions' unstructuredMapList and unstructuredSetList: order is not part of the
  // value; an atomic list (the default) still compares element by element.
  const json schema = json::parse(R"({"type": "object", "properties": {
    "map": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["action", "database"],
            "items": {"type": "object", "properties": {
              "action": {"type": "string"}, "database": {"type": "string"},
              "tags": {"type": "array", "x-kubernetes-list-type": "set",
                       "items": {"type": "string"}}}}},
    "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
    "atomic": {"type": "array", "items": {"type": "string"}}}})");
  const json self = json::parse(R"({
    "map": [{"action": "read", "database": "a", "tags": ["x", "y"]},
            {"action": "write", "database": "a"}],
    "set": ["x", "y"], "atomic": ["x", "y"]})");
  auto run = [&](const json& old, const char* rule = "self.map == oldSelf.map") {
    auto program = CelProgram::compile(rule);
    REQUIRE(program.ok());
    auto result = program->evaluate(self, &old, &schema);
    REQUIRE(result.ok());
    return *result;
  };
  SECTION("a map list with its elements in another order is equal") {
    CHECK(run(json::parse(R"({"map": [{"action": "write", "database": "a"},
        {"action": "read", "database": "a", "tags": ["y", "x"]}]})")));
  }
  SECTION("a map list whose element under one key changed is not equal") {
    CHECK_FALSE(run(json::parse(R"({"map": [{"action": "write", "database": "a"},
        {"action": "read", "database": "a", "tags": ["x"]}]})")));
  }
  SECTION("a map list with another key is not equal") {
    CHECK_FALSE(run(json::parse(R"({"map": [{"action": "write", "database": "a"},
        {"action": "read", "database": "b", "tags": ["x", "y"]}]})")));
  }
  SECTION("a map list of another length is not equal") {
    CHECK_FALSE(run(json::parse(R"({"map": [{"action": "write", "database": "a"}]})")));
    CHECK(run(json::parse(R"({"map": []})"), "self.map != oldSelf.map"));
  }
  SECTION("a set list in another order is equal, with other elements it is not") {
    CHECK(run(json::parse(R"({"set": ["y", "x"]})"), "self.set == oldSelf.set"));
    CHECK_FALSE(run(json::parse(R"({"set": ["y", "z"]})"), "self.set == oldSelf.set"));
  }
  SECTION("an atomic list in another order is not equal") {
    CHECK_FALSE(run(json::parse(R"({"atomic": ["y", "x"]})"), "self.atomic == oldSelf.atomic"));
  }
  SECTION("without a schema, every list is atomic") {
    auto program = CelProgram::compile("self.set == oldSelf.set");
    REQUIRE(program.ok());
    json old = json::parse(R"({"set": ["y", "x"]})");
    CHECK_FALSE(*program->evaluate(self, &old));
  }
}

TEST_CASE("CEL: ordering works on numbers across types, strings and bools, and nothing else") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"ints order", "self.neg < self.zero && self.i >= 5 && self.i <= 5 && self.i > 4", "true"},
      {"an int and a double order by value", "self.i > self.d && 1 < 1.5", "true"},
      {"a negative int is below every uint", "self.neg < 0u && self.big > self.i", "true"},
      {"an int meets a double as a double, as in cel-go (2^63-1 rounds up to 2^63)",
       "9223372036854775807 >= 9223372036854775808.0", "true"},
      {"a uint and a double order by value", "self.big > 1.0e19 && 0u > -0.5", "true"},
      {"strings order by code point", "'Z' < 'a' && 'z' < '\\u00e9' && 'ab' < 'abc'", "true"},
      {"bools order false before true", "false < true && !(true < true)", "true"},
      {"a string and a number have no ordering", "self.s < 1",
       "error: no such overload: _<_(string, int)"},
      {"null has no ordering", "self.n >= 0", "error: no such overload: _>=_(null_type, int)"},
      {"lists have no ordering", "self.l > self.l", "error: no such overload: _>_(list, list)"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: in looks for a value in a list or a key in a map") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"a string in a list literal", "self.s in ['x', 'abc']", "true"},
      {"a string not in a list", "!('q' in self.strs)", "true"},
      {"list membership uses numeric equality", "self.one in self.l && 2u in self.l", "true"},
      {"nothing is in the empty list", "!(self.s in [])", "true"},
      {"a key in a map", "'k' in self.m && !('q' in self.m)", "true"},
      {"a key whose value is null is in the map", "'nul' in self.m", "true"},
      {"a non-string key is no such overload on an object", "1 in self.m",
       "error: no such overload: @in(int, map)"},
      {"a string is not a container", "'a' in self.s",
       "error: no such overload: @in(string, string)"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: literals are read as cel-go reads them") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"a negative int literal", "self.neg == -1", "true"},
      {"the smallest int literal", "self.min == -9223372036854775808", "true"},
      {"a hex int literal", "0x1F == 31 && 0xffu == 255u", "true"},
      {"leading zeros are decimal", "007 == 7", "true"},
      {"a uint literal", "self.big == 18446744073709551615u", "true"},
      {"doubles with fractions and exponents", "1.5e3 == 1500.0 && .5 == 0.5 && 2E-1 == 0.2",
       "true"},
      {"single and double quotes mean the same", "'abc' == \"abc\"", "true"},
      {"the usual escapes", "'a\\tb\\n\\\\\\'\\\"' == \"a\\u0009b\\x0a\\134'\\042\"", "true"},
      {"octal, hex and unicode escapes name code points", "'\\303' == '\\u00c3'", "true"},
      {"a raw string keeps backslashes", "r'\\n'.size() == 2 && R\"\\d\" == '\\\\d'", "true"},
      {"triple quotes allow quotes and newlines", "'''it's\nfine''' == \"it's\\nfine\"", "true"},
      {"a UTF-8 literal matches UTF-8 JSON",
       "self.unicode == 'h\xC3\xA9llo \\u65e5\\u672c \\U0001F600'", "true"},
      {"negating the smallest int overflows", "-self.min < 0", "error: integer overflow"},
      {"comments and line breaks are whitespace", "// the flag\nself.on // is set\n && true",
       "true"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(outcome(row.rule, kSelf) == row.expected);
    }
  }
}

TEST_CASE("CEL: JSON numbers become int, uint only beyond int64, and double") {
  json self = json::parse(R"({"small": 7, "huge": 9223372036854775808, "real": 2.0})");
  CHECK(self["small"].is_number_unsigned());  // how nlohmann reads it; CEL must still see an int
  CHECK(outcome("self.small == 7 && -self.small == -7", self) == "true");
  CHECK(outcome("-self.huge == 0", self) == "error: no such overload: -_(uint)");
  CHECK(outcome("self.huge == 9223372036854775808u", self) == "true");
  CHECK(outcome("-self.real == -2", self) == "true");
}

TEST_CASE("CEL: a rule whose result is not a bool is an error at run time") {
  CHECK(outcome("self.s", kSelf) ==
        "error: no such overload: the rule evaluated to a value of type 'string', not bool");
  CHECK(outcome("self.on ? self.i : true", kSelf) ==
        "error: no such overload: the rule evaluated to a value of type 'int', not bool");
}

TEST_CASE("CEL: only self and oldSelf are declared") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"an unknown identifier is undeclared", "x == 1", "undeclared reference to 'x' at 1:1"},
      {"an unknown identifier deeper in the rule is found", "self.a == other.a",
       "undeclared reference to 'other' at 1:11"},
      {"a function name alone is undeclared", "size == 1", "undeclared reference to 'size' at 1:1"},
      {"a reserved word cannot be an identifier", "if == 1", "reserved identifier: if at 1:1"},

  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(compileError(row.rule) == row.expected);
    }
  }
}

TEST_CASE("CEL: type errors visible without the schema are refused at compile time") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"a rule must be a bool", "self.s.size()",
       "cel expression must evaluate to a bool, but evaluates to 'int'"},
      {"a literal rule must be a bool too", "'yes'",
       "cel expression must evaluate to a bool, but evaluates to 'string'"},
      {"! needs a bool", "!1", "found no matching overload for '!_' applied to '(int)' at 1:1"},
      {"- needs a number", "-'a' == 'a'",
       "found no matching overload for '-_' applied to '(string)' at 1:1"},
      {"- has no uint overload", "-1u == 1u",
       "found no matching overload for '-_' applied to '(uint)' at 1:1"},
      {"&& needs bools", "1 && true",
       "found no matching overload for '_&&_' applied to '(int, bool)' at 1:3"},
      {"== needs operands of one type", "1 == 1.0",
       "found no matching overload for '_==_' applied to '(int, double)' at 1:3"},
      {"null is not an int", "self.on && 1 != null",
       "found no matching overload for '_!=_' applied to '(int, null_type)' at 1:14"},
      {"list element types must agree for ==", "[1] == ['a']",
       "found no matching overload for '_==_' applied to '(list(int), list(string))' at 1:5"},
      {"ordering needs comparable types", "'a' < 1",
       "found no matching overload for '_<_' applied to '(string, int)' at 1:5"},
      {"null has no ordering even against dyn", "null < self.i",
       "found no matching overload for '_<_' applied to '(null_type, dyn)' at 1:6"},
      {"in needs a list of the same element type", "1 in ['a']",
       "found no matching overload for '@in' applied to '(int, list(string))' at 1:3"},
      {"in needs a container", "'a' in 'abc'",
       "found no matching overload for '@in' applied to '(string, string)' at 1:5"},
      {"the condition must be a bool", "1 ? true : false",
       "found no matching overload for '_?_:_' applied to '(int, bool, bool)' at 1:3"},
      {"both branches need one type", "self.on ? 1 : 'a'",
       "found no matching overload for '_?_:_' applied to '(dyn, int, string)' at 1:9"},
      {"size needs a string, list or map", "size(true) == 1",
       "found no matching overload for 'size' applied to '(bool)' at 1:1"},
      {"size takes one operand", "size(self.s, self.l) == 1",
       "found no matching overload for 'size' applied to 2 arguments at 1:1"},
      {"a literal has no fields", "(1).a == 1",
       "type 'int' does not support field selection at 1:5"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(compileError(row.rule) == row.expected);
    }
  }
}

TEST_CASE("CEL: every construct outside the subset is refused at compile time, with its place") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;  // followed by " (the double supports: ...)"
  };
  const Row rows[] = {
      {"matches", "self.s.matches('^a')", "function 'matches' at 1:8"},
      {"startsWith", "self.s.startsWith('a')", "function 'startsWith' at 1:8"},
      {"a conversion function", "int(self.d) > 0", "function 'int' at 1:1"},
      {"timestamp", "timestamp(self.t) > timestamp('2030-01-01T00:00:00Z')",
       "function 'timestamp' at 1:1"},
      {"duration", "duration('1h') > duration('1m')", "function 'duration' at 1:1"},
      {"type", "type(self) == map", "function 'type' at 1:1"},
      {"the all macro", "self.l.all(x, x > 0)", "macro 'all' at 1:8"},
      {"the exists macro", "self.l.exists(x, x > 0)", "macro 'exists' at 1:8"},
      {"the exists_one macro", "self.l.exists_one(x, x > 0)", "macro 'exists_one' at 1:8"},
      {"the map macro", "size(self.l.map(x, x)) > 0", "macro 'map' at 1:13"},
      {"the filter macro", "size(self.l.filter(x, x > 0)) > 0", "macro 'filter' at 1:13"},
      {"cel.bind", "cel.bind(x, 1, x > 0)", "macro 'bind' at 1:5"},
      {"indexing", "self.l[0] == 1", "index operator '[]' at 1:7"},
      {"addition", "self.i + 1 == 6", "operator '+' at 1:8"},
      {"subtraction", "self.i - 1 == 4", "operator '-' at 1:8"},
      {"subtraction without spaces", "self.i-1 == 4", "operator '-' at 1:7"},
      {"multiplication", "self.i * 2 == 10", "operator '*' at 1:8"},
      {"division", "self.i / 2 == 2", "operator '/' at 1:8"},
      {"remainder", "self.i % 2 == 1", "operator '%' at 1:8"},
      {"a map literal", "self.m == {'k': 1}", "map literal '{...}' at 1:11"},
      {"a message literal", "self.m == Msg{k: 1}", "message construction 'Type{...}' at 1:14"},
      {"a bytes literal", "self.s == b'abc'", "bytes literal at 1:11"},
      {"optional field selection", "self.?s == 'abc'", "optional field selection '.?' at 1:5"},
      {"optional chaining as other languages write it", "self?.s == 'abc'",
       "optional chaining '?.' (CEL spells optional selection '.?', also unsupported) at 1:5"},
      {"an optional index", "self.l[?0] == 1", "optional index '[?' at 1:7"},
      {"an optional list element", "[?self.s] == ['abc']", "optional list element '[?' at 1:2"},
      {"a root-scoped name", ".self.on", "leading '.' (a root-scoped name) at 1:1"},
      {"a field named like a reserved word", "self.namespace == 'x'",
       "field 'namespace', a CEL reserved word (Kubernetes spells it '__namespace__') at 1:6"},
      {"an escaped field name", "self.a__dash__b == 'x'",
       "escaped field name 'a__dash__b' (Kubernetes property-name escaping) at 1:6"},
  };
  const std::string suffix = " (the double supports: ";
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      std::string message = compileError(row.rule);
      CHECK_THAT(message,
                 Catch::StartsWith("unsupported CEL: " + std::string(row.expected) + suffix) &&
                     Catch::EndsWith("in)"));
    }
  }
}

TEST_CASE("CEL: malformed rules are syntax errors that point at line and column") {
  struct Row {
    const char* sentence;
    const char* rule;
    const char* expected;
  };
  const Row rows[] = {
      {"an empty rule", "", "syntax error: expected an expression but found end of input at 1:1"},
      {"a blank rule", "  \n ",
       "syntax error: expected an expression but found end of input at 2:2"},
      {"a dangling dot", "self.",
       "syntax error: expected a field name after '.' but found end of input at 1:6"},
      {"a dot before a keyword", "self.in",
       "syntax error: expected a field name after '.' but found 'in' at 1:6"},
      {"an unclosed parenthesis", "(self",
       "syntax error: expected ')' but found end of input at 1:6"},
      {"an unclosed list", "[1, 2", "syntax error: expected ']' but found end of input at 1:6"},
      {"an unterminated string", "'unterminated",
       "syntax error: unterminated string literal at 1:1"},
      {"a string broken by a newline", "self.s == 'ab\ncd'",
       "syntax error: unterminated string literal at 1:11"},
      {"a missing right operand",
       "a ==", "syntax error: expected an expression but found end of input at 1:5"},
      {"a conditional in the middle of a conditional", "false ? true ? false : false : true",
       "syntax error: expected ':' but found '?' at 1:14"},
      {"a conditional without its else", "self.on ? true",
       "syntax error: expected ':' but found end of input at 1:15"},
      {"a stray closing parenthesis", "self.on)",
       "syntax error: expected end of input but found ')' at 1:8"},
      {"two expressions in a row", "self.on self.flag",
       "syntax error: expected end of input but found 'self' at 1:9"},
      {"a single =", "self.i = 5",
       "syntax error: unexpected character '=' at 1:8 (did you mean '=='?)"},
      {"a single &", "self.on & self.on",
       "syntax error: unexpected character '&' at 1:9 (did you mean '&&'?)"},
      {"a character CEL does not use", "self.on #",
       "syntax error: unexpected character '#' at 1:9"},
      {"columns count code points, not bytes", "'\xE6\x97\xA5\xE6\x9C\xAC' == self.s @",
       "syntax error: unexpected character '@' at 1:16"},
      {"lines are counted", "self.on &&\n  (self.flag",
       "syntax error: expected ')' but found end of input at 2:13"},
      {"an unknown escape", "'\\q'", "syntax error: invalid escape sequence '\\q' at 1:2"},
      {"a short hex escape", "'\\x4'", "syntax error: invalid escape sequence '\\x4'' at 1:2"},
      {"a surrogate code point", "'\\uD800' == ''",
       "syntax error: invalid unicode code point in escape sequence '\\uD800' at 1:2"},
      {"an int literal beyond int64", "9223372036854775808 > 0", "invalid int literal at 1:1"},
      {"a uint literal beyond uint64", "18446744073709551616u > 0u", "invalid uint literal at 1:1"},
      {"a double literal beyond double", "1e999 > 0.0", "invalid double literal at 1:1"},
      {"has without a field selection", "has(self)", "invalid argument to has() macro at 1:5"},
      {"has with two arguments", "has(self.a, self.b)", "invalid argument to has() macro at 1:10"},
      {"has without an argument", "has()", "invalid argument to has() macro at 1:1"},
      {"a call without its closing parenthesis", "size(self.s",
       "syntax error: expected ')' but found end of input at 1:12"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      CHECK(compileError(row.rule) == row.expected);
    }
  }
}

TEST_CASE("CEL: nesting is bounded like cel-go's parser, long flat chains are not") {
  std::string deep = std::string(300, '(') + "true" + std::string(300, ')');
  CHECK(compileError(deep) == "expression recursion limit exceeded: 250 at 1:251");
  std::string nested = std::string(200, '(') + "true" + std::string(200, ')');
  CHECK(outcome(nested) == "true");

  std::string chain = "self.on";
  for (int i = 0; i < 2000; ++i) {
    chain += " && self.on";
  }
  CHECK(outcome(chain, kSelf) == "true");
  CHECK(outcome(std::string(1001, '!') + "self.flag", kSelf) == "true");
}
