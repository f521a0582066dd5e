// Store: the informer's cache of one kind of object. One writer (the informer) and many readers
// (reconcilers, event handlers); objects are immutable shared snapshots, so a reader keeps what
// it got even while the cache moves on. A relist swaps the whole map (and its owner index) in
// at once. "Synced" once the first full list is in. Owns no I/O.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/object.h"

namespace dbtoken::runtime {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;
using ObjectMap = std::unordered_map<kube::ObjectKey, ObjectPtr, kube::ObjectKeyHash>;

// What a reconciler reads: one Store, or one per watched namespace (NamespacedStores).
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual ObjectPtr get(const kube::ObjectKey& key) const = 0;  // null when absent
  virtual std::vector<ObjectPtr> list() const = 0;
  // True once every underlying cache has listed.
  virtual bool synced() const = 0;
};

class Store final : public ObjectReader {
 public:
  // Readers, any thread.
  ObjectPtr get(const kube::ObjectKey& key) const override;  // null when absent
  std::vector<ObjectPtr> list() const override;
  std::vector<ObjectPtr> listNamespace(const std::string& ns) const;
  // Objects whose metadata.ownerReferences name this owner UID.
  std::vector<ObjectPtr> byOwner(const std::string& ownerUid) const;
  size_t size() const;
  bool synced() const override { return synced_.load(std::memory_order_acquire); }

  // Writer side: the informer only.
  // Puts the object in; returns what it replaced (null when it is new).
  ObjectPtr upsert(ObjectPtr object);
  // Takes the object out; returns what was there (null when nothing was).
  ObjectPtr erase(const kube::ObjectKey& key);
  // Swaps in a whole new content at once, marks the store synced, returns the old content.
  ObjectMap replace(ObjectMap objects);

 private:
  using OwnerIndex = std::unordered_map<std::string, std::set<kube::ObjectKey>>;
  static void indexLocked(OwnerIndex& index, const kube::ObjectKey& key, const nlohmann::json& o);
  static void unindexLocked(OwnerIndex& index, const kube::ObjectKey& key, const nlohmann::json& o);

  mutable std::shared_mutex mu_;
  ObjectMap objects_;
  OwnerIndex byOwner_;
  std::atomic<bool> synced_{false};
};

// The caches of several informers, one per namespace, read as one. The stores must outlive it.
class NamespacedStores final : public ObjectReader {
 public:
  void add(std::string ns, const Store& store) { stores_.emplace_back(std::move(ns), &store); }
  ObjectPtr get(const kube::ObjectKey& key) const override;
  std::vector<ObjectPtr> list() const override;
  bool synced() const override;

 private:
  std::vector<std::pair<std::string, const Store*>> stores_;
};

}  // namespace dbtoken::runtime
