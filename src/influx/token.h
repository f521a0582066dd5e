// The Management API's token model as plain values: Token, Permission, the bodies of create and
// update requests, and their JSON mapping (field names exactly as the OpenAPI documents spell
// them). Parsing is strict about required fields and types and never echoes an access token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/secret.h"
#include "common/status.h"
#include "common/time_format.h"

namespace dbtoken::influx {

inline constexpr std::string_view kActionRead = "read";
inline constexpr std::string_view kActionWrite = "write";
inline constexpr std::string_view kAllDatabases = "*";
inline constexpr size_t kMaxDatabaseNameLength = 64;

struct Permission {
  std::string action;    // "read" | "write" (kept as text: the API may grow new actions)
  std::string resource;  // a database name (1-64 characters) or "*"

  friend bool operator==(const Permission&, const Permission&) = default;
};

struct Token {
  std::string id;  // UUID v4
  std::string description;
  std::vector<Permission> permissions;
  common::WallTime createdAt;
  std::optional<common::WallTime> expiresAt;
  std::optional<common::WallTime> revokedAt;
  // Cloud Dedicated answers carry these; Clustered ones do not.
  std::optional<std::string> accountId;
  std::optional<std::string> clusterId;

  // A token that carries revokedAt is revoked, whatever else the API says about it.
  bool isRevoked() const { return revokedAt.has_value(); }
  bool isExpiredAt(common::WallTime now) const { return expiresAt && *expiresAt <= now; }

  friend bool operator==(const Token&, const Token&) = default;
};

// The answer to a create: the token and its access string, which the API returns this once.
struct CreatedToken {
  Token token;
  common::Secret accessToken;
};

struct CreateRequest {
  std::string description;
  std::vector<Permission> permissions;
  std::optional<common::WallTime> expiresAt;
};

// At least one field must be set; permissions, when set, replace the whole list.
struct UpdateRequest {
  std::optional<std::string> description;
  std::optional<std::vector<Permission>> permissions;
};

bool isUuid(std::string_view s);
bool isValidAction(std::string_view action);
bool isValidResource(std::string_view resource);

// Checks what the API would refuse with 400, before anything is sent.
common::Status validate(const CreateRequest& request);
common::Status validate(const UpdateRequest& request);

nlohmann::json toJson(const Permission& permission);
nlohmann::json toJson(const CreateRequest& request);
nlohmann::json toJson(const UpdateRequest& request);
// A token as the API shows it (no access token); used by the test double.
nlohmann::json toJson(const Token& token);

// Parses one token object. Errors are InvalidArgument naming the field ("permissions[1].action
// must be a string"); the caller decides what a malformed answer means for its operation.
common::Result<Token> parseToken(const nlohmann::json& j);
// Parses a create answer: a token object that also carries accessToken.
common::Result<CreatedToken> parseCreatedToken(const nlohmann::json& j);
common::Result<std::vector<Token>> parseTokenList(const nlohmann::json& j);
common::Result<std::vector<Permission>> parsePermissions(const nlohmann::json& j,
                                                         const std::string& field);

}  // namespace dbtoken::influx
