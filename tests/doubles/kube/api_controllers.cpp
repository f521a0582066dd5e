// What a real cluster's controllers do around the apiserver, done by the double: serving a CRD
// (NamesAccepted/Established, storage initialisation), the garbage collector (background,
// foreground and orphan propagation, dangling owners), the namespace controller (Terminating,
// content deletion, conditions, removal), and watch timers (bookmarks, timeouts).
#include <openssl/sha.h>

#include <algorithm>

#include "common/time_format.h"
#include "kube/api_internal.h"
#include "kube/base64.h"
#include "kube/jsonpath.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string storageVersionHash(const std::string& group, const std::string& version,
                               const std::string& kind) {
  std::string text = group + "/" + version + "/" + kind;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64Encode(std::string(reinterpret_cast<const char*>(digest), 8));
}

json condition(const char* type, const char* status, const char* reason, const std::string& message,
               const std::string& now) {
  return {{"type", type},
          {"status", status},
          {"lastTransitionTime", now},
          {"reason", reason},
          {"message", message}};
}

bool isTrue(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

// What apiextensions' validateMapListKeysMaybeRequired refuses in a CRD's schema: items of a
// map or set list that may be null, and list-map keys that may be absent (neither required nor
// defaulted) or null.
void listTypeProblems(const json& node, const std::string& path, FieldErrors& errs) {
  if (!node.is_object()) {
    return;
  }
  auto listType = node.find("x-kubernetes-list-type");
  auto items = node.find("items");
  if (listType != node.end() && (*listType == "map" || *listType == "set") && items != node.end() &&
      items->is_object()) {
    if (isTrue(*items, "nullable")) {
      errs.push_back(
          {FieldErrorType::kForbidden, path + ".items.nullable", std::nullopt,
           "cannot be nullable when x-kubernetes-list-type is " + listType->get<std::string>()});
    }
    const json& props = items->value("properties", json::object());
    const json& required = items->value("required", json::array());
    for (const auto& k : node.value("x-kubernetes-list-map-keys", json::array())) {
      if (*listType != "map" || !k.is_string() || !props.contains(k.get<std::string>())) {
        continue;
      }
      const std::string key = k.get<std::string>();
      const std::string at = path + ".items.properties[" + key + "]";
      bool isRequired = std::find(required.begin(), required.end(), k) != required.end();
      if (!isRequired && !props[key].contains("default")) {
        errs.push_back({FieldErrorType::kRequired, at + ".default", std::nullopt,
                        "this property is in x-kubernetes-list-map-keys, so it must have a "
                        "default or be a required property"});
      }
      if (isTrue(props[key], "nullable")) {
        errs.push_back({FieldErrorType::kForbidden, at + ".nullable", std::nullopt,
                        "this property is in x-kubernetes-list-map-keys, so it cannot be "
                        "nullable"});
      }
    }
  }
  if (auto props = node.find("properties"); props != node.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      listTypeProblems(it.value(), path + ".properties[" + it.key() + "]", errs);
    }
  }
  if (items != node.end()) {
    listTypeProblems(*items, path + ".items", errs);
  }
  if (auto add = node.find("additionalProperties"); add != node.end()) {
    listTypeProblems(*add, path + ".additionalProperties", errs);
  }
}

}  // namespace

void ApiServer::runControllersOnce(bool force) {
  std::lock_guard lk(mu_);
  stepControllersLocked(force);
}

void ApiServer::controllerLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    stepControllersLocked(false);
    cv_.wait_for(lk, std::chrono::milliseconds(20));
  }
}

void ApiServer::stepControllersLocked(bool force) {
  establishCrds(force);
  collectGarbage(force);
  syncNamespaces(force);
  tickWatches();
}

ApiResponse ApiServer::validateCrd(const json& crd, const json* old) {
  (void)old;
  FieldErrors errs;
  const json& spec = crd.value("spec", json::object());
  std::string group = str(spec, "group");
  const json& names = spec.value("names", json::object());
  std::string plural = str(names, "plural");
  std::string kind = str(names, "kind");
  std::string name = crd.contains("metadata") ? str(crd["metadata"], "name") : "";
  if (plural.empty()) {
    errs.push_back({FieldErrorType::kRequired, "spec.names.plural", std::nullopt, ""});
  }
  if (kind.empty()) {
    errs.push_back({FieldErrorType::kRequired, "spec.names.kind", std::nullopt, ""});
  }
  if (group.empty() || group.find('.') == std::string::npos) {
    errs.push_back({FieldErrorType::kInvalid, "spec.group", goQuote(group),
                    "should be a domain with at least one dot"});
  }
  if (name != plural + "." + group) {
    errs.push_back({FieldErrorType::kInvalid, "metadata.name", goQuote(name),
                    "must be spec.names.plural+\".\"+spec.group"});
  }
  std::string scope = str(spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    errs.push_back({FieldErrorType::kNotSupported, "spec.scope", goQuote(scope),
                    "supported values: \"Cluster\", \"Namespaced\""});
  }
  const json& versions = spec.value("versions", json::array());
  int storage = 0;
  if (!versions.is_array() || versions.empty()) {
    errs.push_back({FieldErrorType::kInvalid, "spec.versions", "[]",
                    "must have exactly one version marked as storage version"});
  } else {
    // Versions that all have one schema are validated as the spec.validation it becomes
    // internally, and errors name that path.
    bool shared = versions[0].contains("schema");
    for (const auto& v : versions) {
      shared = shared && v.contains("schema") && v["schema"] == versions[0]["schema"];
    }
    if (shared && versions[0]["schema"].contains("openAPIV3Schema")) {
      listTypeProblems(versions[0]["schema"]["openAPIV3Schema"], "spec.validation.openAPIV3Schema",
                       errs);
    }
    for (size_t i = 0; i < versions.size(); ++i) {
      const json& v = versions[i];
      storage += v.value("storage", false) ? 1 : 0;
      std::string base = "spec.versions[" + std::to_string(i) + "].schema.openAPIV3Schema";
      if (!v.contains("schema") || !v["schema"].contains("openAPIV3Schema")) {
        errs.push_back({FieldErrorType::kRequired, base, std::nullopt, "schemas are required"});
        continue;
      }
      for (size_t c = 0; c < v.value("additionalPrinterColumns", json::array()).size(); ++c) {
        std::string path = v["additionalPrinterColumns"][c].value("jsonPath", "");
        if (!isSupportedJsonPath(path)) {
          errs.push_back({FieldErrorType::kInvalid,
                          "spec.versions[" + std::to_string(i) + "].additionalPrinterColumns[" +
                              std::to_string(c) + "].JSONPath",
                          goQuote(path), "must be a simple json path"});
        }
      }
      if (!shared) {
        listTypeProblems(v["schema"]["openAPIV3Schema"], base, errs);
      }
      FieldError problem{FieldErrorType::kInvalid, "", std::nullopt, ""};
      auto compiled = StructuralSchema::compile(v["schema"]["openAPIV3Schema"], base, &problem);
      if (!compiled.ok()) {
        errs.push_back(problem);
      }
    }
    if (storage != 1) {
      errs.push_back({FieldErrorType::kInvalid, "spec.versions", std::nullopt,
                      "must have exactly one version marked as storage version"});
    }
  }
  if (!errs.empty()) {
    return invalid({"apiextensions.k8s.io", "CustomResourceDefinition"}, name, errs);
  }
  return ApiResponse::json(200, json::object());
}

void ApiServer::registerCrd(const json& crd) {
  const json& spec = crd["spec"];
  std::string crdName = str(crd["metadata"], "name");
  const json& names = spec["names"];
  std::vector<ResourceTypePtr> types;
  std::string group = str(spec, "group");
  std::string plural = str(names, "plural");
  const json& versions = spec["versions"];
  for (size_t i = 0; i < versions.size(); ++i) {
    const json& v = versions[i];
    if (!v.value("served", false)) {
      continue;
    }
    auto t = std::make_shared<ResourceType>();
    t->group = group;
    t->version = str(v, "name");
    t->plural = plural;
    t->singular = str(names, "singular");
    t->kind = str(names, "kind");
    t->listKind = str(names, "listKind");
    t->namespaced = str(spec, "scope") == "Namespaced";
    t->verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    t->shortNames = names.value("shortNames", std::vector<std::string>{});
    t->categories = names.value("categories", std::vector<std::string>{});
    t->storageVersionHash = storageVersionHash(group, t->version, t->kind);
    t->custom = true;
    t->statusSubresource = v.contains("subresources") && v["subresources"].contains("status");
    t->hasGeneration = true;
    t->allowUnconditionalUpdate = false;
    t->storageKey = "cr:" + group + "/" + plural;
    t->crdName = crdName;
    auto schema = StructuralSchema::compile(
        v["schema"]["openAPIV3Schema"],
        "spec.versions[" + std::to_string(i) + "].schema.openAPIV3Schema");
    if (schema.ok()) {
      t->schema = schema.value();
    }
    for (const auto& c : v.value("additionalPrinterColumns", json::array())) {
      PrinterColumn col;
      col.name = str(c, "name");
      col.type = str(c, "type");
      col.format = str(c, "format");
      col.description = str(c, "description");
      col.jsonPath = str(c, "jsonPath");
      col.priority = c.value("priority", 0);
      t->columns.push_back(std::move(col));
    }
    types.push_back(std::move(t));
  }
  customByCrd_[crdName] = std::move(types);
}

void ApiServer::unregisterCrd(const std::string& crdName) {
  auto it = customByCrd_.find(crdName);
  if (it == customByCrd_.end()) {
    return;
  }
  std::vector<ResourceTypePtr> types = it->second;
  if (!types.empty()) {
    const ResourceType& t = *types.front();
    std::vector<std::string> keys;
    store_.forEach(t.storageKey, "",
                   [&](const std::string& key, const StoredObject&) { keys.push_back(key); });
    for (const auto& key : keys) {
      erase(t, key);
    }
    store_.dropAll(t.storageKey);
    storageReadyAt_.erase(t.storageKey);
  }
  customByCrd_.erase(it);
  for (auto w = watchers_.begin(); w != watchers_.end();) {
    if ((*w)->type->crdName == crdName) {
      (*w)->stream->close();
      w = watchers_.erase(w);
    } else {
      ++w;
    }
  }
  crdsToEstablish_.erase(crdName);
}

void ApiServer::establishCrds(bool force) {
  auto now = clock_->now();
  ResourceTypePtr crdType = findType("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  for (auto it = crdsToEstablish_.begin(); it != crdsToEstablish_.end();) {
    if (!force && now < it->second) {
      ++it;
      continue;
    }
    const StoredObject* stored = store_.get(crdType->storageKey, it->first);
    if (stored == nullptr) {
      it = crdsToEstablish_.erase(it);
      continue;
    }
    json crd = *stored->obj;
    json accepted = crd["spec"]["names"];
    std::string ts = common::formatRfc3339(clock_->wallNow());
    crd["status"]["conditions"] =
        json::array({condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", ts),
                     condition("Established", "True", "InitialNamesAccepted",
                               "the initial names have been accepted", ts)});
    crd["status"]["acceptedNames"] = accepted;
    ManagedFields managed = stored->managed;
    commit(*crdType, it->first, crd, std::move(managed));
    registerCrd(crd);
    for (const auto& t : customByCrd_[it->first]) {
      store_.resetWindow(t->storageKey);
      // The storage's readiness was set when the CRD was created (establishment time plus the
      // init delay). Establishing late — a busy machine — must not start it over: a resource
      // that already answered would go back to 429 "storage is (re)initializing".
      if (force) {
        storageReadyAt_.erase(t->storageKey);
      }
    }
    it = crdsToEstablish_.erase(it);
  }
}

void ApiServer::collectGarbage(bool force) {
  auto now = clock_->now();
  std::vector<std::string> due;
  for (const auto& [k, when] : gcDue_) {
    if (force || now >= when) {
      due.push_back(k);
    }
  }
  if (due.empty()) {
    return;
  }
  for (const auto& k : due) {
    gcDue_.erase(k);
  }
  // Every type, once per storage, to find owners and dependents by uid.
  std::vector<ResourceTypePtr> types;
  std::set<std::string> seen;
  auto addType = [&](const ResourceTypePtr& t) {
    if (seen.insert(t->storageKey).second) {
      types.push_back(t);
    }
  };
  for (const auto& t : builtins_) {
    addType(t);
  }
  for (const auto& [crd, ts] : customByCrd_) {
    (void)crd;
    for (const auto& t : ts) {
      addType(t);
    }
  }
  struct Ref {
    ResourceTypePtr type;
    std::string key;
  };
  std::map<std::string, Ref> byUid;
  std::multimap<std::string, Ref> dependentsOf;  // owner uid -> dependent
  for (const auto& t : types) {
    store_.forEach(t->storageKey, "", [&](const std::string& key, const StoredObject& s) {
      const json& meta = (*s.obj)["metadata"];
      byUid[meta.value("uid", "")] = {t, key};
      for (const auto& ref : meta.value("ownerReferences", json::array())) {
        dependentsOf.insert({str(ref, "uid"), {t, key}});
      }
    });
  }
  auto ownersAlive = [&](const json& meta, const std::string& except) {
    for (const auto& ref : meta.value("ownerReferences", json::array())) {
      std::string uid = str(ref, "uid");
      if (uid != except && byUid.count(uid) > 0) {
        return true;
      }
    }
    return false;
  };
  auto removeOwnerRef = [&](const Ref& dep, const std::string& ownerUid) {
    const StoredObject* s = store_.get(dep.type->storageKey, dep.key);
    if (s == nullptr) {
      return;
    }
    json obj = *s->obj;
    json refs = json::array();
    for (const auto& ref : obj["metadata"].value("ownerReferences", json::array())) {
      if (str(ref, "uid") != ownerUid) {
        refs.push_back(ref);
      }
    }
    if (refs.empty()) {
      obj["metadata"].erase("ownerReferences");
    } else {
      obj["metadata"]["ownerReferences"] = refs;
    }
    commit(*dep.type, dep.key, std::move(obj), s->managed);
  };
  auto deleteDependent = [&](const Ref& dep) {
    const StoredObject* s = store_.get(dep.type->storageKey, dep.key);
    if (s == nullptr) {
      return;
    }
    StoredObject copy = *s;
    bool deletedNow = false;
    deleteObject(*dep.type, dep.key, copy, "Background", false, deletedNow);
  };
  auto removeFinalizer = [&](const Ref& owner, const char* finalizer) {
    const StoredObject* s = store_.get(owner.type->storageKey, owner.key);
    if (s == nullptr) {
      return;
    }
    json obj = *s->obj;
    json fins = json::array();
    for (const auto& f : obj["metadata"].value("finalizers", json::array())) {
      if (f != finalizer) {
        fins.push_back(f);
      }
    }
    if (fins.empty()) {
      finishDeletion(*owner.type, owner.key);
      return;
    }
    obj["metadata"]["finalizers"] = fins;
    commit(*owner.type, owner.key, std::move(obj), s->managed);
  };

  for (const auto& item : due) {
    if (item.rfind("owner:", 0) == 0) {
      std::string uid = item.substr(6);
      auto owner = byUid.find(uid);
      auto range = dependentsOf.equal_range(uid);
      std::vector<Ref> deps;
      for (auto d = range.first; d != range.second; ++d) {
        deps.push_back(d->second);
      }
      if (owner == byUid.end()) {
        // Owner gone: dependents without another living owner go too; others lose the ref.
        for (const auto& dep : deps) {
          const StoredObject* s = store_.get(dep.type->storageKey, dep.key);
          if (s == nullptr) {
            continue;
          }
          if (ownersAlive((*s->obj)["metadata"], uid)) {
            removeOwnerRef(dep, uid);
          } else {
            deleteDependent(dep);
          }
        }
        continue;
      }
      const StoredObject* os = store_.get(owner->second.type->storageKey, owner->second.key);
      if (os == nullptr) {
        continue;
      }
      const json& meta = (*os->obj)["metadata"];
      json fins = meta.value("finalizers", json::array());
      auto has = [&](const char* f) {
        return std::find(fins.begin(), fins.end(), f) != fins.end();
      };
      if (!meta.contains("deletionTimestamp")) {
        continue;
      }
      if (has("orphan")) {
        for (const auto& dep : deps) {
          removeOwnerRef(dep, uid);
        }
        removeFinalizer(owner->second, "orphan");
      } else if (has("foregroundDeletion")) {
        bool waiting = false;
        for (const auto& dep : deps) {
          deleteDependent(dep);
          waiting = waiting || store_.get(dep.type->storageKey, dep.key) != nullptr;
        }
        if (waiting) {
          gcDue_[item] = now + options_.gcDelay;  // dependents with finalizers: wait for them
        } else {
          removeFinalizer(owner->second, "foregroundDeletion");
        }
      }
    } else if (item.rfind("check:", 0) == 0) {
      std::string rest = item.substr(6);
      size_t bar = rest.find('|');
      std::string storageKey = rest.substr(0, bar);
      std::string key = rest.substr(bar + 1);
      const StoredObject* s = store_.get(storageKey, key);
      if (s == nullptr) {
        continue;
      }
      const json& meta = (*s->obj)["metadata"];
      json refs = meta.value("ownerReferences", json::array());
      if (refs.empty() || ownersAlive(meta, "")) {
        continue;
      }
      for (const auto& t : types) {
        if (t->storageKey == storageKey) {
          deleteDependent({t, key});
          break;
        }
      }
    }
  }
}

void ApiServer::syncNamespaces(bool force) {
  auto now = clock_->now();
  std::vector<std::string> due;
  for (const auto& [ns, when] : namespacesDue_) {
    if (force || now >= when) {
      due.push_back(ns);
    }
  }
  ResourceTypePtr nsType = findType("", "v1", "namespaces");
  for (const auto& name : due) {
    namespacesDue_.erase(name);
    const StoredObject* nsObj = store_.get(nsType->storageKey, name);
    if (nsObj == nullptr || !(*nsObj->obj)["metadata"].contains("deletionTimestamp")) {
      continue;
    }
    std::vector<ResourceTypePtr> types;
    std::set<std::string> seen;
    for (const auto& t : builtins_) {
      if (t->namespaced && seen.insert(t->storageKey).second) {
        types.push_back(t);
      }
    }
    for (const auto& [crd, ts] : customByCrd_) {
      (void)crd;
      for (const auto& t : ts) {
        if (t->namespaced && seen.insert(t->storageKey).second) {
          types.push_back(t);
        }
      }
    }
    std::map<std::string, int> remaining;  // resource -> count
    std::map<std::string, int> finalizersLeft;
    for (const auto& t : types) {
      std::vector<std::pair<std::string, StoredObject>> objs;
      store_.forEach(t->storageKey, name + "/", [&](const std::string& key, const StoredObject& s) {
        objs.emplace_back(key, s);
      });
      for (auto& [key, s] : objs) {
        if (!(*s.obj)["metadata"].contains("deletionTimestamp")) {
          bool deletedNow = false;
          deleteObject(*t, key, s, "Background", false, deletedNow);
        }
        const StoredObject* left = store_.get(t->storageKey, key);
        if (left != nullptr) {
          ++remaining[t->resource().text()];
          for (const auto& f : (*left->obj)["metadata"].value("finalizers", json::array())) {
            ++finalizersLeft[f.get<std::string>()];
          }
        }
      }
    }
    if (remaining.empty()) {
      erase(*nsType, name);
      continue;
    }
    std::string resources;
    for (const auto& [r, n] : remaining) {
      resources +=
          (resources.empty() ? "" : ", ") + r + " has " + std::to_string(n) + " resource instances";
    }
    std::string fins;
    for (const auto& [f, n] : finalizersLeft) {
      fins += (fins.empty() ? "" : ", ") + f + " in " + std::to_string(n) + " resource instances";
    }
    json obj = *nsObj->obj;
    std::string ts = common::formatRfc3339(clock_->wallNow());
    json conditions = json::array(
        {condition("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
                   "All resources successfully discovered", ts),
         condition("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
                   "All legacy kube types successfully parsed", ts),
         condition("NamespaceDeletionContentFailure", "False", "ContentDeleted",
                   "All content successfully deleted, may be waiting on finalization", ts),
         condition("NamespaceContentRemaining", "True", "SomeResourcesRemain",
                   "Some resources are remaining: " + resources, ts),
         condition("NamespaceFinalizersRemaining", finalizersLeft.empty() ? "False" : "True",
                   finalizersLeft.empty() ? "ContentHasNoFinalizers" : "SomeFinalizersRemain",
                   finalizersLeft.empty()
                       ? "All content-preserving finalizers finished"
                       : "Some content in the namespace has finalizers remaining: " + fins,
                   ts)});
    // Keep transition times of conditions that did not change.
    json old = obj["status"].value("conditions", json::array());
    for (auto& c : conditions) {
      for (const auto& o : old) {
        if (o.value("type", "") == c["type"] && o.value("status", "") == c["status"] &&
            o.value("message", "") == c["message"]) {
          c["lastTransitionTime"] = o["lastTransitionTime"];
        }
      }
    }
    if (obj["status"].value("conditions", json()) != conditions) {
      obj["status"]["conditions"] = conditions;
      commit(*nsType, name, std::move(obj), nsObj->managed);
    }
    namespacesDue_[name] = now + options_.namespaceSyncDelay;
  }
}

}  // namespace dbtoken::kubedouble
