// A CEL value during evaluation, and CEL's equality and ordering on it. Values borrow: strings,
// lists and maps read from the JSON being validated (or from the rule's literals) are views, so
// the JSON and the program must outlive the values, which they do within one evaluation.
// JSON maps to CEL as Kubernetes does: object → map, array → list, integer → int (uint only when
// it does not fit int64), floating number → double. A value read from JSON may carry its schema
// node: lists with x-kubernetes-list-type map or set then compare ignoring element order, as
// apiextensions' unstructuredMapList and unstructuredSetList do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

class CelValue {
 public:
  enum class Kind { kNull, kBool, kInt, kUint, kDouble, kString, kList, kMap };

  CelValue() = default;  // null
  static CelValue boolean(bool b);
  static CelValue integer(std::int64_t i);
  static CelValue unsignedInteger(std::uint64_t u);
  static CelValue floating(double d);
  static CelValue string(std::string_view s);
  static CelValue list(std::vector<CelValue> items);
  // schema, when given, is the structural schema node of json; it must outlive the value.
  static CelValue fromJson(const nlohmann::json& json, const nlohmann::json* schema = nullptr);

  Kind kind() const { return kind_; }
  bool isNumber() const {
    return kind_ == Kind::kInt || kind_ == Kind::kUint || kind_ == Kind::kDouble;
  }
  bool asBool() const { return b_; }
  std::int64_t asInt() const { return i_; }
  std::uint64_t asUint() const { return u_; }
  double asDouble() const { return d_; }
  std::string_view asString() const { return s_; }

  // Lists and maps.
  std::size_t size() const;
  CelValue at(std::size_t index) const;  // lists
  // Maps: the value under key, if present.
  std::optional<CelValue> find(std::string_view key) const;
  const nlohmann::json& mapJson() const { return *json_; }
  const nlohmann::json* schema() const { return schema_; }

 private:
  Kind kind_ = Kind::kNull;
  bool b_ = false;
  std::int64_t i_ = 0;
  std::uint64_t u_ = 0;
  double d_ = 0;
  std::string_view s_;
  const nlohmann::json* json_ = nullptr;                // a list or map read from JSON
  const nlohmann::json* schema_ = nullptr;              // its schema node, when known
  std::shared_ptr<const std::vector<CelValue>> items_;  // a list built by a list literal
};

// CEL's name for the value's type, as in error messages: "int", "null_type", "map".
const char* celTypeName(CelValue::Kind kind);

// Heterogeneous equality (cel-go): numbers compare by value across int, uint and double; lists
// and maps compare element-wise; values of different types are unequal. When a (the left
// operand, whose Equal cel-go calls) is a list with x-kubernetes-list-type map, b's elements are
// matched to a's by their key fields; with list-type set, b's elements need only be in a.
bool celEquals(const CelValue& a, const CelValue& b);

// -1, 0 or 1 for values CEL can order: numbers (across types), strings (by code point), bools
// (false < true). Nothing when the pair has no ordering (or a NaN is involved).
std::optional<int> celCompare(const CelValue& a, const CelValue& b);

// The number of code points in a UTF-8 string (what CEL's size() returns for strings).
std::int64_t celCodePoints(std::string_view s);

}  // namespace dbtoken::kubedouble
