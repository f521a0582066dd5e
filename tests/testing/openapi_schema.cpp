#include "testing/openapi_schema.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

#include "common/time_format.h"

namespace dbtoken::testing {
namespace {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") {  // quoted: always a string
    return s;
  }
  if (s == "null" || s == "~" || s.empty()) {
    return nullptr;
  }
  if (s == "true") {
    return true;
  }
  if (s == "false") {
    return false;
  }
  long long i = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && p == s.data() + s.size()) {
    return i;
  }
  static const std::regex kFloat(R"([-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?)");
  if (std::regex_match(s, kFloat)) {
    return std::stod(s);
  }
  return s;
}

json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        out[kv.first.as<std::string>()] = toJson(kv.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) {
        out.push_back(toJson(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    default:
      return nullptr;
  }
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t next = path.find('/', pos);
    if (next == std::string::npos) {
      next = path.size();
    }
    out.push_back(path.substr(pos, next - pos));
    pos = next;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool isUuid(const std::string& s) {
  static const std::regex kUuid(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  return std::regex_match(s, kUuid);
}

bool hasType(const json& value, const std::string& type) {
  if (type == "object") {
    return value.is_object();
  }
  if (type == "array") {
    return value.is_array();
  }
  if (type == "string") {
    return value.is_string();
  }
  if (type == "integer") {
    return value.is_number_integer() ||
           (value.is_number_float() && value.get<double>() == static_cast<long long>(value));
  }
  if (type == "number") {
    return value.is_number();
  }
  if (type == "boolean") {
    return value.is_boolean();
  }
  if (type == "null") {
    return value.is_null();
  }
  return true;
}

size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

}  // namespace

Result<json> yamlFileToJson(const std::string& file) {
  try {
    return toJson(YAML::LoadFile(file));
  } catch (const std::exception& e) {
    return Status(Code::kInvalidArgument, "cannot load " + file + ": " + e.what());
  }
}

Result<OpenApiDocument> OpenApiDocument::load(const std::string& yamlFile, std::string serverPath) {
  auto j = yamlFileToJson(yamlFile);
  if (!j.ok()) {
    return j.status();
  }
  if (!j->is_object() || !j->contains("paths")) {
    return Status(Code::kInvalidArgument, yamlFile + " is not an OpenAPI document");
  }
  OpenApiDocument doc;
  doc.root_ = std::move(j).value();
  doc.serverPath_ = std::move(serverPath);
  return doc;
}

const json& OpenApiDocument::resolve(const json& node) const {
  const json* cur = &node;
  for (int i = 0; i < 16 && cur->is_object() && cur->contains("$ref") && cur->size() == 1; ++i) {
    std::string ref = (*cur)["$ref"].get<std::string>();
    cur = &root_.at(json::json_pointer(ref.substr(1)));
  }
  return *cur;
}

std::vector<OpenApiDocument::Operation> OpenApiDocument::operations(
    const std::string& pathPart) const {
  std::vector<Operation> out;
  for (const auto& [path, item] : root_["paths"].items()) {
    if (path.find(pathPart) == std::string::npos) {
      continue;
    }
    for (const auto& [method, op] : item.items()) {
      out.push_back({path, method, &op});
    }
  }
  return out;
}

std::optional<OpenApiDocument::Match> OpenApiDocument::find(const std::string& method,
                                                            const std::string& path,
                                                            std::vector<std::string>& errors,
                                                            bool checkParams) const {
  if (path.compare(0, serverPath_.size(), serverPath_) != 0) {
    errors.push_back(path + " is not under the server path " + serverPath_);
    return std::nullopt;
  }
  auto actual = split(path.substr(serverPath_.size()));
  for (const auto& [templatePath, item] : root_["paths"].items()) {
    auto parts = split(templatePath);
    if (parts.size() != actual.size()) {
      continue;
    }
    Match m;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      if (parts[i].size() > 2 && parts[i].front() == '{' && parts[i].back() == '}') {
        m.params.emplace_back(parts[i].substr(1, parts[i].size() - 2), actual[i]);
      } else {
        ok = parts[i] == actual[i];
      }
    }
    if (!ok) {
      continue;
    }
    auto op = item.find(lower(method));
    if (op == item.end()) {
      errors.push_back(method + " is not an operation of " + templatePath);
      return std::nullopt;
    }
    m.templatePath = templatePath;
    m.op = &*op;
    // Path parameters against their schemas: part of the request.
    if (checkParams && op->contains("parameters")) {
      for (const auto& p : (*op)["parameters"]) {
        const json& param = resolve(p);
        if (param.value("in", "") != "path") {
          continue;
        }
        for (const auto& [name, value] : m.params) {
          if (name == param.value("name", "")) {
            check(param["schema"], json(value), "path parameter " + name, errors, 0);
          }
        }
      }
    }
    return m;
  }
  errors.push_back("no operation matches " + method + " " + path);
  return std::nullopt;
}

std::vector<std::string> OpenApiDocument::checkRequest(const std::string& method,
                                                       const std::string& path,
                                                       const std::string& body) const {
  std::vector<std::string> errors;
  auto m = find(method, path, errors, true);
  if (!m) {
    return errors;
  }
  std::string where = method + " " + m->templatePath + " request";
  auto rb = m->op->find("requestBody");
  if (rb == m->op->end()) {
    if (!body.empty()) {
      errors.push_back(where + " must have no body");
    }
    return errors;
  }
  const json& requestBody = resolve(*rb);
  auto value = json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    errors.push_back(where + " body is not JSON");
    return errors;
  }
  check(requestBody["content"]["application/json"]["schema"], value, where, errors, 0);
  return errors;
}

std::vector<std::string> OpenApiDocument::checkResponse(const std::string& method,
                                                        const std::string& path, int status,
                                                        const std::string& body) const {
  std::vector<std::string> errors;
  auto m = find(method, path, errors, false);
  if (!m) {
    return errors;
  }
  std::string where = method + " " + m->templatePath + " " + std::to_string(status);
  const json& responses = (*m->op)["responses"];
  auto r = responses.find(std::to_string(status));
  if (r == responses.end()) {
    errors.push_back(where + " is not a documented answer");
    return errors;
  }
  // A response may be a $ref with a sibling description: merge the target's content in.
  json response = *r;
  if (response.contains("$ref")) {
    json target = resolve(json{{"$ref", response["$ref"]}});
    for (const auto& [k, v] : target.items()) {
      if (!response.contains(k)) {
        response[k] = v;
      }
    }
  }
  if (!response.contains("content")) {
    if (!body.empty()) {
      errors.push_back(where + " must have no body");
    }
    return errors;
  }
  auto value = json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    errors.push_back(where + " body is not JSON");
    return errors;
  }
  check(response["content"]["application/json"]["schema"], value, where, errors, 0);
  return errors;
}

std::vector<std::string> OpenApiDocument::validate(const json& schema, const json& value,
                                                   const std::string& where) const {
  std::vector<std::string> errors;
  check(schema, value, where, errors, 0);
  return errors;
}

std::vector<std::string> OpenApiDocument::validateAgainst(const std::string& ref,
                                                          const json& value) const {
  return validate(json{{"$ref", ref}}, value, ref);
}

void OpenApiDocument::check(const json& schema, const json& value, const std::string& where,
                            std::vector<std::string>& errors, int depth) const {
  if (depth > 32 || !schema.is_object()) {
    return;
  }
  if (auto ref = schema.find("$ref"); ref != schema.end()) {
    check(resolve(json{{"$ref", *ref}}), value, where, errors, depth + 1);
  }
  if (auto t = schema.find("type"); t != schema.end()) {
    bool ok = false;
    if (t->is_array()) {
      for (const auto& one : *t) {
        ok = ok || hasType(value, one.get<std::string>());
      }
    } else {
      ok = hasType(value, t->get<std::string>());
    }
    if (!ok) {
      errors.push_back(where + ": expected " + t->dump() + ", got " + value.type_name());
      return;
    }
  }
  if (auto e = schema.find("enum"); e != schema.end()) {
    bool found = false;
    for (const auto& allowed : *e) {
      found = found || allowed == value;
    }
    if (!found) {
      errors.push_back(where + ": " + value.dump() + " is not one of " + e->dump());
    }
  }
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (schema.contains("minLength") && utf8Length(s) < schema["minLength"].get<size_t>()) {
      errors.push_back(where + ": shorter than " + schema["minLength"].dump());
    }
    if (schema.contains("maxLength") && utf8Length(s) > schema["maxLength"].get<size_t>()) {
      errors.push_back(where + ": longer than " + schema["maxLength"].dump());
    }
    std::string format = schema.value("format", "");
    if (format == "uuid" && !isUuid(s)) {
      errors.push_back(where + ": \"" + s + "\" is not a uuid");
    }
    if (format == "date-time" && !common::parseRfc3339(s)) {
      errors.push_back(where + ": \"" + s + "\" is not an RFC 3339 date-time");
    }
  }
  if (value.is_number()) {
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
      errors.push_back(where + ": below the minimum " + schema["minimum"].dump());
    }
    if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
      errors.push_back(where + ": above the maximum " + schema["maximum"].dump());
    }
  }
  if (value.is_object()) {
    if (schema.contains("minProperties") && value.size() < schema["minProperties"].get<size_t>()) {
      errors.push_back(where + ": fewer than " + schema["minProperties"].dump() + " properties");
    }
    if (auto req = schema.find("required"); req != schema.end()) {
      for (const auto& name : *req) {
        if (!value.contains(name.get<std::string>())) {
          errors.push_back(where + ": required property " + name.dump() + " is missing");
        }
      }
    }
    const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
    for (const auto& [k, v] : value.items()) {
      if (props != nullptr && props->contains(k)) {
        check((*props)[k], v, where + "." + k, errors, depth + 1);
      } else if (auto ap = schema.find("additionalProperties"); ap != schema.end()) {
        if (ap->is_boolean() && !ap->get<bool>()) {
          errors.push_back(where + ": unexpected property \"" + k + "\"");
        } else if (ap->is_object()) {
          check(*ap, v, where + "." + k, errors, depth + 1);
        }
      }
    }
  }
  if (value.is_array()) {
    if (auto items = schema.find("items"); items != schema.end()) {
      for (size_t i = 0; i < value.size(); ++i) {
        check(*items, value[i], where + "[" + std::to_string(i) + "]", errors, depth + 1);
      }
    }
  }
  for (const char* combinator : {"anyOf", "oneOf"}) {
    if (auto alts = schema.find(combinator); alts != schema.end()) {
      int matched = 0;
      for (const auto& alt : *alts) {
        std::vector<std::string> sub;
        check(alt, value, where, sub, depth + 1);
        matched += sub.empty() ? 1 : 0;
      }
      bool ok = std::string(combinator) == "anyOf" ? matched >= 1 : matched == 1;
      if (!ok) {
        errors.push_back(where + ": " + value.dump() + " matches " + std::to_string(matched) +
                         " of the " + combinator + " alternatives");
      }
    }
  }
  if (auto all = schema.find("allOf"); all != schema.end()) {
    for (const auto& part : *all) {
      check(part, value, where, errors, depth + 1);
    }
  }
}

}  // namespace dbtoken::testing
