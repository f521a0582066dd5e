// Informer: keeps a Store in step with the API server for one kind of object, and tells event
// handlers what changed. An explicit state machine, as kube-rs's watcher:
//   kListing   list page by page (limit 500); on the last page swap the whole cache in at once
//              and notify the differences (add / update(old, new) / delete(last known state));
//   kStarting  open a watch from the last resourceVersion, with bookmarks and a random timeout
//              (5–10 min);
//   kWatching  apply each event; bookmarks advance the resume version; a clean end (the
//              server's timeout) reopens at once; an error, a malformed line or an unknown event
//              type reopens from the last version after a backoff (0.8 s → 30 s with jitter,
//              reset after 2 min without failures); 410 Gone (HTTP or in-band) relists.
// 429 (e.g. "storage is (re)initializing" right after a CRD appears) is retried like any
// transient failure. step() runs one transition and says how long to wait, so tests drive the
// machine with a fake API and a FakeClock; start() runs it on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "kube/api_client.h"
#include "runtime/store.h"

namespace dbtoken::runtime {

// Called on the informer's thread, after the store has changed. Keep them quick (enqueue keys).
struct EventHandlers {
  std::function<void(const ObjectPtr& object)> onAdd;
  std::function<void(const ObjectPtr& oldObject, const ObjectPtr& newObject)> onUpdate;
  // The last state the informer knew (a tombstone): delete events can carry an older copy.
  std::function<void(const ObjectPtr& lastKnown)> onDelete;
};

// Rewrites each object before it is cached or handed to handlers (e.g. hashSecretData).
using Transform = std::function<nlohmann::json(nlohmann::json object)>;

struct InformerOptions {
  kube::Resource resource;
  std::string ns;  // "": all namespaces
  std::string labelSelector;
  std::string fieldSelector;
  int64_t pageSize = 500;
  // Each watch asks the server to end it after a random time in [min, 2 * min].
  std::chrono::seconds minWatchTimeout{300};
  common::BackoffPolicy backoff{std::chrono::milliseconds(800), std::chrono::seconds(30), 2.0,
                                0.25};
  // The backoff starts over when nothing failed for this long.
  std::chrono::seconds backoffReset{120};
  Transform transform;
  common::Logger logger;
  const common::Clock* clock = nullptr;  // RealClock when null
  common::Backoff::Random random;        // jitter and watch timeouts; empty: seeded at random
};

class Informer {
 public:
  enum class State { kListing, kStarting, kWatching };

  Informer(kube::KubeApi& api, InformerOptions options);
  ~Informer();  // stop()s
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before start(); handlers see every change from the first list on.
  void addHandlers(EventHandlers handlers);
  const Store& store() const { return store_; }
  const InformerOptions& options() const { return options_; }

  // Runs the state machine on a thread of its own until stop().
  void start();
  // Ends the running watch promptly and joins the thread. Idempotent.
  void stop();
  bool hasSynced() const { return store_.synced(); }
  // Blocks until the first list is in (true), the timeout passes or stop() is called (false).
  bool waitForSync(std::chrono::milliseconds timeout);

  // One transition of the state machine; how long to wait before the next one.
  std::chrono::milliseconds step();
  State state() const;
  // The version the next watch starts from: the last event or bookmark applied.
  std::string resourceVersion() const;

 private:
  std::chrono::milliseconds stepList();
  std::chrono::milliseconds stepStart();
  std::chrono::milliseconds stepWatch();
  std::chrono::milliseconds failed(const common::Status& status, const char* during);
  ObjectPtr ingest(nlohmann::json object) const;
  void finishList();
  void notifyAdd(const ObjectPtr& o);
  void notifyUpdate(const ObjectPtr& oldObject, const ObjectPtr& newObject);
  void notifyDelete(const ObjectPtr& o);
  void setState(State s);

  kube::KubeApi& api_;
  InformerOptions options_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  common::Logger log_;
  Store store_;
  std::vector<EventHandlers> handlers_;
  common::Backoff backoff_;
  std::optional<common::Clock::SteadyTime> lastFailure_;
  std::mt19937_64 rng_;

  // State machine (touched by the stepping thread only, except as noted).
  State state_ = State::kListing;
  std::string continue_;
  std::string listResourceVersion_;
  ObjectMap pending_;
  std::unique_ptr<kube::WatchStream> stream_;  // guarded by streamMu_ for cancel()
  common::Clock::SteadyTime watchStarted_{};
  int eventsInWatch_ = 0;

  mutable std::mutex mu_;  // state_ and resourceVersion_ for other threads; sync waits
  std::condition_variable cv_;
  std::string resourceVersion_;
  std::mutex streamMu_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A Transform that drops metadata.managedFields (server-side apply bookkeeping the operator never
// reads), as controller-runtime's TransformStripManagedFields does.
nlohmann::json stripManagedFields(nlohmann::json object);

// A Transform for Secrets: every data value becomes "sha256:<hex of the base64 text>", and
// stringData and the last-applied-configuration annotation are dropped, so no token string
// sits in the cache while a change to any value is still seen.
nlohmann::json hashSecretData(nlohmann::json secret);

}  // namespace dbtoken::runtime
