#include "kube/managed_fields.h"

#include <algorithm>

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

bool skipTopLevel(const std::string& key) {
  return key == "apiVersion" || key == "kind";
}

bool metadataTracked(const std::string& key) {
  return key == "labels" || key == "annotations" || key == "finalizers" || key == "ownerReferences";
}

void collect(const json& v, FieldPath& path, std::set<FieldPath>& out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      path.push_back(it.key());
      collect(it.value(), path, out);
      path.pop_back();
    }
    return;
  }
  out.insert(path);
}

const json* at(const json& root, const FieldPath& p) {
  const json* cur = &root;
  for (const auto& seg : p) {
    if (!cur->is_object()) {
      return nullptr;
    }
    auto it = cur->find(seg);
    if (it == cur->end()) {
      return nullptr;
    }
    cur = &*it;
  }
  return cur;
}

void setAt(json& root, const FieldPath& p, const json& value) {
  json* cur = &root;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (!cur->is_object()) {
      *cur = json::object();
    }
    cur = &(*cur)[p[i]];
  }
  if (!cur->is_object()) {
    *cur = json::object();
  }
  (*cur)[p.back()] = value;
}

void removeAt(json& root, const FieldPath& p) {
  json* cur = &root;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (!cur->is_object() || !cur->contains(p[i])) {
      return;
    }
    cur = &(*cur)[p[i]];
  }
  if (cur->is_object()) {
    cur->erase(p.back());
  }
}

bool ownedByOthers(const ManagedFields& managed, const FieldPath& f, const std::string& manager,
                   const std::string& operation) {
  for (const auto& e : managed) {
    if ((e.manager != manager || e.operation != operation) && e.fields.count(f) > 0) {
      return true;
    }
  }
  return false;
}

ManagedEntry& entryFor(ManagedFields& managed, const OperationContext& ctx,
                       const std::string& operation) {
  for (auto& e : managed) {
    if (e.manager == ctx.manager && e.operation == operation && e.subresource == ctx.subresource) {
      e.apiVersion = ctx.apiVersion;
      e.time = ctx.time;
      return e;
    }
  }
  managed.push_back({ctx.manager, operation, ctx.apiVersion, ctx.subresource, ctx.time, {}});
  return managed.back();
}

void dropEmpty(ManagedFields& managed) {
  managed.erase(std::remove_if(managed.begin(), managed.end(),
                               [](const ManagedEntry& e) { return e.fields.empty(); }),
                managed.end());
}

}  // namespace

std::set<FieldPath> fieldSetOf(const json& object, FieldScope scope) {
  std::set<FieldPath> out;
  if (!object.is_object()) {
    return out;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (skipTopLevel(key)) {
      continue;
    }
    bool isStatus = key == "status";
    if (scope == FieldScope::kStatusOnly && !isStatus) {
      continue;
    }
    if (scope == FieldScope::kMainWithoutStatus && isStatus) {
      continue;
    }
    FieldPath path{key};
    if (key == "metadata") {
      if (!it->is_object()) {
        continue;
      }
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!metadataTracked(m.key())) {
          continue;
        }
        path.push_back(m.key());
        if (m.key() == "labels" || m.key() == "annotations") {
          collect(m.value(), path, out);
        } else {
          out.insert(path);  // finalizers and ownerReferences: owned as a whole here
        }
        path.pop_back();
      }
      continue;
    }
    collect(it.value(), path, out);
  }
  return out;
}

std::string fieldPathText(const FieldPath& p) {
  std::string s;
  for (const auto& seg : p) {
    s += "." + seg;
  }
  return s;
}

void recordUpdate(ManagedFields& managed, const json* oldObject, const json& newObject,
                  const OperationContext& ctx) {
  std::set<FieldPath> now = fieldSetOf(newObject, ctx.scope);
  std::set<FieldPath> before =
      oldObject != nullptr ? fieldSetOf(*oldObject, ctx.scope) : std::set<FieldPath>{};
  std::set<FieldPath> changed;
  for (const auto& f : now) {
    const json* nv = at(newObject, f);
    const json* ov = oldObject != nullptr ? at(*oldObject, f) : nullptr;
    if (ov == nullptr || nv == nullptr || *ov != *nv) {
      changed.insert(f);
    }
  }
  std::set<FieldPath> removed;
  for (const auto& f : before) {
    if (now.count(f) == 0) {
      removed.insert(f);
    }
  }
  if (changed.empty() && removed.empty()) {
    return;
  }
  for (auto& e : managed) {
    for (const auto& f : changed) {
      e.fields.erase(f);
    }
    for (const auto& f : removed) {
      e.fields.erase(f);
    }
  }
  ManagedEntry& mine = entryFor(managed, ctx, "Update");
  mine.fields.insert(changed.begin(), changed.end());
  dropEmpty(managed);
}

ApplyOutcome applyConfig(const json& live, const ManagedFields& managed, const json& config,
                         bool force, const OperationContext& ctx) {
  ApplyOutcome out;
  out.managed = managed;
  out.object = live.is_null() ? json::object() : live;
  std::set<FieldPath> applied = fieldSetOf(config, ctx.scope);

  for (const auto& f : applied) {
    const json* liveValue = live.is_null() ? nullptr : at(live, f);
    const json* configValue = at(config, f);
    if (liveValue == nullptr || configValue == nullptr || *liveValue == *configValue) {
      continue;
    }
    for (auto& e : out.managed) {
      if (e.manager == ctx.manager && e.operation == "Apply") {
        continue;
      }
      if (e.fields.count(f) == 0) {
        continue;
      }
      if (force) {
        e.fields.erase(f);
      } else {
        out.conflicts.push_back({e.manager, e.operation, e.apiVersion, f});
      }
    }
  }
  if (!out.conflicts.empty()) {
    return out;
  }
  // Fields this manager applied before and no longer applies are removed, unless others own them.
  std::set<FieldPath> previous;
  for (const auto& e : out.managed) {
    if (e.manager == ctx.manager && e.operation == "Apply" && e.subresource == ctx.subresource) {
      previous = e.fields;
    }
  }
  for (const auto& f : previous) {
    if (applied.count(f) == 0 && !ownedByOthers(out.managed, f, ctx.manager, "Apply")) {
      removeAt(out.object, f);
    }
  }
  for (const auto& f : applied) {
    if (const json* v = at(config, f)) {
      setAt(out.object, f, *v);
    }
  }
  ManagedEntry& mine = entryFor(out.managed, ctx, "Apply");
  mine.fields = applied;
  dropEmpty(out.managed);
  return out;
}

json renderManagedFields(const ManagedFields& managed) {
  json out = json::array();
  for (const auto& e : managed) {
    json fields = json::object();
    for (const auto& f : e.fields) {
      json* cur = &fields;
      for (const auto& seg : f) {
        cur = &(*cur)["f:" + seg];
        if (cur->is_null()) {
          *cur = json::object();
        }
      }
    }
    json entry = {{"manager", e.manager}, {"operation", e.operation}, {"apiVersion", e.apiVersion},
                  {"time", e.time},       {"fieldsType", "FieldsV1"}, {"fieldsV1", fields}};
    if (!e.subresource.empty()) {
      entry["subresource"] = e.subresource;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace dbtoken::kubedouble
