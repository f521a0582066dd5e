#include "tokens/database_token.h"

#include <regex>

namespace dbtoken::tokens {
namespace {

using nlohmann::json;

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool isDns1123Subdomain(const std::string& s) {
  static const std::regex kRe("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, kRe);
}

// Checks the spec as the CRD schema would; returns the first problem. Fields read before it are
// set.
std::optional<std::string> parseSpec(const json& j, Spec& spec) {
  if (!j.is_object()) {
    return "spec: Required value: a DatabaseToken needs a spec";
  }
  // First what a revocation needs (revoked, the Secret to delete, the deletion policy): a spec
  // invalid further on must never keep a token from being revoked.
  if (auto r = j.find("revoked"); r != j.end() && !r->is_null()) {
    if (!r->is_boolean()) {
      return "spec.revoked: must be true or false";
    }
    spec.revoked = r->get<bool>();
  }
  if (auto s = j.find("secretName"); s != j.end() && !s->is_null()) {
    if (!s->is_string() || !isDns1123Subdomain(s->get<std::string>())) {
      return "spec.secretName: must be a DNS-1123 name (lower case letters, digits, '-', '.')";
    }
    spec.secretName = s->get<std::string>();
  }
  if (auto p = j.find("deletionPolicy"); p != j.end() && !p->is_null()) {
    std::string policy = p->is_string() ? p->get<std::string>() : "";
    if (policy == "Revoke") {
      spec.deletionPolicy = DeletionPolicy::kRevoke;
    } else if (policy == "Retain") {
      spec.deletionPolicy = DeletionPolicy::kRetain;
    } else {
      return "spec.deletionPolicy: Unsupported value \"" + policy + "\": must be Revoke or Retain";
    }
  }
  if (auto d = j.find("description"); d != j.end() && !d->is_null()) {
    if (!d->is_string()) {
      return "spec.description: must be a string";
    }
    spec.description = d->get<std::string>();
  }
  auto perms = j.find("permissions");
  if (perms == j.end() || !perms->is_array()) {
    return "spec.permissions: Required value: a list of {action, database}";
  }
  if (perms->size() > 64) {
    return "spec.permissions: Too many: at most 64 permissions";
  }
  for (size_t i = 0; i < perms->size(); ++i) {
    const json& p = (*perms)[i];
    std::string at = "spec.permissions[" + std::to_string(i) + "]";
    if (!p.is_object()) {
      return at + ": must be an object";
    }
    std::string action = str(p, "action");
    if (!influx::isValidAction(action)) {
      return at + ".action: Unsupported value \"" + action + "\": must be read or write";
    }
    std::string db = str(p, "database");
    if (!influx::isValidResource(db)) {
      return at + ".database: must be a database name of 1 to 64 characters, or \"*\"";
    }
    // The CRD makes permissions a map list keyed by (action, database); a resource stored
    // under an older CRD may still repeat one, which the Management API would refuse.
    for (size_t j = 0; j < spec.permissions.size(); ++j) {
      if (spec.permissions[j] == influx::Permission{action, db}) {
        return at + ": Duplicate value: " + action + " on \"" + db +
               "\" is already spec.permissions[" + std::to_string(j) + "]";
      }
    }
    spec.permissions.push_back({action, db});
  }
  if (auto e = j.find("expiresAt"); e != j.end() && !e->is_null()) {
    auto t = e->is_string() ? common::parseRfc3339(e->get<std::string>()) : std::nullopt;
    if (!t) {
      return "spec.expiresAt: must be an RFC 3339 date-time";
    }
    spec.expiresAt = *t;
  }
  return std::nullopt;
}

}  // namespace

bool DatabaseToken::hasFinalizer() const {
  for (const auto& f : finalizers) {
    if (f == kFinalizer) {
      return true;
    }
  }
  return false;
}

std::string DatabaseToken::effectiveDescription() const {
  return spec.description && !spec.description->empty() ? *spec.description : ns + "/" + name;
}

std::string DatabaseToken::effectiveSecretName() const {
  return spec.secretName ? *spec.secretName : name;
}

common::Result<DatabaseToken> parseDatabaseToken(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return common::Status(common::Code::kInvalidArgument, "not a Kubernetes object");
  }
  const json& meta = object["metadata"];
  DatabaseToken t;
  t.ns = str(meta, "namespace");
  t.name = str(meta, "name");
  t.uid = str(meta, "uid");
  t.resourceVersion = str(meta, "resourceVersion");
  if (t.name.empty()) {
    return common::Status(common::Code::kInvalidArgument, "object without a name");
  }
  if (auto g = meta.find("generation"); g != meta.end() && g->is_number_integer()) {
    t.generation = g->get<int64_t>();
  }
  t.deleting = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  for (const auto& f : meta.value("finalizers", json::array())) {
    if (f.is_string()) {
      t.finalizers.push_back(f.get<std::string>());
    }
  }
  if (auto a = meta.find("annotations"); a != meta.end() && a->is_object()) {
    t.paused = a->value(kPausedAnnotation, "") == "true";
    t.instance = str(*a, kInstanceAnnotation);
  }
  t.invalidSpec = parseSpec(object.value("spec", json()), t.spec);
  const json& st = object.value("status", json::object());
  if (st.is_object()) {
    t.status.phase = str(st, "phase");
    t.status.tokenId = str(st, "tokenId");
    t.status.secretName = str(st, "secretName");
    t.status.createdAt = str(st, "createdAt");
    t.status.revokedAt = str(st, "revokedAt");
    t.status.expiresAt = str(st, "expiresAt");
    if (auto g = st.find("observedGeneration"); g != st.end() && g->is_number_integer()) {
      t.status.observedGeneration = g->get<int64_t>();
    }
    t.status.conditions = parseConditions(st.value("conditions", json::array()));
  }
  return t;
}

json toJson(const TokenStatus& s) {
  json out = json::object();
  if (!s.phase.empty()) {
    out["phase"] = s.phase;
  }
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"tokenId", &s.tokenId},
        {"secretName", &s.secretName},
        {"createdAt", &s.createdAt},
        {"revokedAt", &s.revokedAt},
        {"expiresAt", &s.expiresAt}}) {
    if (!value->empty()) {
      out[key] = *value;
    }
  }
  out["observedGeneration"] = s.observedGeneration;
  json conditions = json::array();
  for (const auto& c : s.conditions) {
    conditions.push_back(toJson(c));
  }
  out["conditions"] = conditions;
  return out;
}

std::vector<influx::Permission> apiPermissions(const Spec& spec) {
  return spec.permissions;
}

}  // namespace dbtoken::tokens
