#include "tokens/reconciler.h"

#include "common/base64.h"
#include "kube/object.h"
#include "tokens/marker.h"

namespace dbtoken::tokens {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;
using runtime::Action;

kube::Resource databaseTokens() {
  return {kGroup, kVersion, kPlural, kKind, true};
}

std::string reasonFor(const Status& status, bool kubernetes) {
  std::string prefix = kubernetes ? "Kubernetes" : "Api";
  switch (status.code()) {
    case Code::kUnavailable:
      return prefix + "Unavailable";
    case Code::kDeadlineExceeded:
      return prefix + "Timeout";
    case Code::kOutcomeUnknown:
      return "ApiOutcomeUnknown";
    case Code::kUnauthenticated:
      return kubernetes ? "KubernetesUnauthorized" : "Unauthorized";
    case Code::kPermissionDenied:
      return kubernetes ? "KubernetesForbidden" : "Forbidden";
    case Code::kInvalidArgument:
      return prefix + "Rejected";
    case Code::kConflict:
    case Code::kAlreadyExists:
      return "Conflict";
    default:
      return prefix + "Error";
  }
}

struct TokenReconciler::Context {
  kube::ObjectKey key;
  // The resource as last seen (after this reconcile's own patches): the cache's shared
  // snapshot, never a copy of it.
  runtime::ObjectPtr object;
  DatabaseToken t;     // parsed from object
  TokenStatus status;  // what status should say; written when it differs from t.status
  SecretState secret;
};

namespace {

// Ends a create-in-flight mark however the create goes.
class CreateGuard {
 public:
  CreateGuard(TokenInventory& inventory, std::string uid)
      : inventory_(inventory), uid_(std::move(uid)) {
    inventory_.beginCreate(uid_);
  }
  ~CreateGuard() { inventory_.endCreate(uid_); }
  CreateGuard(const CreateGuard&) = delete;
  CreateGuard& operator=(const CreateGuard&) = delete;

 private:
  TokenInventory& inventory_;
  std::string uid_;
};

std::string shortList(const std::vector<influx::Permission>& permissions) {
  if (permissions.empty()) {
    return "no permissions";
  }
  std::string out;
  for (const auto& p : permissions) {
    out += (out.empty() ? "" : ", ") + p.action + " " + p.resource;
  }
  return out;
}

bool sameExpiry(const std::optional<common::WallTime>& a,
                const std::optional<common::WallTime>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  if (!a) {
    return true;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*a - *b).count() == 0;
}

// Ready: token `id` exists and Secret `secretName` holds it.
Condition tokenReady(const std::string& id, const std::string& secretName, int64_t gen) {
  return makeCondition(kConditionReady, true, "TokenReady",
                       "Token " + id + " exists and Secret " + secretName + " holds it.", gen);
}

// The last reconcile succeeded and the token is live: Synced=True, Revoked=False.
void markSyncedAndLive(std::vector<Condition>& conditions, int64_t gen, common::WallTime now) {
  setCondition(conditions,
               makeCondition(kConditionSynced, true, "Synced", "The token matches the spec.", gen),
               now);
  setCondition(
      conditions,
      makeCondition(kConditionRevoked, false, "NotRevoked", "The token is not revoked.", gen), now);
}

std::optional<common::WallTime> parseTime(const std::string& s) {
  if (s.empty()) {
    return std::nullopt;
  }
  return common::parseRfc3339(s);
}

}  // namespace

TokenReconciler::TokenReconciler(kube::KubeApi& kube, influx::TokenClient& influx,
                                 const runtime::ObjectReader& databaseTokens,
                                 const runtime::ObjectReader& secrets, TokenInventory& inventory,
                                 runtime::EventRecorder& events,
                                 runtime::ObjectWatches& foreignSecrets, const common::Clock& clock,
                                 common::Logger logger, ReconcilerOptions options)
    : kube_(kube),
      influx_(influx),
      databaseTokens_(databaseTokens),
      secrets_(secrets),
      inventory_(inventory),
      events_(events),
      foreignSecrets_(foreignSecrets),
      clock_(clock),
      log_(std::move(logger)),
      options_(std::move(options)) {}

Marker TokenReconciler::marker(const DatabaseToken& t) const {
  return Marker{options_.scope.clusterId, options_.scope.instance, t.ns, t.uid};
}

std::string TokenReconciler::scrub(const std::string& text) const {
  return options_.redactor ? options_.redactor->scrub(text) : text;
}

void TokenReconciler::event(Context& c, runtime::EventType type, const std::string& reason,
                            const std::string& message) {
  events_.event(*c.object, type, reason, scrub(message));
}

Result<Action> TokenReconciler::reconcile(const kube::ObjectKey& key) {
  runtime::ObjectPtr cached = databaseTokens_.get(key);
  if (!cached) {
    return Action::awaitChange();  // gone; anything external was handled by the finalizer
  }
  auto parsed = parseDatabaseToken(*cached);
  if (!parsed.ok()) {
    log_.warn("ignoring a malformed DatabaseToken",
              {{"key", key.toString()}, {"error", parsed.status().message()}});
    return Action::awaitChange();
  }
  Context c{key, std::move(cached), std::move(parsed).value(), {}, {}};
  if (!c.t.instance.empty() && c.t.instance != options_.scope.instance) {
    // Another install's (its annotation says so): not even status is ours to write.
    return Action::awaitChange();
  }
  c.status = c.t.status;
  const int64_t gen = c.t.generation;

  if (c.t.paused) {
    setCondition(c.status.conditions,
                 makeCondition(kConditionSynced, false, "Paused",
                               "Reconciling is paused by the annotation " +
                                   std::string(kPausedAnnotation) + "=true.",
                               gen),
                 clock_.wallNow());
    if (auto s = writeStatus(c); !s.isOk()) {
      return s;
    }
    return Action::awaitChange();
  }
  if (c.t.deleting) {
    return finalize(c);
  }
  if (c.t.invalidSpec && !c.t.spec.revoked) {
    // Refused by the schema on any current CRD; reported, never sent to InfluxDB. A revocation
    // is honoured all the same: nothing may keep a token alive that was asked to go.
    return invalidSpec(c, *c.t.invalidSpec);
  }
  if (!c.t.hasFinalizer() || c.t.instance.empty()) {
    // Before anything external exists, so a deletion can never skip the revocation.
    if (auto s = takeOn(c); !s.isOk()) {
      return failed(c, s, "adding the finalizer", Source::kKubernetes);
    }
  }
  const bool wasRevoked = c.t.status.phase == kPhaseRevoked || !c.t.status.revokedAt.empty();
  if (wasRevoked && !c.t.spec.revoked) {
    // spec.revoked went back to false where no CEL rule stopped it: revocation is final.
    auto now = clock_.wallNow();
    bool changed = setCondition(
        c.status.conditions,
        makeCondition(kConditionSynced, false, "UnrevokeRefused",
                      "spec.revoked was set back to false, but a revocation is irreversible: the "
                      "token stays revoked. Create a new DatabaseToken for a new token.",
                      gen),
        now);
    setCondition(c.status.conditions,
                 makeCondition(kConditionRevoked, true, "Revoked",
                               "The token was revoked; revocation is irreversible.", gen),
                 now);
    setCondition(c.status.conditions,
                 makeCondition(kConditionReady, false, "Revoked", "The token was revoked.", gen),
                 now);
    c.status.observedGeneration = gen;
    if (changed) {
      event(c, runtime::EventType::kWarning, "UnrevokeRefused",
            "spec.revoked was set back to false; the token stays revoked.");
    }
    if (auto s = writeStatus(c); !s.isOk()) {
      return s;
    }
    return Action::awaitChange();
  }
  if (c.t.spec.revoked) {
    return revoke(c);
  }
  return ensure(c);
}

Status TokenReconciler::takeOn(Context& c) {
  const json& meta = c.object->at("metadata");
  // The resourceVersion keeps this from dropping a finalizer added meanwhile, and makes a stale
  // cache a Conflict to re-read and retry (a failed JSON patch test would be 422, not retried);
  // of two installs taking the resource on at once, the second gets the Conflict and then sees
  // the first one's annotation.
  json patch = {{"metadata", {{"resourceVersion", meta.value("resourceVersion", "")}}}};
  if (!c.t.hasFinalizer()) {
    json finalizers = meta.contains("finalizers") && meta["finalizers"].is_array()
                          ? meta["finalizers"]
                          : json::array();
    finalizers.push_back(kFinalizer);
    patch["metadata"]["finalizers"] = finalizers;
  }
  if (c.t.instance.empty()) {
    patch["metadata"]["annotations"] = {{kInstanceAnnotation, options_.scope.instance}};
  }
  kube::PatchOptions o;
  o.type = kube::PatchType::kMerge;
  o.fieldManager = options_.fieldManager;
  auto r = kube_.patch(databaseTokens(), c.t.ns, c.t.name, patch, o);
  if (!r.ok()) {
    return r.status();
  }
  c.object = std::make_shared<const json>(std::move(r).value());
  if (!c.t.hasFinalizer()) {
    c.t.finalizers.push_back(kFinalizer);
  }
  c.t.instance = options_.scope.instance;
  c.t.resourceVersion = kube::resourceVersionOf(*c.object);
  return Status::ok();
}

Status TokenReconciler::removeFinalizer(Context& c) {
  const json& fins = c.object->at("metadata").value("finalizers", json::array());
  for (size_t i = 0; i < fins.size(); ++i) {
    if (fins[i] != kFinalizer) {
      continue;
    }
    // Test the value at the index, so a concurrent change to the list cannot make this remove
    // someone else's finalizer.
    std::string path = "/metadata/finalizers/" + std::to_string(i);
    json patch = json::array({{{"op", "test"}, {"path", path}, {"value", kFinalizer}},
                              {{"op", "remove"}, {"path", path}}});
    kube::PatchOptions o;
    o.type = kube::PatchType::kJson;
    o.fieldManager = options_.fieldManager;
    auto r = kube_.patch(databaseTokens(), c.t.ns, c.t.name, patch, o);
    if (!r.ok() && r.status().code() != Code::kNotFound) {
      return r.status();
    }
    return Status::ok();
  }
  return Status::ok();
}

Status TokenReconciler::writeStatus(Context& c) {
  for (auto& condition : c.status.conditions) {
    condition.message = scrub(condition.message);  // as stored, so an unchanged one is equal
  }
  if (c.status == c.t.status) {
    return Status::ok();  // nothing changed: no write
  }
  json status = toJson(c.status);
  // A merge patch removes fields only when they are null.
  for (const char* field :
       {"phase", "tokenId", "secretName", "createdAt", "revokedAt", "expiresAt"}) {
    if (!status.contains(field)) {
      status[field] = nullptr;
    }
  }
  kube::PatchOptions o;
  o.type = kube::PatchType::kMerge;
  o.subresource = "status";
  o.fieldManager = options_.fieldManager;
  // Only over the object this reconcile read: a status computed from a stale cache must not
  // overwrite a newer one (it would drop the token id); it is a Conflict, retried after a re-read.
  json patch = {{"metadata", {{"resourceVersion", kube::resourceVersionOf(*c.object)}}},
                {"status", status}};
  auto r = kube_.patch(databaseTokens(), c.t.ns, c.t.name, patch, o);
  if (!r.ok()) {
    return r.status();
  }
  c.object = std::make_shared<const json>(std::move(r).value());
  c.t.status = c.status;
  return Status::ok();
}

Status TokenReconciler::writeSecret(Context& c, const std::string& tokenId,
                                    const common::Secret& accessToken) {
  json secret = buildSecret(c.t, tokenId, accessToken);
  kube::WriteOptions o;
  o.fieldManager = options_.fieldManager;
  if (c.secret.kind == SecretState::Kind::kOwned) {
    runtime::ObjectPtr cached = secrets_.get({c.t.ns, c.t.effectiveSecretName()});
    if (cached) {
      secret["metadata"]["resourceVersion"] = kube::resourceVersionOf(*cached);
    }
    auto r = kube_.update(kube::resources::secrets(), c.t.ns, secret, o);
    if (r.ok() || r.status().code() != Code::kNotFound) {
      return r.status();
    }
    secret["metadata"].erase("resourceVersion");  // deleted meanwhile: create it again
  }
  auto r = kube_.create(kube::resources::secrets(), c.t.ns, secret, o);
  return r.status();
}

Result<SecretState> TokenReconciler::readSecretLive(Context& c, const std::string& name) {
  auto r = kube_.get(kube::resources::secrets(), c.t.ns, name);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) {
      return SecretState{};
    }
    return r.status();
  }
  return examineSecret(&*r, c.t.uid);
}

Result<Action> TokenReconciler::secretConflict(Context& c, const std::string& secretName) {
  const int64_t gen = c.t.generation;
  auto now = clock_.wallNow();
  std::string message = "Secret " + secretName +
                        " exists and is not managed by this DatabaseToken; the operator never "
                        "overwrites it. Delete it or choose another spec.secretName.";
  bool changed =
      setCondition(c.status.conditions,
                   makeCondition(kConditionReady, false, "SecretConflict", message, gen), now);
  setCondition(c.status.conditions,
               makeCondition(kConditionSynced, false, "SecretConflict", message, gen), now);
  if (c.status.phase.empty()) {
    c.status.phase = kPhasePending;
  }
  c.status.observedGeneration = gen;
  // The Secret informer sees only the operator's own Secrets: watch this one by name, so its
  // deletion brings the reconcile that issues the token.
  foreignSecrets_.watch({c.t.ns, secretName}, c.key);
  if (changed) {
    log_.info("a Secret the operator does not own holds the name; waiting",
              {{"key", c.key.toString()}, {"secret", secretName}});
    event(c, runtime::EventType::kWarning, "SecretConflict", message);
  }
  if (auto s = writeStatus(c); !s.isOk()) {
    return failed(c, s, "writing status", Source::kKubernetes);
  }
  return Action::awaitChange();
}

Result<bool> TokenReconciler::moveSecret(Context& c, const std::string& id) {
  const std::string from = c.t.status.secretName;
  const std::string to = c.t.effectiveSecretName();
  auto old = kube_.get(kube::resources::secrets(), c.t.ns, from);
  if (!old.ok()) {
    if (old.status().code() == Code::kNotFound) {
      return false;
    }
    return old.status();
  }
  SecretState state = examineSecret(&*old, c.t.uid);
  if (state.kind != SecretState::Kind::kOwned || !state.intact || state.tokenId != id) {
    return false;
  }
  std::string data = old->value("data", json::object()).value(kSecretKey, "");
  auto plain = common::base64Decode(data);
  if (!plain) {
    return false;
  }
  common::Secret accessToken(std::move(*plain));
  if (auto s = writeSecret(c, id, accessToken); !s.isOk()) {
    return s;
  }
  log_.info("moved the token to its new Secret",
            {{"key", c.key.toString()}, {"tokenId", id}, {"from", from}, {"to", to}});
  event(c, runtime::EventType::kNormal, "SecretMoved",
        "Moved token " + id + " from Secret " + from + " to Secret " + to +
            " (spec.secretName changed); no new token was issued.");
  return true;
}

Status TokenReconciler::deleteOldSecret(Context& c) {
  const std::string old = c.t.status.secretName;
  if (old.empty() || old == c.t.effectiveSecretName()) {
    return Status::ok();
  }
  SecretState state = examineSecret(secrets_.get({c.t.ns, old}).get(), c.t.uid);
  if (state.kind != SecretState::Kind::kOwned) {
    return Status::ok();  // gone already, or someone else's now
  }
  return deleteSecret(c, old, state.uid, "deleted the Secret the token was moved from");
}

Status TokenReconciler::deleteSecret(Context& c, const std::string& name, const std::string& uid,
                                     const char* logLine) {
  kube::DeleteOptions o;
  o.preconditionUid = uid;  // this very Secret, not one made under the name meanwhile
  auto r = kube_.remove(kube::resources::secrets(), c.t.ns, name, o);
  if (!r.ok() && r.status().code() != Code::kNotFound) {
    return r.status();
  }
  log_.info(logLine, {{"key", c.key.toString()}, {"secret", name}});
  return Status::ok();
}

Status TokenReconciler::deleteOwnedSecret(Context& c) {
  if (c.secret.kind != SecretState::Kind::kOwned) {
    return Status::ok();
  }
  return deleteSecret(c, c.t.effectiveSecretName(), c.secret.uid, "deleted the token's Secret");
}

Status TokenReconciler::releaseSecret(Context& c) {
  if (c.secret.kind != SecretState::Kind::kOwned) {
    return Status::ok();
  }
  // Without the ownerReference the garbage collector keeps the Secret; without the label the
  // operator no longer treats it as its own.
  json patch = {
      {"metadata", {{"ownerReferences", nullptr}, {"labels", {{kManagedByLabel, nullptr}}}}}};
  kube::PatchOptions o;
  o.type = kube::PatchType::kMerge;
  o.fieldManager = options_.fieldManager;
  auto r = kube_.patch(kube::resources::secrets(), c.t.ns, c.t.effectiveSecretName(), patch, o);
  if (!r.ok() && r.status().code() != Code::kNotFound) {
    return r.status();
  }
  return Status::ok();
}

Status TokenReconciler::revokeOne(Context& c, const std::string& id, bool& revoked) {
  auto r = influx_.revoke(id);
  if (!r.ok()) {
    return r.status();
  }
  inventory_.markRevoked(id);
  revoked = revoked || *r == influx::RevokeOutcome::kRevoked;
  log_.info("revoked token", {{"key", c.key.toString()}, {"tokenId", id}});
  return Status::ok();
}

Status TokenReconciler::revokeAllBut(Context& c, const std::string& keep, bool& revokedSomething) {
  std::vector<std::string> ids;
  auto add = [&](const std::string& id) {
    if (!id.empty() && id != keep && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      if (auto known = inventory_.find(id); known && known->isRevoked()) {
        return;  // the inventory shows it revoked already
      }
      ids.push_back(id);
    }
  };
  if (c.t.status.revokedAt.empty()) {
    add(c.t.status.tokenId);
  }
  if (c.secret.kind == SecretState::Kind::kOwned) {
    add(c.secret.tokenId);
  }
  if (auto recent = inventory_.recentlyIssued(c.t.uid)) {
    add(*recent);
  }
  // Every token marked for this resource in this cluster (a UID names one resource): also
  // v0.1 markers, and those of an install that managed it before.
  for (const auto& token : inventory_.all()) {
    auto m = token.isRevoked() ? std::nullopt : parseMarker(token.description);
    if (m && m->clusterId == options_.scope.clusterId && m->resourceUid == c.t.uid) {
      add(token.id);
    }
  }
  for (const auto& id : ids) {
    if (auto s = revokeOne(c, id, revokedSomething); !s.isOk()) {
      return s;
    }
  }
  return Status::ok();
}

Result<Action> TokenReconciler::revoke(Context& c) {
  const int64_t gen = c.t.generation;
  c.secret = examineSecret(secrets_.get({c.t.ns, c.t.effectiveSecretName()}).get(), c.t.uid);
  bool revoked = false;
  if (auto s = revokeAllBut(c, "", revoked); !s.isOk()) {
    return failed(c, s, "revoking the token", Source::kInflux);
  }
  if (auto s = deleteOwnedSecret(c); !s.isOk()) {
    return failed(c, s, "deleting the token's Secret", Source::kKubernetes);
  }
  if (auto s = deleteOldSecret(c); !s.isOk()) {
    return failed(c, s, "deleting the token's old Secret", Source::kKubernetes);
  }
  foreignSecrets_.forget(c.key);
  auto now = clock_.wallNow();
  c.status.phase = kPhaseRevoked;
  if (c.status.revokedAt.empty()) {
    c.status.revokedAt = common::formatRfc3339(now);
  }
  c.status.observedGeneration = gen;
  setCondition(c.status.conditions,
               makeCondition(kConditionRevoked, true, "Revoked",
                             "The token was revoked; revocation is irreversible.", gen),
               now);
  setCondition(c.status.conditions,
               makeCondition(kConditionReady, false, "Revoked", "The token was revoked.", gen),
               now);
  setCondition(
      c.status.conditions,
      makeCondition(kConditionSynced, true, "Synced", "The token is revoked as declared.", gen),
      now);
  if (revoked) {
    event(c, runtime::EventType::kNormal, "Revoked",
          "Revoked token " + c.t.status.tokenId + " in InfluxDB and deleted its Secret.");
  }
  if (auto s = writeStatus(c); !s.isOk()) {
    return failed(c, s, "writing status", Source::kKubernetes);
  }
  return Action::awaitChange();
}

Result<Action> TokenReconciler::finalize(Context& c) {
  if (!c.t.hasFinalizer()) {
    return Action::awaitChange();  // someone else's finalizer keeps it; nothing of ours left
  }
  c.secret = examineSecret(secrets_.get({c.t.ns, c.t.effectiveSecretName()}).get(), c.t.uid);
  bool revoked = false;
  if (c.t.spec.deletionPolicy == DeletionPolicy::kRevoke) {
    // The finalizer stays until the API confirms the revocation (204 or 404).
    if (auto s = revokeAllBut(c, "", revoked); !s.isOk()) {
      return failed(c, s, "revoking the token of a deleted DatabaseToken", Source::kInflux);
    }
    if (revoked) {
      event(c, runtime::EventType::kNormal, "Revoked",
            "Revoked token " + c.t.status.tokenId +
                " in InfluxDB because its DatabaseToken was deleted.");
    }
  } else {
    std::string current = c.t.status.revokedAt.empty() ? c.t.status.tokenId : "";
    if (current.empty() && c.secret.kind == SecretState::Kind::kOwned) {
      current = c.secret.tokenId;
    }
    if (!current.empty()) {
      auto known = inventory_.find(current);
      std::string description =
          known ? known->description : withMarker(c.t.effectiveDescription(), marker(c.t));
      influx::UpdateRequest release;
      release.description = withoutMarker(description);
      auto r = influx_.update(current, release);
      if (!r.ok() && r.status().code() == Code::kConflict) {
        // 409: the token is revoked (nothing left to release), or an API that wants unique
        // descriptions has one with the bare text: then a readable one no other release takes.
        auto now = influx_.get(current);
        if (now.ok() && !now->isRevoked()) {
          release.description = *release.description + " (released from " + c.t.ns + "/" +
                                c.t.name + " " + c.t.uid + ")";
          r = influx_.update(current, release);
        } else if (now.ok() || now.status().code() == Code::kNotFound) {
          r = Status(Code::kNotFound, "the token is revoked: nothing to release");
        }
      }
      if (!r.ok() && r.status().code() != Code::kNotFound) {
        return failed(c, r.status(), "releasing the token", Source::kInflux);
      }
      if (r.ok()) {
        inventory_.upsert(*r);
        log_.info("released token", {{"key", c.key.toString()}, {"tokenId", current}});
        event(c, runtime::EventType::kNormal, "Released",
              "Released token " + current +
                  ": it stays in InfluxDB without the operator's marker, and Secret " +
                  c.t.effectiveSecretName() + " is kept.");
      }
    }
    if (auto s = revokeAllBut(c, current, revoked); !s.isOk()) {
      return failed(c, s, "revoking leftover tokens", Source::kInflux);
    }
    if (auto s = releaseSecret(c); !s.isOk()) {
      return failed(c, s, "releasing the Secret", Source::kKubernetes);
    }
  }
  if (auto s = removeFinalizer(c); !s.isOk()) {
    return failed(c, s, "removing the finalizer", Source::kKubernetes);
  }
  foreignSecrets_.forget(c.key);
  return Action::awaitChange();
}

Result<Action> TokenReconciler::ensure(Context& c) {
  const int64_t gen = c.t.generation;
  if (!inventory_.loaded() || inventory_.refreshPending()) {
    // No token is issued before the inventory is known (it is how orphans are found), nor after
    // a create whose outcome is unknown until a new list has shown what that create did.
    return Action::requeueAfter(options_.inventoryWait);
  }
  const std::string secretName = c.t.effectiveSecretName();
  c.secret = examineSecret(secrets_.get({c.t.ns, secretName}).get(), c.t.uid);
  if (c.secret.kind == SecretState::Kind::kMissing) {
    // The cache holds only the operator's labelled Secrets: before a token is issued or moved
    // into this name, the API says whether someone else's Secret has it.
    auto live = readSecretLive(c, secretName);
    if (!live.ok()) {
      return failed(c, live.status(), "reading the token's Secret", Source::kKubernetes);
    }
    if (live->kind == SecretState::Kind::kOwned) {
      return Action::requeueAfter(options_.inventoryWait);  // ours; the cache has not caught up
    }
    c.secret = *live;
  }
  if (c.secret.kind == SecretState::Kind::kForeign) {
    return secretConflict(c, secretName);
  }
  foreignSecrets_.forget(c.key);
  auto now = clock_.wallNow();

  // The current token: one this process issued that the cache does not show yet (newer than
  // what the cache says), then status, then the Secret (a status write that failed after the
  // Secret was written).
  inventory_.settle(c.t.uid, c.t.status.tokenId);
  std::string id;
  bool remembered = false;
  if (auto recent = inventory_.recentlyIssued(c.t.uid)) {
    id = *recent;
    remembered = true;
  } else if (c.t.status.revokedAt.empty()) {
    id = c.t.status.tokenId;
  }
  if (id.empty() && c.secret.kind == SecretState::Kind::kOwned) {
    id = c.secret.tokenId;
  }
  if (id.empty()) {
    return issue(c, "", nullptr);
  }
  if (remembered && (c.secret.kind != SecretState::Kind::kOwned || c.secret.tokenId != id)) {
    // Its Secret was written by this process and the cache does not show it yet: a stale
    // cache never issues twice. Look again soon.
    return Action::requeueAfter(options_.inventoryWait);
  }
  std::optional<influx::Token> token = inventory_.find(id);
  if (inventory_.knownGone(id)) {
    return issue(c, id, "was revoked or deleted outside Kubernetes");
  }
  if (c.secret.kind == SecretState::Kind::kMissing && !c.t.status.secretName.empty() &&
      c.t.status.secretName != secretName) {
    // spec.secretName changed: the same token moves into the new Secret.
    auto moved = moveSecret(c, id);
    if (!moved.ok()) {
      return failed(c, moved.status(), "moving the token to its new Secret", Source::kKubernetes);
    }
    if (*moved) {
      c.secret.kind = SecretState::Kind::kOwned;
      c.secret.tokenId = id;
      c.secret.intact = true;
    }
  }
  if (c.secret.kind == SecretState::Kind::kMissing) {
    return issue(c, id, "lost its Secret (deleted), and a token string cannot be read again");
  }
  if (!c.secret.intact || c.secret.tokenId != id) {
    return issue(c, id, "lost its Secret (edited), and a token string cannot be read again");
  }
  std::optional<common::WallTime> currentExpiry =
      token ? token->expiresAt : parseTime(c.t.status.expiresAt);
  if (!sameExpiry(currentExpiry, c.t.spec.expiresAt)) {
    return issue(c, id, "has another expiry than spec.expiresAt, which InfluxDB cannot change");
  }

  // Drift in what InfluxDB can change in place: description and permissions (and a marker in
  // an older form, re-marked in place).
  if (token && !token->isRevoked()) {
    std::string wantDescription = withMarker(c.t.effectiveDescription(), marker(c.t));
    std::vector<influx::Permission> wantPermissions = apiPermissions(c.t.spec);
    influx::UpdateRequest update;
    if (token->description != wantDescription) {
      update.description = wantDescription;
    }
    if (token->permissions != wantPermissions) {
      update.permissions = wantPermissions;
    }
    if (update.description || update.permissions) {
      auto r = influx_.update(id, update);
      if (!r.ok() && r.status().code() == Code::kConflict) {
        // 409: the API refuses to change a revoked token — or, when it wants unique
        // descriptions, another token has this one. Only the first is "gone".
        auto current = influx_.get(id);
        if ((current.ok() && current->isRevoked()) || current.status().code() == Code::kNotFound) {
          r = Status(Code::kNotFound, "the token is revoked");
        }
      }
      if (!r.ok() && r.status().code() == Code::kNotFound) {
        // Gone since the inventory was listed: as if revoked outside Kubernetes.
        inventory_.markRevoked(id);
        return issue(c, id, "was revoked or deleted outside Kubernetes");
      }
      if (!r.ok()) {
        return failed(c, r.status(), "updating the token", Source::kInflux);
      }
      auto before = parseMarker(token->description);
      inventory_.upsert(*r);
      token = *r;
      log_.info("updated token", {{"key", c.key.toString()},
                                  {"tokenId", id},
                                  {"permissions", update.permissions.has_value()},
                                  {"description", update.description.has_value()}});
      std::string what;
      if (update.permissions) {
        what = "Set the permissions of token " + id + " to " + shortList(wantPermissions) + ".";
      } else if (before && before->resourceUid == c.t.uid && before != marker(c.t)) {
        what = "Re-marked token " + id + " as managed by install " + options_.scope.instance +
               " for namespace " + c.t.ns + "; no new token was issued.";
      } else {
        what = "Set the description of token " + id + ".";
      }
      event(c, runtime::EventType::kNormal,
            update.permissions ? "PermissionsUpdated" : "DescriptionUpdated", what);
    }
  }
  if (auto s = deleteOldSecret(c); !s.isOk()) {
    return failed(c, s, "deleting the token's old Secret", Source::kKubernetes);
  }

  c.status.phase = kPhaseActive;
  c.status.tokenId = id;
  c.status.secretName = secretName;
  if (token) {
    c.status.createdAt = common::formatRfc3339(token->createdAt);
    c.status.expiresAt = token->expiresAt ? common::formatRfc3339(*token->expiresAt) : "";
  }
  c.status.observedGeneration = gen;
  if (token && token->isExpiredAt(now)) {
    setCondition(c.status.conditions,
                 makeCondition(kConditionReady, false, "Expired",
                               "Token " + id + " expired at " + c.status.expiresAt +
                                   "; set a later spec.expiresAt to issue a new one.",
                               gen),
                 now);
  } else {
    setCondition(c.status.conditions, tokenReady(id, secretName, gen), now);
  }
  markSyncedAndLive(c.status.conditions, gen, now);
  if (auto s = writeStatus(c); !s.isOk()) {
    return failed(c, s, "writing status", Source::kKubernetes);
  }
  return Action::awaitChange();
}

Result<Action> TokenReconciler::invalidSpec(Context& c, const std::string& problem) {
  const int64_t gen = c.t.generation;
  std::string message = "The spec is invalid: " + problem + ".";
  auto now = clock_.wallNow();
  bool changed = setCondition(
      c.status.conditions, makeCondition(kConditionReady, false, "InvalidSpec", message, gen), now);
  setCondition(c.status.conditions,
               makeCondition(kConditionSynced, false, "InvalidSpec", message, gen), now);
  if (c.status.tokenId.empty()) {
    c.status.phase = kPhaseFailed;
  }
  c.status.observedGeneration = gen;
  if (changed) {
    event(c, runtime::EventType::kWarning, "InvalidSpec", message);
  }
  if (auto s = writeStatus(c); !s.isOk()) {
    return failed(c, s, "writing status", Source::kKubernetes);
  }
  return Action::awaitChange();
}

Result<Action> TokenReconciler::issue(Context& c, const std::string& previousId, const char* why) {
  const int64_t gen = c.t.generation;
  const std::string secretName = c.t.effectiveSecretName();
  if (c.t.spec.expiresAt && *c.t.spec.expiresAt <= clock_.wallNow()) {
    // InfluxDB would issue a token that is dead on arrival.
    return invalidSpec(c, "spec.expiresAt: " + common::formatRfc3339(*c.t.spec.expiresAt) +
                              " is in the past; a new token must expire in the future");
  }
  influx::CreateRequest request;
  request.description = withMarker(c.t.effectiveDescription(), marker(c.t));
  request.permissions = apiPermissions(c.t.spec);
  request.expiresAt = c.t.spec.expiresAt;

  Result<influx::CreatedToken> created = Status(Code::kInternal, "not attempted");
  {
    CreateGuard guard(inventory_, c.t.uid);
    created = influx_.create(request);
    if (!created.ok() && created.status().code() == Code::kAlreadyExists && !previousId.empty()) {
      // An API that refuses duplicate descriptions: the old token has to go first.
      bool revoked = false;
      if (auto s = revokeOne(c, previousId, revoked); !s.isOk()) {
        return failed(c, s, "revoking the previous token", Source::kInflux);
      }
      created = influx_.create(request);
    }
    if (created.ok()) {
      inventory_.rememberIssued(c.t.uid, created->token.id);
      inventory_.upsert(created->token);
    }
  }
  if (!created.ok()) {
    Status s = created.status();
    if (s.code() == Code::kOutcomeUnknown) {
      // A token may exist whose string is lost: the next inventory finds it by its marker and
      // the sweep revokes it before another is issued.
      inventory_.requestRefresh();
    } else if (s.code() == Code::kAlreadyExists) {
      inventory_.requestRefresh();  // a leftover token with this description: sweep it first
    }
    return failed(c, s, "creating the token", Source::kInflux);
  }
  const influx::Token& token = created->token;
  log_.info("issued token", {{"key", c.key.toString()}, {"tokenId", token.id}});
  if (auto s = writeSecret(c, token.id, created->accessToken); !s.isOk()) {
    // No orphan: the string is lost with this Secret write, so the token goes too (or, when
    // the API does not answer, the sweep revokes it: nothing names it any more).
    inventory_.forgetIssued(c.t.uid, token.id);
    bool revoked = false;
    if (auto r = revokeOne(c, token.id, revoked); !r.isOk()) {
      inventory_.requestRefresh();  // the sweep will find it by its marker
    }
    if (s.code() == Code::kAlreadyExists) {
      return secretConflict(c, secretName);  // a Secret appeared under the name meanwhile
    }
    return failed(c, s, "writing the token's Secret", Source::kKubernetes);
  }
  log_.info("wrote the token's Secret",
            {{"key", c.key.toString()}, {"tokenId", token.id}, {"secret", secretName}});
  if (auto s = deleteOldSecret(c); !s.isOk()) {
    return failed(c, s, "deleting the token's old Secret", Source::kKubernetes);
  }
  auto now = clock_.wallNow();
  c.status.phase = kPhaseActive;
  c.status.tokenId = token.id;
  c.status.secretName = secretName;
  c.status.createdAt = common::formatRfc3339(token.createdAt);
  c.status.expiresAt = token.expiresAt ? common::formatRfc3339(*token.expiresAt) : "";
  c.status.revokedAt.clear();
  c.status.observedGeneration = gen;
  setCondition(c.status.conditions, tokenReady(token.id, secretName, gen), now);
  markSyncedAndLive(c.status.conditions, gen, now);
  if (previousId.empty()) {
    event(
        c, runtime::EventType::kNormal, "Created",
        "Created token " + token.id + " in InfluxDB; its string is in Secret " + secretName + ".");
  } else {
    event(c, runtime::EventType::kNormal, "TokenReissued",
          "Token " + previousId + " " + why + ": issued token " + token.id +
              " and stored it in Secret " + secretName + ".");
  }
  if (auto s = writeStatus(c); !s.isOk()) {
    // The Secret annotation names the token: the next reconcile adopts it from there.
    return failed(c, s, "writing status", Source::kKubernetes);
  }
  auto previous = previousId.empty() ? std::nullopt : inventory_.find(previousId);
  if (!previousId.empty() && !(previous && previous->isRevoked())) {
    bool revoked = false;
    if (auto s = revokeOne(c, previousId, revoked); !s.isOk()) {
      inventory_.requestRefresh();  // the sweep revokes it: it carries the marker, unused
      log_.warn("could not revoke the previous token yet; the sweep will",
                {{"key", c.key.toString()}, {"tokenId", previousId}, {"error", s.message()}});
    } else if (revoked) {
      event(c, runtime::EventType::kNormal, "Revoked",
            "Revoked the previous token " + previousId + ".");
    }
  }
  return Action::awaitChange();
}

Result<Action> TokenReconciler::failed(Context& c, const Status& status, const char* doing,
                                       Source source) {
  const bool influxError = source == Source::kInflux;
  std::string message = scrub(std::string(1, static_cast<char>(std::toupper(doing[0]))) +
                              std::string(doing + 1) + " failed: " + status.message());
  if (!influxError && status.code() == Code::kConflict) {
    // The resource or its Secret changed since the cache showed it (often by this process's own
    // write): re-read and retry. Not a failure anyone needs to hear of.
    return Status(Code::kConflict, message);
  }
  std::string reason = reasonFor(status, !influxError);
  const int64_t gen = c.t.generation;
  auto now = clock_.wallNow();
  bool changed = setCondition(c.status.conditions,
                              makeCondition(kConditionSynced, false, reason, message, gen), now);
  if (c.status.tokenId.empty() && c.status.revokedAt.empty()) {
    c.status.phase = kPhasePending;
    setCondition(c.status.conditions, makeCondition(kConditionReady, false, reason, message, gen),
                 now);
  }
  if (changed) {
    event(c, runtime::EventType::kWarning, reason, message);
  }
  if (auto s = writeStatus(c); !s.isOk()) {
    log_.debug("could not record a failure in status",
               {{"key", c.key.toString()}, {"error", s.message()}});
  }
  // The controller logs the one line of this failure, with the key and this message.
  // The Management API answering 401/403 is retried with backoff like an outage: the resource
  // recovers by itself once the credentials do.
  if (influxError &&
      (status.code() == Code::kUnauthenticated || status.code() == Code::kPermissionDenied)) {
    return Status(Code::kUnavailable, reason + ": " + message);
  }
  Status out(status.code(), reason + ": " + message);
  if (status.retryAfter()) {
    out.withRetryAfter(*status.retryAfter());
  }
  return out;
}

}  // namespace dbtoken::tokens
