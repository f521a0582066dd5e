// ApiServer watches: a stream of {"type","object"} lines that starts with synthetic ADDED events
// (no resourceVersion) or replays history after a resourceVersion (410 ERROR when that is too
// old), then follows every write; selector-filtered watches turn objects leaving or entering the
// selection into DELETED and ADDED; BOOKMARKs mark progress; timeoutSeconds ends the stream.
#include "common/time_format.h"
#include "kube/api_internal.h"
#include "kube/base64.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

json eventLine(const char* type, json object) {
  return {{"type", type}, {"object", std::move(object)}};
}

}  // namespace

ApiResponse ApiServer::watch(const ApiRequest& req, const Target& t, const Accept& accept,
                             const ListOptions& opts) {
  (void)req;
  const ResourceType& type = *t.type;
  uint64_t from = 0;
  bool initialEvents = true;
  if (opts.resourceVersion && !opts.resourceVersion->empty() && *opts.resourceVersion != "0") {
    if (!parseUint(*opts.resourceVersion, from)) {
      return statusError(500, "",
                         "resourceVersion: Invalid value: " + goQuote(*opts.resourceVersion) +
                             ": " + goParseIntError("ParseUint", *opts.resourceVersion));
    }
    initialEvents = opts.sendInitialEvents;
  }
  auto w = std::make_shared<Watcher>();
  w->type = t.type;
  w->prefix = t.prefix();
  w->opts = opts;
  w->accept = accept;
  w->stream = std::make_shared<WatchStream>();
  auto now = clock_->now();
  long long timeout = opts.timeoutSeconds.value_or(1800);
  w->deadline = now + std::chrono::seconds(timeout > 0 ? timeout : 1800);
  w->nextBookmark = nextBookmarkTime(*w, now);

  ApiResponse r;
  r.contentType = "application/json";
  r.watch = w->stream;

  auto emit = [&](const char* evType, const json& external) {
    json obj = external;
    if (accept.kind == Accept::Kind::kTable) {
      std::string include = opts.includeObject.empty() ? "Metadata" : opts.includeObject;
      obj = tableFor(type, {external}, include, accept.version, !w->sentColumns);
      obj["metadata"] = {{"resourceVersion", external["metadata"].value("resourceVersion", "")}};
      w->sentColumns = true;
    }
    w->stream->push(eventLine(evType, std::move(obj)).dump());
  };

  if (!initialEvents || from != 0) {
    if (from != 0 && from < store_.windowStart(type.storageKey)) {
      json status = statusBody(410, "Expired",
                               "too old resource version: " + std::to_string(from) + " (" +
                                   std::to_string(store_.windowStart(type.storageKey)) + ")");
      w->stream->push(eventLine("ERROR", status).dump());
      w->stream->close();
      return r;
    }
  }
  if (initialEvents && (from == 0 || opts.sendInitialEvents)) {
    store_.forEach(type.storageKey, w->prefix, [&](const std::string&, const StoredObject& s) {
      json external = toExternal(type, s);
      if (opts.labels.matches(external["metadata"].value("labels", json())) &&
          matchesFields(type, external, opts.fields)) {
        emit("ADDED", external);
      }
    });
    w->lastRv = store_.currentRv();
    if (opts.sendInitialEvents && opts.allowBookmarks) {
      json blueprint = {
          {"apiVersion", type.groupVersion()}, {"items", json::array()}, {"kind", type.listKind}};
      json bookmark = {{"apiVersion", type.groupVersion()},
                       {"kind", type.kind},
                       {"metadata",
                        {{"annotations",
                          {{"k8s.io/initial-events-end", "true"},
                           {"kubernetes.io/initial-events-list-blueprint",
                            base64Encode(blueprint.dump() + "\n")}}},
                         {"resourceVersion", std::to_string(w->lastRv)}}}};
      w->stream->push(eventLine("BOOKMARK", bookmark).dump());
    }
  } else {
    w->lastRv = from;
    for (const HistoryEvent* ev : store_.eventsAfter(type.storageKey, from)) {
      deliver(*w, *ev);  // the live path, so replay and live events filter alike
    }
    w->lastRv = std::max(w->lastRv, from);
  }
  watchers_.push_back(w);
  return r;
}

void ApiServer::notify(const HistoryEvent& ev) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if ((*it)->stream->closed() || !deliver(**it, ev)) {
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ApiServer::deliver(Watcher& w, const HistoryEvent& ev) {
  if (w.type->storageKey != ev.storageKey || ev.key.compare(0, w.prefix.size(), w.prefix) != 0 ||
      ev.rv <= w.lastRv) {
    return true;
  }
  const ResourceType& type = *w.type;
  auto matches = [&](const std::shared_ptr<const json>& obj) -> std::optional<json> {
    if (!obj) {
      return std::nullopt;
    }
    StoredObject s;
    s.obj = obj;
    if (const StoredObject* live = store_.get(ev.storageKey, ev.key);
        live != nullptr && live->obj == obj) {
      s.managed = live->managed;
    }
    json external = toExternal(type, s);
    if (!w.opts.labels.matches(external["metadata"].value("labels", json())) ||
        !matchesFields(type, external, w.opts.fields)) {
      return std::nullopt;
    }
    return external;
  };
  const char* evType = nullptr;
  json object;
  switch (ev.type) {
    case EventType::kAdded:
      if (auto now = matches(ev.obj)) {
        evType = "ADDED";
        object = std::move(*now);
      }
      break;
    case EventType::kModified: {
      std::optional<json> now = matches(ev.obj);
      std::optional<json> before = matches(ev.prev);
      if (now && before) {
        evType = "MODIFIED";
        object = std::move(*now);
      } else if (now) {
        evType = "ADDED";
        object = std::move(*now);
      } else if (before) {
        evType = "DELETED";  // left the selection: the old object at the new version
        object = std::move(*before);
        object["metadata"]["resourceVersion"] = std::to_string(ev.rv);
      }
      break;
    }
    case EventType::kDeleted:
      // The last state decides whether this watch ever saw the object.
      if (matches(ev.prev ? ev.prev : ev.obj)) {
        evType = "DELETED";
        object = toExternal(type, StoredObject{ev.obj, ev.rv, {}});
      }
      break;
  }
  w.lastRv = ev.rv;
  if (evType == nullptr) {
    return true;
  }
  json payload = std::move(object);
  if (w.accept.kind == Accept::Kind::kTable) {
    std::string include = w.opts.includeObject.empty() ? "Metadata" : w.opts.includeObject;
    payload = tableFor(type, {payload}, include, w.accept.version, !w.sentColumns);
    payload["metadata"] = {{"resourceVersion", std::to_string(ev.rv)}};
    w.sentColumns = true;
  }
  return w.stream->push(eventLine(evType, std::move(payload)).dump());
}

// Like the apiserver's watch cache: a BOOKMARK every bookmarkInterval and one about 2 s before
// the watch times out (none when the whole watch is shorter than that).
common::Clock::SteadyTime ApiServer::nextBookmarkTime(const Watcher& w,
                                                      common::Clock::SteadyTime now) const {
  auto next = common::Clock::SteadyTime::max();
  auto periodic = now + options_.bookmarkInterval;
  if (periodic < w.deadline) {
    next = periodic;
  }
  auto beforeEnd = w.deadline - std::chrono::seconds(2);
  if (beforeEnd > now && beforeEnd < next) {
    next = beforeEnd;
  }
  return next;
}

void ApiServer::tickWatches() {
  auto now = clock_->now();
  uint64_t rv = store_.currentRv();
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    Watcher& w = **it;
    if (w.stream->closed()) {
      it = watchers_.erase(it);
      continue;
    }
    bool expired = now >= w.deadline;
    bool due = w.opts.allowBookmarks && !expired && now >= w.nextBookmark;
    if (due) {
      json bookmark = {{"apiVersion", w.type->groupVersion()},
                       {"kind", w.type->kind},
                       {"metadata", {{"resourceVersion", std::to_string(std::max(rv, w.lastRv))}}}};
      w.stream->push(eventLine("BOOKMARK", bookmark).dump());
      w.nextBookmark = nextBookmarkTime(w, now);
    }
    if (expired) {
      w.stream->close();
      it = watchers_.erase(it);
      continue;
    }
    ++it;
  }
}

}  // namespace dbtoken::kubedouble
