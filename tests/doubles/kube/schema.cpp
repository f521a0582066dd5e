#include "kube/schema.h"

#include <map>
#include <regex>
#include <set>

#include "common/time_format.h"
#include "kube/base64.h"
#include "kube/cel_rules.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

const std::set<std::string>& objectMetaFields() {
  static const std::set<std::string> kFields = {"name",
                                                "generateName",
                                                "namespace",
                                                "selfLink",
                                                "uid",
                                                "resourceVersion",
                                                "generation",
                                                "creationTimestamp",
                                                "deletionTimestamp",
                                                "deletionGracePeriodSeconds",
                                                "labels",
                                                "annotations",
                                                "ownerReferences",
                                                "finalizers",
                                                "managedFields"};
  return kFields;
}

std::string join(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

bool preservesUnknown(const json& schema) {
  auto it = schema.find("x-kubernetes-preserve-unknown-fields");
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

bool isEmbedded(const json& schema) {
  auto it = schema.find("x-kubernetes-embedded-resource");
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

void pruneNode(json& value, const json& schema, const std::string& path,
               std::vector<std::string>& removed);

void pruneObjectMeta(json& meta, const std::string& path, std::vector<std::string>& removed) {
  if (!meta.is_object()) {
    return;
  }
  for (auto it = meta.begin(); it != meta.end();) {
    if (!isObjectMetaField(it.key())) {
      removed.push_back(join(path, it.key()));
      it = meta.erase(it);
    } else {
      ++it;
    }
  }
}

void pruneNode(json& value, const json& schema, const std::string& path,
               std::vector<std::string>& removed) {
  if (value.is_object()) {
    const json* props = nullptr;
    if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) {
      props = &*it;
    }
    const json* additional = nullptr;
    if (auto it = schema.find("additionalProperties"); it != schema.end() && it->is_object()) {
      additional = &*it;
    }
    bool keepUnknown = preservesUnknown(schema) || (additional != nullptr);
    for (auto it = value.begin(); it != value.end();) {
      const std::string& key = it.key();
      if (isEmbedded(schema) && (key == "apiVersion" || key == "kind")) {
        ++it;
        continue;
      }
      if (isEmbedded(schema) && key == "metadata") {
        pruneObjectMeta(*it, join(path, key), removed);
        ++it;
        continue;
      }
      const json* child = nullptr;
      if (props != nullptr) {
        if (auto p = props->find(key); p != props->end()) {
          child = &*p;
        }
      }
      if (child == nullptr && additional != nullptr) {
        child = additional;
      }
      if (child != nullptr) {
        pruneNode(*it, *child, join(path, key), removed);
        ++it;
      } else if (keepUnknown) {
        ++it;
      } else {
        removed.push_back(join(path, key));
        it = value.erase(it);
      }
    }
  } else if (value.is_array()) {
    auto items = schema.find("items");
    if (items != schema.end() && items->is_object()) {
      for (size_t i = 0; i < value.size(); ++i) {
        pruneNode(value[i], *items, path + "[" + std::to_string(i) + "]", removed);
      }
    }
  }
}

bool nullable(const json& schema) {
  auto it = schema.find("nullable");
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

void defaultNode(json& value, const json& schema) {
  if (value.is_object()) {
    auto props = schema.find("properties");
    if (props != schema.end() && props->is_object()) {
      for (auto p = props->begin(); p != props->end(); ++p) {
        auto v = value.find(p.key());
        if (v != value.end() && v->is_null() && !nullable(p.value())) {
          value.erase(v);
          v = value.end();
        }
        if (v == value.end()) {
          if (auto d = p->find("default"); d != p->end()) {
            value[p.key()] = *d;
          }
        }
      }
      for (auto p = props->begin(); p != props->end(); ++p) {
        auto v = value.find(p.key());
        if (v != value.end()) {
          defaultNode(*v, p.value());
        }
      }
    }
    auto additional = schema.find("additionalProperties");
    if (additional != schema.end() && additional->is_object()) {
      for (auto& [k, v] : value.items()) {
        (void)k;
        defaultNode(v, *additional);
      }
    }
  } else if (value.is_array()) {
    auto items = schema.find("items");
    if (items != schema.end() && items->is_object()) {
      for (auto& v : value) {
        defaultNode(v, *items);
      }
    }
  }
}

std::string typeOfSchema(const json& schema) {
  auto it = schema.find("type");
  return it != schema.end() && it->is_string() ? it->get<std::string>() : "";
}

bool matchesType(const json& v, const std::string& type) {
  if (type.empty()) {
    return true;
  }
  if (type == "object") {
    return v.is_object();
  }
  if (type == "array") {
    return v.is_array();
  }
  if (type == "string") {
    return v.is_string();
  }
  if (type == "boolean") {
    return v.is_boolean();
  }
  if (type == "integer") {
    return v.is_number_integer() ||
           (v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>()));
  }
  if (type == "number") {
    return v.is_number();
  }
  return true;
}

size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string renderNumber(const json& v) {
  return v.dump();
}

bool validFormat(const std::string& format, const std::string& value) {
  if (format == "date-time") {
    return common::parseRfc3339(value).has_value();
  }
  if (format == "date") {
    return common::parseRfc3339(value + "T00:00:00Z").has_value() && value.size() == 10;
  }
  if (format == "uuid") {
    static const std::regex kUuid(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return std::regex_match(value, kUuid);
  }
  if (format == "byte") {
    // Decoded, not matched: libstdc++'s regex recurses once per repetition, and a large value
    // (Helm keeps a whole release in one Secret) overflowed the stack.
    return base64Decode(value).has_value();
  }
  return true;  // formats the apiserver ignores or the double does not check
}

void validateNode(const json& value, const json& schema, const std::string& path,
                  FieldErrors& errs) {
  const std::string type = typeOfSchema(schema);
  if (value.is_null()) {
    if (!nullable(schema) && !type.empty()) {
      errs.push_back({FieldErrorType::kTypeInvalid, path, goQuote("null"),
                      path + " in body must be of type " + type + ": \"null\""});
    }
    return;
  }
  if (!matchesType(value, type)) {
    std::string actual = jsonTypeName(value);
    errs.push_back({FieldErrorType::kTypeInvalid, path, goQuote(actual),
                    path + " in body must be of type " + type + ": " + goQuote(actual)});
    return;
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    for (const auto& option : *e) {
      found = found || option == value;
    }
    if (!found) {
      std::string supported;
      for (const auto& option : *e) {
        if (!supported.empty()) {
          supported += ", ";
        }
        supported += option.is_string() ? goQuote(option.get<std::string>()) : option.dump();
      }
      errs.push_back({FieldErrorType::kNotSupported, path,
                      value.is_string() ? goQuote(value.get<std::string>()) : value.dump(),
                      "supported values: " + supported});
    }
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (auto m = schema.find("maxLength"); m != schema.end() && m->is_number_integer()) {
      if (utf8Length(s) > m->get<size_t>()) {
        errs.push_back({FieldErrorType::kTooLong, path, std::nullopt,
                        "may not be more than " + std::to_string(m->get<size_t>()) + " bytes"});
      }
    }
    if (auto m = schema.find("minLength"); m != schema.end() && m->is_number_integer()) {
      if (utf8Length(s) < m->get<size_t>()) {
        errs.push_back({FieldErrorType::kInvalid, path, goQuote(s),
                        path + " in body should be at least " + std::to_string(m->get<size_t>()) +
                            " chars long"});
      }
    }
    if (auto p = schema.find("pattern"); p != schema.end() && p->is_string()) {
      try {
        std::regex rx(p->get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(s, rx)) {
          errs.push_back({FieldErrorType::kInvalid, path, goQuote(s),
                          path + " in body should match '" + p->get<std::string>() + "'"});
        }
      } catch (const std::regex_error&) {
        // Refused when the CRD was created; nothing to check against here.
      }
    }
    if (auto f = schema.find("format"); f != schema.end() && f->is_string()) {
      if (!validFormat(f->get<std::string>(), s)) {
        errs.push_back(
            {FieldErrorType::kTypeInvalid, path, goQuote(s),
             path + " in body must be of type " + f->get<std::string>() + ": " + goQuote(s)});
      }
    }
  }
  if (value.is_number()) {
    if (auto m = schema.find("maximum"); m != schema.end() && m->is_number()) {
      bool exclusive = schema.value("exclusiveMaximum", false);
      double limit = m->get<double>();
      double v = value.get<double>();
      if (exclusive ? v >= limit : v > limit) {
        errs.push_back({FieldErrorType::kInvalid, path, renderNumber(value),
                        path + " in body should be less than " +
                            std::string(exclusive ? "" : "or equal to ") + renderNumber(*m)});
      }
    }
    if (auto m = schema.find("minimum"); m != schema.end() && m->is_number()) {
      bool exclusive = schema.value("exclusiveMinimum", false);
      double limit = m->get<double>();
      double v = value.get<double>();
      if (exclusive ? v <= limit : v < limit) {
        errs.push_back({FieldErrorType::kInvalid, path, renderNumber(value),
                        path + " in body should be greater than " +
                            std::string(exclusive ? "" : "or equal to ") + renderNumber(*m)});
      }
    }
  }
  if (value.is_array()) {
    if (auto m = schema.find("maxItems"); m != schema.end() && m->is_number_integer()) {
      if (value.size() > m->get<size_t>()) {
        errs.push_back({FieldErrorType::kTooMany, path, std::to_string(value.size()),
                        "must have at most " + std::to_string(m->get<size_t>()) + " items"});
      }
    }
    if (auto m = schema.find("minItems"); m != schema.end() && m->is_number_integer()) {
      if (value.size() < m->get<size_t>()) {
        errs.push_back({FieldErrorType::kInvalid, path, std::to_string(value.size()),
                        path + " in body should have at least " + std::to_string(m->get<size_t>()) +
                            " items"});
      }
    }
    if (auto items = schema.find("items"); items != schema.end() && items->is_object()) {
      for (size_t i = 0; i < value.size(); ++i) {
        validateNode(value[i], *items, path + "[" + std::to_string(i) + "]", errs);
      }
    }
  }
  if (value.is_object()) {
    if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
      for (const auto& r : *req) {
        if (r.is_string() && !value.contains(r.get<std::string>())) {
          errs.push_back(
              {FieldErrorType::kRequired, join(path, r.get<std::string>()), std::nullopt, ""});
        }
      }
    }
    auto props = schema.find("properties");
    auto additional = schema.find("additionalProperties");
    for (auto it = value.begin(); it != value.end(); ++it) {
      const json* child = nullptr;
      if (props != schema.end() && props->is_object()) {
        if (auto p = props->find(it.key()); p != props->end()) {
          child = &*p;
        }
      }
      if (child == nullptr && additional != schema.end() && additional->is_object()) {
        child = &*additional;
      }
      if (child != nullptr) {
        validateNode(it.value(), *child, join(path, it.key()), errs);
      }
    }
  }
}

// x-kubernetes-list-type set and map: apiextensions' listtype.ValidateListSetsAndMaps. Only
// the second appearance of a repeated element (set) or key (map) is reported, as a Duplicate
// whose value is the element (set) or its key fields (map).
void validateListsNode(const json& value, const json& schema, const std::string& path,
                       FieldErrors& errs);

// The indices where a value appears for the second time (validateListSet).
std::vector<size_t> secondAppearances(const std::vector<json>& values) {
  std::map<std::string, int> seen;
  std::vector<size_t> out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (seen[values[i].dump()]++ == 1) {
      out.push_back(i);
    }
  }
  return out;
}

void validateListMap(const json& list, const json& schema, const std::string& path,
                     FieldErrors& errs) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_null() && !list[i].is_object()) {
      errs.push_back({FieldErrorType::kInvalid, path + "[" + std::to_string(i) + "]",
                      goSyntax(list[i]), "must be an object for an array of list-type map"});
      return;
    }
  }
  if (list.size() <= 1) {
    return;
  }
  std::vector<std::string> keyFields;
  if (auto k = schema.find("x-kubernetes-list-map-keys"); k != schema.end() && k->is_array()) {
    for (const auto& f : *k) {
      if (f.is_string()) {
        keyFields.push_back(f.get<std::string>());
      }
    }
  }
  // One key field: the key is the field's value (a distinct "unspecified" when absent); the
  // reported value is {field: value}, or {} when unspecified. Several: the map of the key
  // fields present.
  std::vector<json> keys;
  for (const auto& item : list) {
    json key = json::object();
    for (const auto& f : keyFields) {
      if (item.is_object() && item.contains(f)) {
        key[f] = item[f];
      }
    }
    keys.push_back(std::move(key));
  }
  for (size_t i : secondAppearances(keys)) {
    errs.push_back(
        {FieldErrorType::kDuplicate, path + "[" + std::to_string(i) + "]", goSyntax(keys[i]), ""});
  }
}

void validateListsObject(const json& value, const json& schema, const std::string& path,
                         FieldErrors& errs) {
  if (auto add = schema.find("additionalProperties"); add != schema.end() && add->is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      validateListsNode(it.value(), *add, path + "[" + it.key() + "]", errs);
    }
  }
  if (auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (auto p = props->find(it.key()); p != props->end()) {
        validateListsNode(it.value(), *p, join(path, it.key()), errs);
      }
    }
  }
}

void validateListsNode(const json& value, const json& schema, const std::string& path,
                       FieldErrors& errs) {
  if (value.is_object()) {
    validateListsObject(value, schema, path, errs);
    return;
  }
  if (!value.is_array()) {
    return;
  }
  auto listType = schema.find("x-kubernetes-list-type");
  if (listType != schema.end() && *listType == "set") {
    std::vector<json> elements(value.begin(), value.end());
    for (size_t i : secondAppearances(elements)) {
      errs.push_back({FieldErrorType::kDuplicate, path + "[" + std::to_string(i) + "]",
                      goSyntax(value[i]), ""});
    }
  } else if (listType != schema.end() && *listType == "map") {
    validateListMap(value, schema, path, errs);
  }
  if (auto items = schema.find("items"); items != schema.end() && items->is_object()) {
    for (size_t i = 0; i < value.size(); ++i) {
      validateListsNode(value[i], *items, path + "[" + std::to_string(i) + "]", errs);
    }
  }
}

FieldErrors listSetAndMapErrors(const json& object, const json& schema) {
  FieldErrors errs;
  if (object.is_object()) {
    validateListsObject(object, schema, "", errs);
  }
  return errs;
}

// The error types that keep CEL rules from running (apiextensions' hasBlockingErr).
bool blocking(const FieldErrors& errs) {
  for (const auto& e : errs) {
    if (e.type == FieldErrorType::kNotSupported || e.type == FieldErrorType::kRequired ||
        e.type == FieldErrorType::kTooLong || e.type == FieldErrorType::kTooMany ||
        e.type == FieldErrorType::kTypeInvalid) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool isObjectMetaField(const std::string& name) {
  return objectMetaFields().count(name) > 0;
}

std::string jsonTypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "null";
  }
}

StructuralSchema::~StructuralSchema() = default;

common::Result<std::shared_ptr<const StructuralSchema>> StructuralSchema::compile(
    const nlohmann::json& openApiV3Schema, const std::string& fieldPathForErrors,
    FieldError* problem) {
  FieldError ruleProblem{FieldErrorType::kInvalid, "", std::nullopt, ""};
  auto rules = CompiledRules::compile(openApiV3Schema, fieldPathForErrors, &ruleProblem);
  if (!rules.ok()) {
    if (problem != nullptr) {
      *problem = ruleProblem;
    }
    return rules.status();
  }
  std::shared_ptr<StructuralSchema> s(new StructuralSchema());
  s->schema_ = openApiV3Schema;
  s->rules_ = std::move(rules).value();
  return std::shared_ptr<const StructuralSchema>(std::move(s));
}

std::vector<std::string> StructuralSchema::prune(nlohmann::json& object) const {
  std::vector<std::string> removed;
  if (!object.is_object()) {
    return removed;
  }
  auto props = schema_.find("properties");
  for (auto it = object.begin(); it != object.end();) {
    const std::string& key = it.key();
    if (key == "apiVersion" || key == "kind") {
      ++it;
      continue;
    }
    if (key == "metadata") {
      pruneObjectMeta(*it, "metadata", removed);
      ++it;
      continue;
    }
    if (props != schema_.end() && props->is_object() && props->contains(key)) {
      pruneNode(*it, (*props)[key], key, removed);
      ++it;
    } else if (preservesUnknown(schema_)) {
      ++it;
    } else {
      removed.push_back(key);
      it = object.erase(it);
    }
  }
  return removed;
}

void StructuralSchema::applyDefaults(nlohmann::json& object) const {
  if (!object.is_object()) {
    return;
  }
  // Defaults below the root apply to the object's own fields, never to metadata.
  json meta;
  bool hadMeta = object.contains("metadata");
  if (hadMeta) {
    meta = std::move(object["metadata"]);
    object.erase("metadata");
  }
  defaultNode(object, schema_);
  if (hadMeta) {
    object["metadata"] = std::move(meta);
  }
}

FieldErrors StructuralSchema::validate(const nlohmann::json& object,
                                       const nlohmann::json* oldObject, FieldErrors errs) const {
  if (!object.is_object()) {
    errs.push_back({FieldErrorType::kTypeInvalid, "<nil>", goQuote(jsonTypeName(object)),
                    "must be of type object"});
    return errs;
  }
  auto props = schema_.find("properties");
  if (auto req = schema_.find("required"); req != schema_.end() && req->is_array()) {
    for (const auto& r : *req) {
      if (r.is_string() && !object.contains(r.get<std::string>())) {
        errs.push_back({FieldErrorType::kRequired, r.get<std::string>(), std::nullopt, ""});
      }
    }
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key() == "apiVersion" || it.key() == "kind" || it.key() == "metadata") {
      continue;
    }
    if (props != schema_.end() && props->is_object()) {
      if (auto p = props->find(it.key()); p != props->end()) {
        validateNode(it.value(), *p, it.key(), errs);
      }
    }
  }
  // On update only when the old object had no such duplicates (apiextensions ratchets these).
  if (oldObject == nullptr || listSetAndMapErrors(*oldObject, schema_).empty()) {
    for (auto& e : listSetAndMapErrors(object, schema_)) {
      errs.push_back(std::move(e));
    }
  }
  if (rules_ && !rules_->empty()) {
    if (blocking(errs)) {
      errs.push_back({FieldErrorType::kInvalid, "<nil>", goQuote("null"),
                      "some validation rules were not checked because the object was invalid; "
                      "correct the existing errors to complete validation"});
    } else {
      for (auto& e : rules_->evaluate(object, oldObject)) {
        errs.push_back(std::move(e));
      }
    }
  }
  return errs;
}

const nlohmann::json* StructuralSchema::nodeAt(const std::vector<std::string>& path) const {
  const json* node = &schema_;
  for (const auto& seg : path) {
    auto props = node->find("properties");
    if (props == node->end() || !props->contains(seg)) {
      return nullptr;
    }
    node = &(*props)[seg];
  }
  return node;
}

}  // namespace dbtoken::kubedouble
