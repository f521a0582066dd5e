// The DatabaseToken resource as typed values (tokens.influxdb.dev/v1alpha1): the spec the user
// declares, the status the operator reports, and the metadata the reconciler needs. Parsing
// checks the spec again (a resource may have slipped past the schema: an older CRD, a double
// without CEL), so an invalid spec is reported as InvalidSpec and never reaches the API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time_format.h"
#include "influx/token.h"
#include "tokens/conditions.h"

namespace dbtoken::tokens {

inline constexpr const char* kGroup = "tokens.influxdb.dev";
inline constexpr const char* kVersion = "v1alpha1";
inline constexpr const char* kKind = "DatabaseToken";
inline constexpr const char* kPlural = "databasetokens";
inline constexpr const char* kFinalizer = "tokens.influxdb.dev/revoke";
inline constexpr const char* kPausedAnnotation = "tokens.influxdb.dev/paused";
// Names the install (--instance) that manages the resource. Set by the user to pick one, or by
// the first install that takes the resource on (with its finalizer, in one guarded write), so two
// installs over the same namespaces never both act on it.
inline constexpr const char* kInstanceAnnotation = "tokens.influxdb.dev/instance";

enum class DeletionPolicy { kRevoke, kRetain };

struct Spec {
  std::optional<std::string> description;  // default "<namespace>/<name>"
  std::vector<influx::Permission> permissions;
  bool revoked = false;
  std::optional<std::string> secretName;  // default metadata.name
  DeletionPolicy deletionPolicy = DeletionPolicy::kRevoke;
  std::optional<common::WallTime> expiresAt;
};

inline constexpr const char* kPhasePending = "Pending";
inline constexpr const char* kPhaseActive = "Active";
inline constexpr const char* kPhaseRevoked = "Revoked";
inline constexpr const char* kPhaseFailed = "Failed";

struct TokenStatus {
  std::string phase;
  std::string tokenId;  // never the token string
  std::string secretName;
  std::string createdAt;
  std::string revokedAt;
  std::string expiresAt;
  int64_t observedGeneration = 0;
  std::vector<Condition> conditions;
  friend bool operator==(const TokenStatus&, const TokenStatus&) = default;
};

struct DatabaseToken {
  std::string ns;
  std::string name;
  std::string uid;
  std::string resourceVersion;
  int64_t generation = 0;
  bool deleting = false;
  std::vector<std::string> finalizers;
  bool paused = false;
  std::string instance;  // the kInstanceAnnotation; "" when no install has taken it on yet
  Spec spec;
  TokenStatus status;
  // Set when the spec cannot be honoured ("spec.permissions[0].action: ..."); spec is then
  // only partly filled, but revoked, secretName and deletionPolicy are read first, so a
  // revocation is honoured whatever else is wrong.
  std::optional<std::string> invalidSpec;

  bool hasFinalizer() const;
  std::string effectiveDescription() const;
  std::string effectiveSecretName() const;
};

// Parses a DatabaseToken object. Fails only when the object is not one (no metadata or name);
// a bad spec is reported through invalidSpec.
common::Result<DatabaseToken> parseDatabaseToken(const nlohmann::json& object);

nlohmann::json toJson(const TokenStatus& status);

// The permissions the operator sends for a spec (database → resource).
std::vector<influx::Permission> apiPermissions(const Spec& spec);

}  // namespace dbtoken::tokens
