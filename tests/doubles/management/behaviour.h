// The Management API's undocumented behaviours as switches (see management-api-notes.md): each
// has every plausible answer as a value, so tests can run the operator under all of them. Also
// their names for flags and the control endpoint ("hidden", "404", ...).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::doubles::management {

struct Behaviour {
  enum class RevokedInList { kShown, kHidden };           // GET /tokens: with revokedAt, or absent
  enum class RevokedGet { kOk, kNotFound };               // GET /tokens/{id} of a revoked token
  enum class SecondDelete { kNoContent, kNotFound };      // DELETE of a revoked token: 204 or 404
  enum class RevokedPatch { kConflict, kNotFound, kOk };  // PATCH of a revoked token
  enum class DuplicateDescription { kAllowed, kConflict };  // create with a description in use

  RevokedInList revokedInList = RevokedInList::kShown;
  RevokedGet revokedGet = RevokedGet::kOk;
  SecondDelete secondDelete = SecondDelete::kNoContent;
  RevokedPatch revokedPatch = RevokedPatch::kConflict;
  DuplicateDescription duplicateDescription = DuplicateDescription::kAllowed;
  // A new token answers 401 on the data plane until it is this old.
  std::chrono::milliseconds activationDelay{0};

  friend bool operator==(const Behaviour&, const Behaviour&) = default;
};

// {"revokedInList": "shown"|"hidden", "revokedGet": "200"|"404", "secondDelete": "204"|"404",
//  "revokedPatch": "409"|"404"|"200", "duplicateDescriptions": "allowed"|"409",
//  "activationDelayMs": int}
nlohmann::json toJson(const Behaviour& behaviour);
// Applies the fields present in j; InvalidArgument naming the field for an unknown value.
common::Status applyJson(Behaviour& behaviour, const nlohmann::json& j);
// Applies one setting by its JSON name, value as text (for command-line flags).
common::Status applySetting(Behaviour& behaviour, std::string_view name, std::string_view value);

// Human-readable summary for test names: "revokedInList=hidden revokedGet=404 ...".
std::string describe(const Behaviour& behaviour);

}  // namespace dbtoken::doubles::management
