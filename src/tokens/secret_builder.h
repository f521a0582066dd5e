// The Secret that carries a token string: built from a DatabaseToken (key "token", an
// annotation with the token id and one with the hash of the data, the managed-by label, a
// controller ownerReference for garbage collection), and read back from the informer's cache,
// where data values are hashes (runtime::hashSecretData), to tell whether the Secret is the
// operator's, for which token, and whether someone changed its data since.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/secret.h"
#include "tokens/database_token.h"

namespace dbtoken::tokens {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "influxdb-token-operator";
inline constexpr const char* kTokenIdAnnotation = "tokens.influxdb.dev/token-id";
inline constexpr const char* kTokenHashAnnotation = "tokens.influxdb.dev/token-hash";
inline constexpr const char* kSecretKey = "token";

// The full Secret object to create (or to replace an owned one with).
nlohmann::json buildSecret(const DatabaseToken& owner, const std::string& tokenId,
                           const common::Secret& accessToken);

// The hash the informer's Secret transform shows for a data value: "sha256:<hex>" of the
// base64 text.
std::string hashOfDataValue(const std::string& base64Value);

struct SecretState {
  enum class Kind {
    kMissing,  // no Secret of that name
    kForeign,  // a Secret the operator did not create for this resource: never touched
    kOwned,    // ours
  } kind = Kind::kMissing;
  std::string tokenId;  // kOwned: the token id it says it holds
  bool intact = false;  // kOwned: its data is what the operator wrote
  std::string uid;      // the Secret's uid (a precondition for deleting it)
};

// Reads a Secret as cached (data hashed) against the DatabaseToken that should own it.
SecretState examineSecret(const nlohmann::json* cachedSecret, const std::string& ownerUid);

}  // namespace dbtoken::tokens
