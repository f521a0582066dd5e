// The double's database tokens: what InfluxDB keeps about each one (never the access string,
// only its SHA-256), how ids and access strings are minted, and the data-plane question "may
// this access token read or write that database now?". No HTTP here; not thread-safe on its own
// (ManagementApi serialises access).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/time_format.h"

namespace dbtoken::doubles::management {

struct StoredPermission {
  std::string action;
  std::string resource;
  friend bool operator==(const StoredPermission&, const StoredPermission&) = default;
};

struct StoredToken {
  std::string id;
  std::string description;
  std::vector<StoredPermission> permissions;
  common::WallTime createdAt;
  std::optional<common::WallTime> expiresAt;
  std::optional<common::WallTime> revokedAt;
  std::string accessTokenSha256;  // hex
};

// What the data plane answers for a token and a database.
enum class DataPlaneAnswer { kAllowed, kUnknownToken, kRevoked, kExpired, kNotYetActive, kDenied };
const char* dataPlaneAnswerName(DataPlaneAnswer a);

std::string sha256Hex(std::string_view data);
std::string newUuidV4();
// "apiv1_" followed by 86 URL-safe characters (64 random bytes).
std::string newAccessToken();

class TokenStore {
 public:
  // Creates a token; the access string is returned here and only its hash is kept.
  std::pair<StoredToken, std::string> create(std::string description,
                                             std::vector<StoredPermission> permissions,
                                             std::optional<common::WallTime> expiresAt,
                                             common::WallTime now);
  StoredToken* find(const std::string& id);
  // In creation order.
  const std::vector<StoredToken>& all() const { return tokens_; }
  bool descriptionInUse(const std::string& description, const std::string& exceptId) const;
  const StoredToken* findByAccessToken(std::string_view accessToken) const;

  DataPlaneAnswer authorize(std::string_view accessToken, std::string_view database, bool write,
                            common::WallTime now, std::chrono::milliseconds activationDelay) const;

  // id, description, permissions, createdAt, revokedAt, expiresAt, accessTokenSha256.
  nlohmann::json dump() const;

 private:
  std::vector<StoredToken> tokens_;
};

}  // namespace dbtoken::doubles::management
