// Events about objects (core/v1 Events, what `kubectl describe` shows), recorded like client-go's
// record.EventRecorder: a repeat of the same event (same object, type, reason and message) bumps
// the count and lastTimestamp of the existing Event with a strategic merge patch instead of
// creating a new one; like client-go's EventAggregator, the 10th event within 10 minutes with
// the same object, type and reason but yet another message goes into one combined Event instead
// of a new object each; a per-object token bucket (burst 25, one more every 5 minutes) drops
// event spam. Writing happens on a background thread through the client it is given (the
// operator gives it a client of its own, with its own rate limit): event() never blocks a
// reconcile on the API server, a full queue drops events rather than memory, and every drop is
// counted (dbtoken_events_dropped_total{reason}) and logged at debug, with at most one warning
// a minute. At shutdown the queue gets a bounded time to drain.
// Event messages are readable by anyone who can list events in the namespace: callers must
// never put an access token, a management token or any other secret in a reason or message.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "kube/api_client.h"
#include "kube/rate_limiter.h"
#include "runtime/metrics.h"

namespace dbtoken::runtime {

enum class EventType { kNormal, kWarning };

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // An event about `object` (its apiVersion, kind, namespace, name, uid are referenced).
  // reason is CamelCase ("Created"); message is a sentence without secrets.
  virtual void event(const nlohmann::json& object, EventType type, const std::string& reason,
                     const std::string& message) = 0;
};

struct EventRecorderOptions {
  std::string component = "influxdb-token-operator";  // source.component, reportingComponent
  std::string instance;  // source.host, reportingInstance (the pod name)
  int spamBurst = 25;
  std::chrono::seconds spamRefillEvery{300};
  size_t cacheSize = 4096;  // objects and event series remembered (least recently used go)
  size_t queueSize = 1000;  // events waiting to be written; beyond this they are dropped
  // At destruction, how long queued events may still be written (real time); the rest are
  // dropped, so a backlog behind the Events' own rate limit never holds up a shutdown.
  std::chrono::milliseconds drainTimeout{5000};
  // client-go's aggregation: the aggregateMaxEvents-th different message within aggregateWindow
  // for one object, type and reason (and every one after it while they keep coming within the
  // window) is written as one Event, "(combined from similar events): <latest message>".
  size_t aggregateMaxEvents = 10;
  std::chrono::seconds aggregateWindow{600};
  // dbtoken_events_dropped_total{reason} and dbtoken_events_written_total{result} go here;
  // a registry of the recorder's own when null.
  Registry* metrics = nullptr;
  common::Logger logger;
  const common::Clock* clock = nullptr;  // RealClock when null
  // Scrubs every message before it is queued (Events are readable with the built-in view role).
  std::shared_ptr<const common::Redactor> redactor;
};

class KubeEventRecorder final : public EventRecorder {
 public:
  KubeEventRecorder(kube::KubeApi& api, EventRecorderOptions options);
  ~KubeEventRecorder() override;  // writes what is queued within drainTimeout, then stops

  void event(const nlohmann::json& object, EventType type, const std::string& reason,
             const std::string& message) override;
  // Blocks until every event queued so far was written or dropped.
  void flush();

 private:
  struct Pending {
    nlohmann::json involved;  // the involvedObject reference
    std::string ns;
    EventType type;
    std::string reason;
    std::string message;
  };
  struct Series {
    std::string name;
    std::string ns;
    long long count = 0;
  };
  struct Aggregate {
    std::set<std::string> messages;  // the different messages seen, at most the maximum
    common::Clock::SteadyTime last;
  };
  template <typename V>
  class Lru {
   public:
    explicit Lru(size_t capacity) : capacity_(capacity) {}
    V* find(const std::string& key);
    V& put(const std::string& key, V value);

   private:
    size_t capacity_;
    std::list<std::pair<std::string, V>> items_;
    std::unordered_map<std::string, typename std::list<std::pair<std::string, V>>::iterator> index_;
  };

  void writerLoop();
  void write(Pending p);
  // Counts a dropped event, logs it at debug, and warns at most once a minute.
  void dropped(const char* reason, const Pending& p, const std::string& error = {});

  kube::KubeApi& api_;
  EventRecorderOptions options_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  common::Logger log_;
  Registry ownMetrics_;
  Family<Counter>& droppedTotal_;
  Counter& created_;
  Counter& aggregated_;
  std::mutex warnMu_;
  std::optional<common::Clock::SteadyTime> lastWarn_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool stopping_ = false;

  // The writer thread's own state.
  Lru<std::unique_ptr<kube::TokenBucket>> spam_;
  Lru<Series> series_;
  Lru<Aggregate> aggregates_;
  unsigned long long lastSuffix_ = 0;
  std::thread writer_;
};

}  // namespace dbtoken::runtime
