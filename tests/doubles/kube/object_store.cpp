#include "kube/object_store.h"

#include <algorithm>

namespace dbtoken::kubedouble {

const char* eventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "MODIFIED";
}

ObjectStore::ObjectStore(size_t historyLimit, uint64_t firstResourceVersion)
    : historyLimit_(std::max<size_t>(historyLimit, 1)),
      rv_(firstResourceVersion),
      globalWindowStart_(firstResourceVersion) {}

const StoredObject* ObjectStore::get(const std::string& storageKey, const std::string& key) const {
  auto s = objects_.find(storageKey);
  if (s == objects_.end()) {
    return nullptr;
  }
  auto o = s->second.find(key);
  return o == s->second.end() ? nullptr : &o->second;
}

void ObjectStore::forEach(
    const std::string& storageKey, const std::string& prefix,
    const std::function<void(const std::string& key, const StoredObject&)>& fn) const {
  auto s = objects_.find(storageKey);
  if (s == objects_.end()) {
    return;
  }
  for (auto it = s->second.lower_bound(prefix); it != s->second.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) {
      break;
    }
    fn(it->first, it->second);
  }
}

size_t ObjectStore::count(const std::string& storageKey) const {
  auto s = objects_.find(storageKey);
  return s == objects_.end() ? 0 : s->second.size();
}

const HistoryEvent& ObjectStore::put(const std::string& storageKey, const std::string& key,
                                     nlohmann::json obj, ManagedFields managed) {
  uint64_t rv = ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  auto shared = std::make_shared<const nlohmann::json>(std::move(obj));
  auto& bucket = objects_[storageKey];
  auto it = bucket.find(key);
  std::shared_ptr<const nlohmann::json> prev;
  EventType type = EventType::kAdded;
  if (it != bucket.end()) {
    prev = it->second.obj;
    type = EventType::kModified;
    it->second = StoredObject{shared, rv, std::move(managed)};
  } else {
    bucket.emplace(key, StoredObject{shared, rv, std::move(managed)});
  }
  history_.push_back(HistoryEvent{rv, storageKey, key, type, shared, prev});
  trim();
  return history_.back();
}

const HistoryEvent& ObjectStore::remove(const std::string& storageKey, const std::string& key) {
  auto& bucket = objects_[storageKey];
  auto it = bucket.find(key);
  uint64_t rv = ++rv_;
  nlohmann::json last = it != bucket.end() ? *it->second.obj : nlohmann::json::object();
  std::shared_ptr<const nlohmann::json> prev = it != bucket.end() ? it->second.obj : nullptr;
  last["metadata"]["resourceVersion"] = std::to_string(rv);
  if (it != bucket.end()) {
    bucket.erase(it);
  }
  history_.push_back(HistoryEvent{rv, storageKey, key, EventType::kDeleted,
                                  std::make_shared<const nlohmann::json>(std::move(last)), prev});
  trim();
  return history_.back();
}

void ObjectStore::trim() {
  while (history_.size() > historyLimit_) {
    const HistoryEvent& old = history_.front();
    // Resuming at or after this event's version stays possible; before it, no longer.
    auto& start = windowStarts_[old.storageKey];
    start = std::max({start, old.rv, globalWindowStart_});
    history_.pop_front();
  }
}

uint64_t ObjectStore::windowStart(const std::string& storageKey) const {
  auto it = windowStarts_.find(storageKey);
  uint64_t start = it == windowStarts_.end() ? 0 : it->second;
  return std::max(start, globalWindowStart_);
}

void ObjectStore::resetWindow(const std::string& storageKey) {
  windowStarts_[storageKey] = rv_;
}

void ObjectStore::compact() {
  globalWindowStart_ = rv_;
  history_.clear();
}

std::vector<const HistoryEvent*> ObjectStore::eventsAfter(const std::string& storageKey,
                                                          uint64_t rv) const {
  std::vector<const HistoryEvent*> out;
  // History is ordered by rv: find the first event after rv, then filter.
  auto it = std::upper_bound(history_.begin(), history_.end(), rv,
                             [](uint64_t v, const HistoryEvent& e) { return v < e.rv; });
  for (; it != history_.end(); ++it) {
    if (it->storageKey == storageKey) {
      out.push_back(&*it);
    }
  }
  return out;
}

std::optional<Snapshot> ObjectStore::snapshotAt(const std::string& storageKey,
                                                const std::string& prefix, uint64_t rv) const {
  if (rv < windowStart(storageKey)) {
    return std::nullopt;
  }
  Snapshot snap;
  forEach(storageKey, prefix,
          [&](const std::string& key, const StoredObject& o) { snap[key] = o.obj; });
  auto events = eventsAfter(storageKey, rv);
  // Undo newer changes, newest first.
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    const HistoryEvent& ev = **e;
    if (ev.key.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    if (ev.type == EventType::kAdded) {
      snap.erase(ev.key);
    } else if (ev.prev) {
      snap[ev.key] = ev.prev;
    }
  }
  return snap;
}

void ObjectStore::setManaged(const std::string& storageKey, const std::string& key,
                             ManagedFields managed) {
  auto s = objects_.find(storageKey);
  if (s == objects_.end()) {
    return;
  }
  auto o = s->second.find(key);
  if (o != s->second.end()) {
    o->second.managed = std::move(managed);
  }
}

void ObjectStore::dropAll(const std::string& storageKey) {
  objects_.erase(storageKey);
}

}  // namespace dbtoken::kubedouble
