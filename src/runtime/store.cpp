#include "runtime/store.h"

#include <mutex>

namespace dbtoken::runtime {

ObjectPtr Store::get(const kube::ObjectKey& key) const {
  std::shared_lock lk(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lk(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, obj] : objects_) {
    out.push_back(obj);
  }
  return out;
}

std::vector<ObjectPtr> Store::listNamespace(const std::string& ns) const {
  std::shared_lock lk(mu_);
  std::vector<ObjectPtr> out;
  for (const auto& [key, obj] : objects_) {
    if (key.ns == ns) {
      out.push_back(obj);
    }
  }
  return out;
}

std::vector<ObjectPtr> Store::byOwner(const std::string& ownerUid) const {
  std::shared_lock lk(mu_);
  std::vector<ObjectPtr> out;
  auto it = byOwner_.find(ownerUid);
  if (it == byOwner_.end()) {
    return out;
  }
  for (const auto& key : it->second) {
    if (auto obj = objects_.find(key); obj != objects_.end()) {
      out.push_back(obj->second);
    }
  }
  return out;
}

size_t Store::size() const {
  std::shared_lock lk(mu_);
  return objects_.size();
}

void Store::indexLocked(OwnerIndex& index, const kube::ObjectKey& key, const nlohmann::json& o) {
  for (const auto& ref : kube::ownerReferencesOf(o)) {
    if (!ref.uid.empty()) {
      index[ref.uid].insert(key);
    }
  }
}

void Store::unindexLocked(OwnerIndex& index, const kube::ObjectKey& key, const nlohmann::json& o) {
  for (const auto& ref : kube::ownerReferencesOf(o)) {
    auto it = index.find(ref.uid);
    if (it != index.end()) {
      it->second.erase(key);
      if (it->second.empty()) {
        index.erase(it);
      }
    }
  }
}

ObjectPtr Store::upsert(ObjectPtr object) {
  kube::ObjectKey key = kube::keyOf(*object);
  std::unique_lock lk(mu_);
  ObjectPtr& slot = objects_[key];
  ObjectPtr old = std::move(slot);
  if (old) {
    unindexLocked(byOwner_, key, *old);
  }
  indexLocked(byOwner_, key, *object);
  slot = std::move(object);
  return old;
}

ObjectPtr Store::erase(const kube::ObjectKey& key) {
  std::unique_lock lk(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return nullptr;
  }
  ObjectPtr old = std::move(it->second);
  objects_.erase(it);
  unindexLocked(byOwner_, key, *old);
  return old;
}

ObjectMap Store::replace(ObjectMap objects) {
  OwnerIndex index;
  for (const auto& [key, obj] : objects) {
    indexLocked(index, key, *obj);
  }
  {
    std::unique_lock lk(mu_);
    objects_.swap(objects);
    byOwner_.swap(index);
  }
  synced_.store(true, std::memory_order_release);
  return objects;  // now the old content
}

ObjectPtr NamespacedStores::get(const kube::ObjectKey& key) const {
  for (const auto& [ns, store] : stores_) {
    if (ns.empty() || ns == key.ns) {  // "" is a store that watches every namespace
      return store->get(key);
    }
  }
  return nullptr;
}

std::vector<ObjectPtr> NamespacedStores::list() const {
  std::vector<ObjectPtr> out;
  for (const auto& [ns, store] : stores_) {
    auto part = store->list();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

bool NamespacedStores::synced() const {
  for (const auto& [ns, store] : stores_) {
    if (!store->synced()) {
      return false;
    }
  }
  return true;
}

}  // namespace dbtoken::runtime
