#include "management/token_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace dbtoken::doubles::management {
namespace {

std::vector<unsigned char> randomBytes(size_t n) {
  std::vector<unsigned char> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // cannot happen on a working system
  }
  return out;
}

const char kHex[] = "0123456789abcdef";

}  // namespace

const char* dataPlaneAnswerName(DataPlaneAnswer a) {
  switch (a) {
    case DataPlaneAnswer::kAllowed:
      return "allowed";
    case DataPlaneAnswer::kUnknownToken:
      return "unknown token";
    case DataPlaneAnswer::kRevoked:
      return "revoked";
    case DataPlaneAnswer::kExpired:
      return "expired";
    case DataPlaneAnswer::kNotYetActive:
      return "not yet active";
    case DataPlaneAnswer::kDenied:
      return "no permission";
  }
  return "?";
}

std::string sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string newUuidV4() {
  auto b = randomBytes(16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

std::string newAccessToken() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto b = randomBytes(64);
  std::string out = "apiv1_";
  // base64url without padding: 64 bytes -> 86 characters.
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    unsigned v = (unsigned{b[i]} << 16) | (unsigned{b[i + 1]} << 8) | b[i + 2];
    for (int s = 18; s >= 0; s -= 6) {
      out += kAlphabet[(v >> s) & 63];
    }
  }
  if (i < b.size()) {  // one byte left
    unsigned v = unsigned{b[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  }
  return out;
}

std::pair<StoredToken, std::string> TokenStore::create(std::string description,
                                                       std::vector<StoredPermission> permissions,
                                                       std::optional<common::WallTime> expiresAt,
                                                       common::WallTime now) {
  StoredToken t;
  t.id = newUuidV4();
  t.description = std::move(description);
  t.permissions = std::move(permissions);
  // The API shows milliseconds; keep exactly what it shows.
  t.createdAt = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  t.expiresAt = expiresAt;
  std::string access = newAccessToken();
  t.accessTokenSha256 = sha256Hex(access);
  tokens_.push_back(t);
  return {t, access};
}

StoredToken* TokenStore::find(const std::string& id) {
  for (auto& t : tokens_) {
    if (t.id == id) {
      return &t;
    }
  }
  return nullptr;
}

bool TokenStore::descriptionInUse(const std::string& description,
                                  const std::string& exceptId) const {
  for (const auto& t : tokens_) {
    if (!t.revokedAt && t.id != exceptId && t.description == description) {
      return true;
    }
  }
  return false;
}

const StoredToken* TokenStore::findByAccessToken(std::string_view accessToken) const {
  std::string hash = sha256Hex(accessToken);
  for (const auto& t : tokens_) {
    if (t.accessTokenSha256 == hash) {
      return &t;
    }
  }
  return nullptr;
}

DataPlaneAnswer TokenStore::authorize(std::string_view accessToken, std::string_view database,
                                      bool write, common::WallTime now,
                                      std::chrono::milliseconds activationDelay) const {
  const StoredToken* t = findByAccessToken(accessToken);
  if (t == nullptr) {
    return DataPlaneAnswer::kUnknownToken;
  }
  if (t->revokedAt) {
    return DataPlaneAnswer::kRevoked;
  }
  if (t->expiresAt && *t->expiresAt <= now) {
    return DataPlaneAnswer::kExpired;
  }
  if (now < t->createdAt + activationDelay) {
    return DataPlaneAnswer::kNotYetActive;
  }
  std::string_view action = write ? "write" : "read";
  for (const auto& p : t->permissions) {
    if (p.action == action && (p.resource == "*" || p.resource == database)) {
      return DataPlaneAnswer::kAllowed;
    }
  }
  return DataPlaneAnswer::kDenied;
}

nlohmann::json TokenStore::dump() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tokens_) {
    nlohmann::json perms = nlohmann::json::array();
    for (const auto& p : t.permissions) {
      perms.push_back({{"action", p.action}, {"resource", p.resource}});
    }
    nlohmann::json j{{"id", t.id},
                     {"description", t.description},
                     {"permissions", perms},
                     {"createdAt", common::formatRfc3339Millis(t.createdAt)},
                     {"accessTokenSha256", t.accessTokenSha256}};
    j["expiresAt"] = t.expiresAt ? nlohmann::json(common::formatRfc3339Millis(*t.expiresAt))
                                 : nlohmann::json(nullptr);
    j["revokedAt"] = t.revokedAt ? nlohmann::json(common::formatRfc3339Millis(*t.revokedAt))
                                 : nlohmann::json(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace dbtoken::doubles::management
