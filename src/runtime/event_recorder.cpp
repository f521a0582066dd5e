#include "runtime/event_recorder.h"

#include <algorithm>
#include <cstdio>

#include "common/time_format.h"
#include "kube/object.h"

namespace dbtoken::runtime {
namespace {

using common::Code;
using nlohmann::json;

constexpr size_t kMaxMessage = 1024;
constexpr const char* kCombinedPrefix = "(combined from similar events): ";
constexpr auto kWarnEvery = std::chrono::minutes(1);

const char* typeName(EventType t) {
  return t == EventType::kWarning ? "Warning" : "Normal";
}

}  // namespace

template <typename V>
V* KubeEventRecorder::Lru<V>::find(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    return nullptr;
  }
  items_.splice(items_.begin(), items_, it->second);
  return &it->second->second;
}

template <typename V>
V& KubeEventRecorder::Lru<V>::put(const std::string& key, V value) {
  if (V* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  items_.emplace_front(key, std::move(value));
  index_[key] = items_.begin();
  while (items_.size() > capacity_) {
    index_.erase(items_.back().first);
    items_.pop_back();
  }
  return items_.front().second;
}

KubeEventRecorder::KubeEventRecorder(kube::KubeApi& api, EventRecorderOptions options)
    : api_(api),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      log_(options_.logger.named("events")),
      droppedTotal_(
          (options_.metrics != nullptr ? *options_.metrics : ownMetrics_)
              .counter("dbtoken_events_dropped_total",
                       "Events not written, by reason: queue_full (the writer is behind), "
                       "spam (the per-object filter), write_failed (the API refused or "
                       "did not answer).",
                       {"reason"})),
      created_((options_.metrics != nullptr ? *options_.metrics : ownMetrics_)
                   .counter("dbtoken_events_written_total",
                            "Events written, by result: created (a new Event object) or "
                            "aggregated (the count of an existing one bumped).",
                            {"result"})
                   .with({"created"})),
      aggregated_((options_.metrics != nullptr ? *options_.metrics : ownMetrics_)
                      .counter("dbtoken_events_written_total", "", {"result"})
                      .with({"aggregated"})),
      spam_(options_.cacheSize),
      series_(options_.cacheSize),
      aggregates_(options_.cacheSize) {
  for (const char* reason : {"queue_full", "spam", "write_failed", "shutdown"}) {
    droppedTotal_.with({reason});  // every series exists from the start, at 0
  }
  writer_ = std::thread([this] { writerLoop(); });
}

KubeEventRecorder::~KubeEventRecorder() {
  std::deque<Pending> left;
  {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, options_.drainTimeout, [this] { return queue_.empty() && !writing_; });
    stopping_ = true;
    left.swap(queue_);  // the write in flight, if any, still finishes
  }
  cv_.notify_all();
  for (const auto& p : left) {
    dropped("shutdown", p);
  }
  writer_.join();
}

void KubeEventRecorder::event(const json& object, EventType type, const std::string& reason,
                              const std::string& message) {
  Pending p;
  p.involved = {{"apiVersion", kube::stringField(object, "apiVersion")},
                {"kind", kube::stringField(object, "kind")},
                {"name", kube::nameOf(object)}};
  std::string ns = kube::namespaceOf(object);
  if (!ns.empty()) {
    p.involved["namespace"] = ns;
  }
  if (std::string uid = kube::uidOf(object); !uid.empty()) {
    p.involved["uid"] = uid;
  }
  if (std::string rv = kube::resourceVersionOf(object); !rv.empty()) {
    p.involved["resourceVersion"] = rv;
  }
  p.ns = ns.empty() ? "default" : ns;  // events about cluster-scoped objects go to default
  p.type = type;
  p.reason = reason;
  std::string text = options_.redactor ? options_.redactor->scrub(message) : message;
  p.message = text.size() > kMaxMessage ? text.substr(0, kMaxMessage - 3) + "..." : text;
  bool full = false;
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      return;
    }
    full = queue_.size() >= options_.queueSize;
    if (!full) {
      queue_.push_back(std::move(p));
    }
  }
  if (full) {
    dropped("queue_full", p);  // outside the lock: the writer never waits on a log line
    return;
  }
  cv_.notify_all();
}

void KubeEventRecorder::dropped(const char* reason, const Pending& p, const std::string& error) {
  droppedTotal_.with({reason}).inc();
  common::LogFields fields = {{"why", reason},
                              {"object", p.involved.value("name", "")},
                              {"namespace", p.ns},
                              {"reason", p.reason}};
  if (!error.empty()) {
    fields.emplace_back("error", error);
  }
  log_.debug("event dropped", fields);
  {
    std::lock_guard lk(warnMu_);
    auto now = clock_.now();
    if (lastWarn_ && now - *lastWarn_ < kWarnEvery) {
      return;
    }
    lastWarn_ = now;
  }
  log_.warn("dropping events (counted in dbtoken_events_dropped_total; details at debug level)",
            fields);
}

void KubeEventRecorder::flush() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [this] { return queue_.empty() && !writing_; });
}

void KubeEventRecorder::writerLoop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // stopping, and everything queued was written
    }
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lk.unlock();
    write(std::move(p));
    lk.lock();
    writing_ = false;
    cv_.notify_all();
  }
}

void KubeEventRecorder::write(Pending p) {
  const kube::Resource events = kube::resources::events();
  const std::string objectKey = options_.component + "\x1f" + options_.instance + "\x1f" +
                                p.involved.value("apiVersion", "") + "\x1f" +
                                p.involved.value("kind", "") + "\x1f" + p.ns + "\x1f" +
                                p.involved.value("name", "") + "\x1f" + p.involved.value("uid", "");

  // Aggregation first, as client-go's EventCorrelator does: past the threshold, the event is
  // the combined one, and its series is the aggregate's key (so it is patched, not re-created).
  const std::string aggregateKey = objectKey + "\x1f" + typeName(p.type) + "\x1f" + p.reason;
  std::string seriesKey = aggregateKey + "\x1f" + p.message;
  bool combined = false;
  {
    const auto now = clock_.now();
    Aggregate* a = aggregates_.find(aggregateKey);
    if (a == nullptr || now - a->last > options_.aggregateWindow) {
      a = &aggregates_.put(aggregateKey, Aggregate{});
    }
    a->messages.insert(p.message);
    a->last = now;
    if (options_.aggregateMaxEvents > 0 && a->messages.size() >= options_.aggregateMaxEvents) {
      a->messages.erase(a->messages.begin());  // never grows past the maximum
      combined = true;
      p.message = kCombinedPrefix + p.message;
      if (p.message.size() > kMaxMessage) {
        p.message = p.message.substr(0, kMaxMessage - 3) + "...";
      }
      seriesKey = aggregateKey + "\x1f(combined)";
    }
  }

  auto* bucket = spam_.find(objectKey);
  if (bucket == nullptr) {
    bucket = &spam_.put(objectKey, std::make_unique<kube::TokenBucket>(
                                       1.0 / static_cast<double>(options_.spamRefillEvery.count()),
                                       options_.spamBurst, clock_));
  }
  if (!(*bucket)->tryTake()) {
    dropped("spam", p);
    return;
  }
  const std::string now = common::formatRfc3339(clock_.wallNow());
  if (Series* s = series_.find(seriesKey)) {
    json patch = {{"count", s->count + 1}, {"lastTimestamp", now}};
    if (combined) {
      patch["message"] = p.message;  // the latest of the similar events
    }
    kube::PatchOptions o;
    o.type = kube::PatchType::kStrategicMerge;
    auto patched = api_.patch(events, s->ns, s->name, patch, o);
    if (patched.ok()) {
      ++s->count;
      aggregated_.inc();
      return;
    }
    if (patched.status().code() != Code::kNotFound) {
      dropped("write_failed", p, patched.status().toString());
      return;
    }
    // The Event expired (events live one hour): start a new series.
  }
  // client-go names events <object>.<unix nanos in hex>; a strictly increasing value keeps two
  // events of the same instant (or of a clock that does not move) apart.
  auto nanos = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.wallNow().time_since_epoch())
          .count());
  lastSuffix_ = std::max(nanos, lastSuffix_ + 1);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", lastSuffix_);
  std::string name = p.involved.value("name", "object") + suffix;
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"namespace", p.ns}}},
                {"involvedObject", p.involved},
                {"reason", p.reason},
                {"message", p.message},
                {"type", typeName(p.type)},
                {"source", {{"component", options_.component}}},
                {"firstTimestamp", now},
                {"lastTimestamp", now},
                {"count", 1},
                {"reportingComponent", options_.component},
                {"reportingInstance", options_.instance}};
  if (!options_.instance.empty()) {
    event["source"]["host"] = options_.instance;
  }
  auto created = api_.create(events, p.ns, event, {});
  if (!created.ok()) {
    dropped("write_failed", p, created.status().toString());
    return;
  }
  created_.inc();
  series_.put(seriesKey, Series{name, p.ns, 1});
}

}  // namespace dbtoken::runtime
