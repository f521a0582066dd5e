// The double's etcd: objects by storage key and "namespace/name", one global monotonic
// resourceVersion, and a bounded history of changes from which watches resume and older list
// snapshots are rebuilt (MVCC). Not thread-safe: the ApiServer serialises access.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/managed_fields.h"

namespace dbtoken::kubedouble {

enum class EventType { kAdded, kModified, kDeleted };
const char* eventTypeName(EventType t);

struct StoredObject {
  std::shared_ptr<const nlohmann::json> obj;  // storage form, resourceVersion set
  uint64_t rv = 0;
  ManagedFields managed;
};

struct HistoryEvent {
  uint64_t rv;
  std::string storageKey;
  std::string key;
  EventType type;
  std::shared_ptr<const nlohmann::json> obj;   // after (for DELETED: last state, new rv)
  std::shared_ptr<const nlohmann::json> prev;  // before (null for ADDED)
};

using Snapshot = std::map<std::string, std::shared_ptr<const nlohmann::json>>;

class ObjectStore {
 public:
  explicit ObjectStore(size_t historyLimit, uint64_t firstResourceVersion = 1000);

  uint64_t currentRv() const { return rv_; }

  const StoredObject* get(const std::string& storageKey, const std::string& key) const;
  // Objects whose key starts with prefix ("ns/" or "" for all), in key order.
  void forEach(const std::string& storageKey, const std::string& prefix,
               const std::function<void(const std::string& key, const StoredObject&)>& fn) const;
  size_t count(const std::string& storageKey) const;

  // Writes stamp a new resourceVersion into metadata and record history. They return the
  // event so callers can notify watchers.
  const HistoryEvent& put(const std::string& storageKey, const std::string& key, nlohmann::json obj,
                          ManagedFields managed);
  const HistoryEvent& remove(const std::string& storageKey, const std::string& key);

  // Where watches on one resource may resume from (its "watch cache" start).
  uint64_t windowStart(const std::string& storageKey) const;
  void resetWindow(const std::string& storageKey);  // a resource's storage (re)initialised
  // Forgets all history: any older resourceVersion now answers 410.
  void compact();

  // Events on storageKey after rv, in order.
  std::vector<const HistoryEvent*> eventsAfter(const std::string& storageKey, uint64_t rv) const;
  // The objects under prefix as they were at rv; nullopt when rv is older than the window.
  std::optional<Snapshot> snapshotAt(const std::string& storageKey, const std::string& prefix,
                                     uint64_t rv) const;
  // Replaces an object's field ownership without a new version (server-side apply of a create).
  void setManaged(const std::string& storageKey, const std::string& key, ManagedFields managed);
  // Drops every object of a storage key (a CRD went away) without history.
  void dropAll(const std::string& storageKey);

 private:
  void trim();

  size_t historyLimit_;
  uint64_t rv_;
  uint64_t globalWindowStart_;
  std::map<std::string, std::map<std::string, StoredObject>> objects_;
  std::map<std::string, uint64_t> windowStarts_;
  std::deque<HistoryEvent> history_;
};

}  // namespace dbtoken::kubedouble
