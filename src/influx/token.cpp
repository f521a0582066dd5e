#include "influx/token.h"

#include <nlohmann/json.hpp>

namespace dbtoken::influx {
namespace {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

Status invalid(const std::string& message) {
  return Status(Code::kInvalidArgument, message);
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char* typeName(const json& j) {
  return j.type_name();
}

Result<std::string> requiredString(const json& j, const char* field, const std::string& where) {
  auto it = j.find(field);
  if (it == j.end()) {
    return invalid(where + field + " is missing");
  }
  if (!it->is_string()) {
    return invalid(where + field + " must be a string, not " + typeName(*it));
  }
  return it->get<std::string>();
}

// Optional fields may be absent or null.
Result<std::optional<std::string>> optionalString(const json& j, const char* field,
                                                  const std::string& where) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return std::optional<std::string>();
  }
  if (!it->is_string()) {
    return invalid(where + field + " must be a string, not " + typeName(*it));
  }
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<common::WallTime>> optionalTime(const json& j, const char* field,
                                                     const std::string& where) {
  auto s = optionalString(j, field, where);
  if (!s.ok()) {
    return s.status();
  }
  if (!s->has_value()) {
    return std::optional<common::WallTime>();
  }
  auto t = common::parseRfc3339(**s);
  if (!t) {
    return invalid(where + field + " is not an RFC 3339 date-time");
  }
  return std::optional<common::WallTime>(*t);
}

}  // namespace

bool isUuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !isHex(s[i])) {
      return false;
    }
  }
  return true;
}

bool isValidAction(std::string_view action) {
  return action == kActionRead || action == kActionWrite;
}

bool isValidResource(std::string_view resource) {
  return resource == kAllDatabases ||
         (!resource.empty() && resource.size() <= kMaxDatabaseNameLength);
}

namespace {
Status validatePermissions(const std::vector<Permission>& permissions) {
  for (size_t i = 0; i < permissions.size(); ++i) {
    const auto& p = permissions[i];
    std::string where = "permissions[" + std::to_string(i) + "]";
    if (!isValidAction(p.action)) {
      return invalid(where + ".action must be \"read\" or \"write\", not \"" + p.action + "\"");
    }
    if (!isValidResource(p.resource)) {
      return invalid(where + ".resource must be a database name of 1 to 64 characters or \"*\"");
    }
  }
  return Status::ok();
}
}  // namespace

Status validate(const CreateRequest& request) {
  if (request.description.empty()) {
    return invalid("description is required");
  }
  return validatePermissions(request.permissions);
}

Status validate(const UpdateRequest& request) {
  if (!request.description && !request.permissions) {
    return invalid("an update needs a description or permissions");
  }
  if (request.description && request.description->empty()) {
    return invalid("description must not be empty");
  }
  return request.permissions ? validatePermissions(*request.permissions) : Status::ok();
}

json toJson(const Permission& permission) {
  return json{{"action", permission.action}, {"resource", permission.resource}};
}

namespace {
json permissionsJson(const std::vector<Permission>& permissions) {
  json out = json::array();
  for (const auto& p : permissions) {
    out.push_back(toJson(p));
  }
  return out;
}
}  // namespace

json toJson(const CreateRequest& request) {
  json j{{"description", request.description},
         {"permissions", permissionsJson(request.permissions)}};
  if (request.expiresAt) {
    j["expiresAt"] = common::formatRfc3339(*request.expiresAt);
  }
  return j;
}

json toJson(const UpdateRequest& request) {
  json j = json::object();
  if (request.description) {
    j["description"] = *request.description;
  }
  if (request.permissions) {
    j["permissions"] = permissionsJson(*request.permissions);
  }
  return j;
}

json toJson(const Token& token) {
  json j = json::object();
  if (token.accountId) {
    j["accountId"] = *token.accountId;
  }
  if (token.clusterId) {
    j["clusterId"] = *token.clusterId;
  }
  j["id"] = token.id;
  j["description"] = token.description;
  j["permissions"] = permissionsJson(token.permissions);
  j["createdAt"] = common::formatRfc3339Millis(token.createdAt);
  if (token.expiresAt) {
    j["expiresAt"] = common::formatRfc3339Millis(*token.expiresAt);
  }
  if (token.revokedAt) {
    j["revokedAt"] = common::formatRfc3339Millis(*token.revokedAt);
  }
  return j;
}

Result<std::vector<Permission>> parsePermissions(const json& j, const std::string& field) {
  if (!j.is_array()) {
    return invalid(field + " must be an array, not " + typeName(j));
  }
  std::vector<Permission> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& item = j[i];
    std::string where = field + "[" + std::to_string(i) + "].";
    if (!item.is_object()) {
      return invalid(field + "[" + std::to_string(i) + "] must be an object, not " +
                     typeName(item));
    }
    auto action = requiredString(item, "action", where);
    if (!action.ok()) {
      return action.status();
    }
    auto resource = requiredString(item, "resource", where);
    if (!resource.ok()) {
      return resource.status();
    }
    out.push_back({std::move(action).value(), std::move(resource).value()});
  }
  return out;
}

Result<Token> parseToken(const json& j) {
  if (!j.is_object()) {
    return invalid(std::string("a token must be a JSON object, not ") + typeName(j));
  }
  Token t;
  auto id = requiredString(j, "id", "");
  if (!id.ok()) {
    return id.status();
  }
  if (!isUuid(*id)) {
    return invalid("id is not a UUID");
  }
  t.id = std::move(id).value();
  std::string where = "token " + t.id + ": ";
  auto description = requiredString(j, "description", where);
  if (!description.ok()) {
    return description.status();
  }
  t.description = std::move(description).value();
  auto perms = j.find("permissions");
  if (perms == j.end()) {
    return invalid(where + "permissions is missing");
  }
  auto permissions = parsePermissions(*perms, where + "permissions");
  if (!permissions.ok()) {
    return permissions.status();
  }
  t.permissions = std::move(permissions).value();
  auto created = requiredString(j, "createdAt", where);
  if (!created.ok()) {
    return created.status();
  }
  auto createdAt = common::parseRfc3339(*created);
  if (!createdAt) {
    return invalid(where + "createdAt is not an RFC 3339 date-time");
  }
  t.createdAt = *createdAt;
  for (auto [field, target] : {std::pair{"expiresAt", &t.expiresAt}, {"revokedAt", &t.revokedAt}}) {
    auto v = optionalTime(j, field, where);
    if (!v.ok()) {
      return v.status();
    }
    *target = *v;
  }
  for (auto [field, target] : {std::pair{"accountId", &t.accountId}, {"clusterId", &t.clusterId}}) {
    auto v = optionalString(j, field, where);
    if (!v.ok()) {
      return v.status();
    }
    *target = std::move(v).value();
  }
  return t;
}

Result<CreatedToken> parseCreatedToken(const json& j) {
  auto token = parseToken(j);
  if (!token.ok()) {
    return token.status();
  }
  // Only the presence and type are checked: the value is the one copy there will ever be.
  auto access = j.find("accessToken");
  if (access == j.end()) {
    return invalid("token " + token->id + ": accessToken is missing");
  }
  if (!access->is_string()) {
    return invalid("token " + token->id + ": accessToken must be a string, not " +
                   typeName(*access));
  }
  if (access->get_ref<const std::string&>().empty()) {
    return invalid("token " + token->id + ": accessToken is empty");
  }
  return CreatedToken{std::move(token).value(), common::Secret(access->get<std::string>())};
}

Result<std::vector<Token>> parseTokenList(const json& j) {
  if (!j.is_array()) {
    return invalid(std::string("a token list must be a JSON array, not ") + typeName(j));
  }
  std::vector<Token> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    auto t = parseToken(j[i]);
    if (!t.ok()) {
      return t.status().annotate("item " + std::to_string(i));
    }
    out.push_back(std::move(t).value());
  }
  return out;
}

}  // namespace dbtoken::influx
