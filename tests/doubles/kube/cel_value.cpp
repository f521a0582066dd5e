#include "kube/cel_value.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace dbtoken::kubedouble {
namespace {

int sign(double a, double b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

// cel-go's compareIntDouble / compareUintDouble: out-of-range doubles order outside every
// integer; otherwise the integer is compared as a double.
int compareIntDouble(std::int64_t i, double d) {
  if (d < static_cast<double>(std::numeric_limits<std::int64_t>::min())) {
    return 1;
  }
  if (d > static_cast<double>(std::numeric_limits<std::int64_t>::max())) {
    return -1;
  }
  return sign(static_cast<double>(i), d);
}
int compareUintDouble(std::uint64_t u, double d) {
  if (d < 0) {
    return 1;
  }
  if (d > static_cast<double>(std::numeric_limits<std::uint64_t>::max())) {
    return -1;
  }
  return sign(static_cast<double>(u), d);
}
int compareIntUint(std::int64_t i, std::uint64_t u) {
  if (i < 0) {
    return -1;
  }
  auto ui = static_cast<std::uint64_t>(i);
  return ui < u ? -1 : (ui > u ? 1 : 0);
}

std::optional<int> compareNumbers(const CelValue& a, const CelValue& b) {
  using K = CelValue::Kind;
  if ((a.kind() == K::kDouble && std::isnan(a.asDouble())) ||
      (b.kind() == K::kDouble && std::isnan(b.asDouble()))) {
    return std::nullopt;
  }
  switch (a.kind()) {
    case K::kInt:
      if (b.kind() == K::kInt) {
        return a.asInt() < b.asInt() ? -1 : (a.asInt() > b.asInt() ? 1 : 0);
      }
      return b.kind() == K::kUint ? compareIntUint(a.asInt(), b.asUint())
                                  : compareIntDouble(a.asInt(), b.asDouble());
    case K::kUint:
      if (b.kind() == K::kUint) {
        return a.asUint() < b.asUint() ? -1 : (a.asUint() > b.asUint() ? 1 : 0);
      }
      return b.kind() == K::kInt ? -compareIntUint(b.asInt(), a.asUint())
                                 : compareUintDouble(a.asUint(), b.asDouble());
    default:
      if (b.kind() == K::kDouble) {
        return sign(a.asDouble(), b.asDouble());
      }
      return b.kind() == K::kInt ? -compareIntDouble(b.asInt(), a.asDouble())
                                 : -compareUintDouble(b.asUint(), a.asDouble());
  }
}

// The schema node one level down: a property (or additionalProperties) of an object schema,
// or the items of an array schema.
const nlohmann::json* propertySchema(const nlohmann::json* schema, std::string_view key) {
  if (schema == nullptr) {
    return nullptr;
  }
  if (auto props = schema->find("properties"); props != schema->end() && props->is_object()) {
    if (auto p = props->find(key); p != props->end()) {
      return &*p;
    }
  }
  if (auto add = schema->find("additionalProperties"); add != schema->end() && add->is_object()) {
    return &*add;
  }
  return nullptr;
}

const nlohmann::json* itemsSchema(const nlohmann::json* schema) {
  if (schema == nullptr) {
    return nullptr;
  }
  auto items = schema->find("items");
  return items != schema->end() && items->is_object() ? &*items : nullptr;
}

std::string listType(const nlohmann::json* schema) {
  if (schema == nullptr) {
    return "";
  }
  auto t = schema->find("x-kubernetes-list-type");
  return t != schema->end() && t->is_string() ? t->get<std::string>() : "";
}

// A map list element's key, as unstructuredMapList.toMapKey builds it: the values of the key
// fields, an absent field counting as null. Only list-map keys' scalar values reach here.
std::string mapListKey(const CelValue& element, const nlohmann::json& keyFields) {
  if (element.kind() != CelValue::Kind::kMap) {
    return "<not an object>";
  }
  std::string key;
  for (const auto& field : keyFields) {
    if (!field.is_string()) {
      continue;
    }
    auto it = element.mapJson().find(field.get<std::string>());
    key += (it == element.mapJson().end() ? std::string("null") : it->dump()) + '\x1f';
  }
  return key;
}

// unstructuredMapList.Equal: same size, and every element of b has an element of a with the
// same key that equals it.
bool mapListEquals(const CelValue& a, const CelValue& b) {
  if (a.size() != b.size()) {
    return false;
  }
  auto keys = a.schema()->find("x-kubernetes-list-map-keys");
  const nlohmann::json keyFields =
      keys != a.schema()->end() && keys->is_array() ? *keys : nlohmann::json::array();
  std::map<std::string, std::size_t> byKey;
  for (std::size_t i = 0; i < a.size(); ++i) {
    byKey.emplace(mapListKey(a.at(i), keyFields), i);
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    CelValue element = b.at(i);
    auto it = byKey.find(mapListKey(element, keyFields));
    if (it == byKey.end() || !celEquals(a.at(it->second), element)) {
      return false;
    }
  }
  return true;
}

// unstructuredSetList.Equal: same size, and every element of b is in a.
bool setListEquals(const CelValue& a, const CelValue& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    CelValue element = b.at(i);
    bool found = false;
    for (std::size_t j = 0; j < a.size() && !found; ++j) {
      found = celEquals(a.at(j), element);
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

}  // namespace

CelValue CelValue::boolean(bool b) {
  CelValue v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}
CelValue CelValue::integer(std::int64_t i) {
  CelValue v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}
CelValue CelValue::unsignedInteger(std::uint64_t u) {
  CelValue v;
  v.kind_ = Kind::kUint;
  v.u_ = u;
  return v;
}
CelValue CelValue::floating(double d) {
  CelValue v;
  v.kind_ = Kind::kDouble;
  v.d_ = d;
  return v;
}
CelValue CelValue::string(std::string_view s) {
  CelValue v;
  v.kind_ = Kind::kString;
  v.s_ = s;
  return v;
}
CelValue CelValue::list(std::vector<CelValue> items) {
  CelValue v;
  v.kind_ = Kind::kList;
  v.items_ = std::make_shared<const std::vector<CelValue>>(std::move(items));
  return v;
}

CelValue CelValue::fromJson(const nlohmann::json& json, const nlohmann::json* schema) {
  using T = nlohmann::json::value_t;
  switch (json.type()) {
    case T::boolean:
      return boolean(json.get<bool>());
    case T::number_integer:
      return integer(json.get<std::int64_t>());
    case T::number_unsigned: {
      auto u = json.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return integer(static_cast<std::int64_t>(u));
      }
      return unsignedInteger(u);
    }
    case T::number_float:
      return floating(json.get<double>());
    case T::string:
      return string(json.get_ref<const std::string&>());
    case T::array:
    case T::object: {
      CelValue v;
      v.kind_ = json.is_array() ? Kind::kList : Kind::kMap;
      v.json_ = &json;
      v.schema_ = schema;
      return v;
    }
    case T::null:
    case T::binary:     // never produced by parsing JSON text
    case T::discarded:  // likewise
      break;
  }
  return CelValue();
}

std::size_t CelValue::size() const {
  assert(kind_ == Kind::kList || kind_ == Kind::kMap);
  return items_ ? items_->size() : json_->size();
}

CelValue CelValue::at(std::size_t index) const {
  assert(kind_ == Kind::kList);
  return items_ ? (*items_)[index] : fromJson((*json_)[index], itemsSchema(schema_));
}

std::optional<CelValue> CelValue::find(std::string_view key) const {
  assert(kind_ == Kind::kMap);
  auto it = json_->find(key);
  if (it == json_->end()) {
    return std::nullopt;
  }
  return fromJson(*it, propertySchema(schema_, key));
}

const char* celTypeName(CelValue::Kind kind) {
  switch (kind) {
    case CelValue::Kind::kNull:
      return "null_type";
    case CelValue::Kind::kBool:
      return "bool";
    case CelValue::Kind::kInt:
      return "int";
    case CelValue::Kind::kUint:
      return "uint";
    case CelValue::Kind::kDouble:
      return "double";
    case CelValue::Kind::kString:
      return "string";
    case CelValue::Kind::kList:
      return "list";
    case CelValue::Kind::kMap:
      return "map";
  }
  return "?";
}

bool celEquals(const CelValue& a, const CelValue& b) {
  using K = CelValue::Kind;
  if (a.isNumber() && b.isNumber()) {
    return compareNumbers(a, b) == 0;
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case K::kNull:
      return true;
    case K::kBool:
      return a.asBool() == b.asBool();
    case K::kString:
      return a.asString() == b.asString();
    case K::kList:
      if (listType(a.schema()) == "map") {
        return mapListEquals(a, b);
      }
      if (listType(a.schema()) == "set") {
        return setListEquals(a, b);
      }
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!celEquals(a.at(i), b.at(i))) {
          return false;
        }
      }
      return true;
    case K::kMap:
      if (a.size() != b.size()) {
        return false;
      }
      for (auto it = a.mapJson().begin(); it != a.mapJson().end(); ++it) {
        std::optional<CelValue> other = b.find(it.key());
        if (!other || !celEquals(*a.find(it.key()), *other)) {
          return false;
        }
      }
      return true;
    default:
      return false;  // numbers were handled above
  }
}

std::optional<int> celCompare(const CelValue& a, const CelValue& b) {
  using K = CelValue::Kind;
  if (a.isNumber() && b.isNumber()) {
    return compareNumbers(a, b);
  }
  if (a.kind() != b.kind()) {
    return std::nullopt;
  }
  if (a.kind() == K::kString) {
    int c = a.asString().compare(b.asString());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.kind() == K::kBool) {
    return static_cast<int>(a.asBool()) - static_cast<int>(b.asBool());
  }
  return std::nullopt;
}

std::int64_t celCodePoints(std::string_view s) {
  std::int64_t count = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++count;
    }
  }
  return count;
}

}  // namespace dbtoken::kubedouble
