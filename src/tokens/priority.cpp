#include "tokens/priority.h"

#include "tokens/database_token.h"

namespace dbtoken::tokens {
namespace {

using nlohmann::json;

// The member `name` of an object, or null; no copies (this runs for every informer event).
const json* member(const json& object, const char* name) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

runtime::Priority reconcilePriority(const json& databaseToken) {
  if (const json* meta = member(databaseToken, "metadata");
      meta != nullptr && member(*meta, "deletionTimestamp") != nullptr) {
    return runtime::Priority::kUrgent;  // finalization: revoke (or release) the token
  }
  const json* spec = member(databaseToken, "spec");
  const json* revoked = spec != nullptr ? member(*spec, "revoked") : nullptr;
  if (revoked == nullptr || !revoked->is_boolean() || !revoked->get<bool>()) {
    return runtime::Priority::kNormal;
  }
  const json* status = member(databaseToken, "status");
  const json* phase = status != nullptr ? member(*status, "phase") : nullptr;
  const bool shownRevoked = phase != nullptr && phase->is_string() && *phase == kPhaseRevoked;
  return shownRevoked ? runtime::Priority::kNormal : runtime::Priority::kUrgent;
}

}  // namespace dbtoken::tokens
