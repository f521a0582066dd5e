#include "kube/rest_client.h"

#include "http/url.h"
#include "kube/api_errors.h"
#include "kube/object.h"

namespace dbtoken::kube {
namespace {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

constexpr size_t kMaxErrorBody = 64 * 1024;

std::string scope(const std::string& ns) {
  return ns.empty() ? "" : " in " + ns;
}

std::string objectName(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

const char* patchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";  // a JSON document is valid YAML
  }
  return "application/merge-patch+json";
}

const char* propagationName(Propagation p) {
  switch (p) {
    case Propagation::kOrphan:
      return "Orphan";
    case Propagation::kBackground:
      return "Background";
    case Propagation::kForeground:
      return "Foreground";
    case Propagation::kDefault:
      break;
  }
  return "";
}

std::string withQuery(std::string path, const http::Query& query) {
  if (!query.empty()) {
    // Two appends, not `"?" + encode()`: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
    path += '?';
    path += query.encode();
  }
  return path;
}

// Decodes a JSON answer body; a 2xx body that is not JSON is a server we cannot understand.
Result<json> parseBody(const std::string& what, const std::string& body) {
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kInternal, what + ": the answer is not a JSON object");
  }
  return j;
}

class RestWatchStream final : public WatchStream {
 public:
  RestWatchStream(std::unique_ptr<http::ResponseStream> stream, std::string what)
      : stream_(std::move(stream)), what_(std::move(what)) {}

  Result<std::optional<WatchEvent>> next() override {
    if (finished_) {
      return Status(Code::kCancelled, what_ + ": the watch has ended");
    }
    for (;;) {
      auto line = stream_->readLine();
      if (!line.ok()) {
        finished_ = true;
        return line.status().annotate(what_);
      }
      if (!line->has_value()) {
        finished_ = true;
        return std::optional<WatchEvent>();
      }
      const std::string& text = **line;
      if (text.empty() || text == "\r") {
        continue;
      }
      auto event = parseWatchEvent(text);
      if (!event.ok()) {
        finished_ = true;
        return event.status().annotate(what_);
      }
      if (event->type == WatchEventType::kError) {
        finished_ = true;
        return statusFromWatchError(what_, event->object);
      }
      return std::optional<WatchEvent>(std::move(event).value());
    }
  }

  void cancel() override { stream_->cancel(); }

 private:
  std::unique_ptr<http::ResponseStream> stream_;
  std::string what_;
  bool finished_ = false;
};

}  // namespace

struct RestKubeApi::Call {
  std::string verb;
  const Resource* resource = nullptr;
  std::string what;  // "get secrets default/x", for messages
  http::ClientRequest request;
  bool stream = false;
};

struct RestKubeApi::Answer {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::unique_ptr<http::ResponseStream> stream;
};

Result<std::unique_ptr<RestKubeApi>> RestKubeApi::make(const ClusterConfig& config,
                                                       RestOptions options) {
  auto tokens = makeTokenSource(config, options.clock, options.redactor);
  http::TransportOptions t;
  t.baseUrl = config.server;
  t.tls = config.tls;
  t.timeout = options.timeout;
  t.streamTimeout = options.watchIdleTimeout;
  t.userAgent = options.userAgent;
  if (tokens) {
    t.bearerToken = [tokens]() { return tokens->token(); };
  }
  auto transport = http::makeTransport(std::move(t));
  if (!transport.ok()) {
    return transport.status().annotate("Kubernetes API client");
  }
  return std::make_unique<RestKubeApi>(std::move(transport).value(), std::move(options),
                                       std::move(tokens));
}

RestKubeApi::RestKubeApi(std::unique_ptr<http::Transport> transport, RestOptions options,
                         std::shared_ptr<TokenSource> tokens)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      tokens_(std::move(tokens)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      sleeper_(options_.sleeper != nullptr ? *options_.sleeper : realSleeper_),
      limiter_(options_.qps, options_.burst, clock_),
      log_(options_.logger.named("kube")) {}

void RestKubeApi::wait(std::chrono::nanoseconds d) {
  if (d.count() > 0) {
    sleeper_.sleepFor(std::chrono::ceil<std::chrono::milliseconds>(d));
  }
}

Result<RestKubeApi::Answer> RestKubeApi::sendOnce(Call& call) {
  Answer answer;
  if (!call.stream) {
    auto r = transport_->send(call.request);
    if (!r.ok()) {
      return r.status();
    }
    answer.status = r->status;
    answer.headers = std::move(r->headers);
    answer.body = std::move(r->body);
    return answer;
  }
  auto s = transport_->openStream(call.request);
  if (!s.ok()) {
    return s.status();
  }
  answer.status = (*s)->status();
  answer.headers = (*s)->headers();
  if (answer.status >= 200 && answer.status <= 299) {
    answer.stream = std::move(s).value();
    return answer;
  }
  // An error answer to a watch is an ordinary Status body: read it whole (bounded).
  while (answer.body.size() < kMaxErrorBody) {
    auto line = (*s)->readLine();
    if (!line.ok() || !line->has_value()) {
      break;
    }
    answer.body += **line;
    answer.body += '\n';
  }
  return answer;
}

void RestKubeApi::noteFlowControl(const http::Headers& headers) {
  if (options_.limitsExplicit || options_.qps <= 0 ||
      serverFlowControl_.load(std::memory_order_relaxed) || !headers.has(kFlowSchemaUidHeader)) {
    return;
  }
  if (!serverFlowControl_.exchange(true)) {
    log_.info(
        "the Kubernetes API server does API Priority and Fairness: client-side throttling is "
        "off, the server's flow control decides",
        {{"qps", options_.qps}, {"burst", options_.burst}});
  }
}

Result<RestKubeApi::Answer> RestKubeApi::exchange(Call& call) {
  common::Backoff backoff(options_.retryBackoff, options_.random);
  bool refreshedToken = false;
  const bool isRead = call.request.method == "GET";
  for (int attempt = 0;; ++attempt) {
    auto limited = serverFlowControl_.load(std::memory_order_relaxed) ? std::chrono::nanoseconds(0)
                                                                      : limiter_.reserve();
    wait(limited);
    auto started = clock_.now();
    auto answer = sendOnce(call);
    if (answer.ok()) {
      noteFlowControl(answer->headers);
    }
    RequestRecord record{call.verb,
                         call.request.method,
                         call.resource->groupResource(),
                         answer.ok() ? answer->status : 0,
                         clock_.now() - started,
                         limited};
    if (options_.observer) {
      options_.observer(record);
    }
    log_.debug("kubernetes API request",
               {{"verb", call.verb},
                {"path", call.request.target},
                {"status", record.httpStatus},
                {"attempt", attempt + 1},
                {"durationMs",
                 std::chrono::duration_cast<std::chrono::milliseconds>(record.latency).count()}});
    std::chrono::nanoseconds delay{0};
    Status failure;
    if (!answer.ok()) {
      failure = answer.status().annotate(call.what);
      // Only a request that certainly never reached the server may be sent again.
      if (answer.status().code() != Code::kUnavailable || attempt >= options_.maxRetries) {
        return failure;
      }
      delay = backoff.next();
    } else if (answer->status >= 200 && answer->status <= 299) {
      return answer;
    } else {
      int status = answer->status;
      failure =
          statusFromResponse(call.what, status, answer->headers, answer->body, clock_.wallNow());
      if (status == 401 && tokens_ && !refreshedToken && tokens_->invalidate()) {
        refreshedToken = true;
        continue;
      }
      bool hasRetryAfter = answer->headers.has("Retry-After");
      bool retryable = status == 429 || (isRead && hasRetryAfter && status >= 500);
      if (!retryable || attempt >= options_.maxRetries) {
        return failure;
      }
      delay = failure.retryAfter() ? std::chrono::nanoseconds(*failure.retryAfter())
                                   : std::chrono::nanoseconds(backoff.next());
      if (delay > options_.maxRetryAfter) {
        return failure;
      }
    }
    log_.info("retrying Kubernetes API request",
              {{"verb", call.verb},
               {"resource", call.resource->groupResource()},
               {"error", failure.toString()},
               {"delayMs", std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()}});
    wait(delay);
  }
}

Result<json> RestKubeApi::objectCall(Call& call) {
  call.request.headers.set("Accept", "application/json");
  auto answer = exchange(call);
  if (!answer.ok()) {
    return answer.status();
  }
  return parseBody(call.what, answer->body);
}

Result<json> RestKubeApi::get(const Resource& resource, const std::string& ns,
                              const std::string& name) {
  Call call{"get", &resource, "get " + resource.groupResource() + " " + objectName(ns, name), {}};
  call.request.method = "GET";
  call.request.target = resource.objectPath(ns, name);
  return objectCall(call);
}

Result<ObjectList> RestKubeApi::list(const Resource& resource, const std::string& ns,
                                     const ListOptions& options) {
  http::Query q;
  if (!options.labelSelector.empty()) {
    q.add("labelSelector", options.labelSelector);
  }
  if (!options.fieldSelector.empty()) {
    q.add("fieldSelector", options.fieldSelector);
  }
  if (options.limit > 0) {
    q.add("limit", std::to_string(options.limit));
  }
  if (!options.continueToken.empty()) {
    q.add("continue", options.continueToken);
  }
  if (!options.resourceVersion.empty()) {
    q.add("resourceVersion", options.resourceVersion);
  }
  if (!options.resourceVersionMatch.empty()) {
    q.add("resourceVersionMatch", options.resourceVersionMatch);
  }
  Call call{"list", &resource, "list " + resource.groupResource() + scope(ns), {}};
  call.request.method = "GET";
  call.request.target = withQuery(resource.collectionPath(ns), q);
  auto body = objectCall(call);
  if (!body.ok()) {
    return body.status();
  }
  auto items = body->find("items");
  if (items == body->end() || !(items->is_array() || items->is_null())) {
    return Status(Code::kInternal, call.what + ": the answer is not a list");
  }
  ObjectList out;
  const json& meta = body->contains("metadata") ? (*body)["metadata"] : json::object();
  out.resourceVersion = stringField(meta, "resourceVersion");
  out.continueToken = stringField(meta, "continue");
  // Items of built-in lists carry no apiVersion/kind; the list says what they are.
  std::string listKind = stringField(*body, "kind");
  std::string kind = listKind.size() > 4 && listKind.ends_with("List")
                         ? listKind.substr(0, listKind.size() - 4)
                         : resource.kind;
  std::string apiVersion = stringField(*body, "apiVersion");
  if (apiVersion.empty()) {
    apiVersion = resource.apiVersion();
  }
  if (items->is_array()) {
    out.items.reserve(items->size());
    for (auto& item : *items) {
      if (!item.is_object()) {
        return Status(Code::kInternal, call.what + ": a list item is not an object");
      }
      if (!item.contains("kind") && !kind.empty()) {
        item["kind"] = kind;
      }
      if (!item.contains("apiVersion")) {
        item["apiVersion"] = apiVersion;
      }
      out.items.push_back(std::move(item));
    }
  }
  return out;
}

Result<std::unique_ptr<WatchStream>> RestKubeApi::watch(const Resource& resource,
                                                        const std::string& ns,
                                                        const WatchOptions& options) {
  http::Query q;
  q.add("watch", "true");
  if (options.allowBookmarks) {
    q.add("allowWatchBookmarks", "true");
  }
  if (!options.resourceVersion.empty()) {
    q.add("resourceVersion", options.resourceVersion);
  }
  if (options.timeout.count() > 0) {
    q.add("timeoutSeconds", std::to_string(options.timeout.count()));
  }
  if (!options.labelSelector.empty()) {
    q.add("labelSelector", options.labelSelector);
  }
  if (!options.fieldSelector.empty()) {
    q.add("fieldSelector", options.fieldSelector);
  }
  Call call{"watch", &resource, "watch " + resource.groupResource() + scope(ns), {}, true};
  call.request.method = "GET";
  call.request.target = withQuery(resource.collectionPath(ns), q);
  call.request.headers.set("Accept", "application/json");
  auto answer = exchange(call);
  if (!answer.ok()) {
    return answer.status();
  }
  return std::unique_ptr<WatchStream>(
      std::make_unique<RestWatchStream>(std::move(answer->stream), call.what));
}

Result<json> RestKubeApi::create(const Resource& resource, const std::string& ns,
                                 const json& object, const WriteOptions& options) {
  http::Query q;
  if (!options.fieldManager.empty()) {
    q.add("fieldManager", options.fieldManager);
  }
  if (options.dryRun) {
    q.add("dryRun", "All");
  }
  Call call{"create", &resource, "create " + resource.groupResource() + scope(ns), {}};
  call.request.method = "POST";
  call.request.target = withQuery(
      options.subresource.empty() ? resource.collectionPath(ns)
                                  : resource.objectPath(ns, nameOf(object), options.subresource),
      q);
  call.request.headers.set("Content-Type", "application/json");
  call.request.body = object.dump();
  call.request.idempotent = false;
  return objectCall(call);
}

Result<json> RestKubeApi::update(const Resource& resource, const std::string& ns,
                                 const json& object, const WriteOptions& options) {
  std::string name = nameOf(object);
  std::string what = "update " + resource.groupResource() +
                     (options.subresource.empty() ? "" : "/" + options.subresource) + " " +
                     objectName(ns, name);
  if (name.empty()) {
    return Status(Code::kInvalidArgument, what + ": the object has no metadata.name");
  }
  http::Query q;
  if (!options.fieldManager.empty()) {
    q.add("fieldManager", options.fieldManager);
  }
  if (options.dryRun) {
    q.add("dryRun", "All");
  }
  Call call{"update", &resource, what, {}};
  call.request.method = "PUT";
  call.request.target = withQuery(resource.objectPath(ns, name, options.subresource), q);
  call.request.headers.set("Content-Type", "application/json");
  call.request.body = object.dump();
  return objectCall(call);
}

Result<json> RestKubeApi::patch(const Resource& resource, const std::string& ns,
                                const std::string& name, const json& patch,
                                const PatchOptions& options) {
  std::string what = "patch " + resource.groupResource() +
                     (options.subresource.empty() ? "" : "/" + options.subresource) + " " +
                     objectName(ns, name);
  if (options.type == PatchType::kApply && options.fieldManager.empty()) {
    return Status(Code::kInvalidArgument, what + ": server-side apply needs a field manager");
  }
  http::Query q;
  if (!options.fieldManager.empty()) {
    q.add("fieldManager", options.fieldManager);
  }
  if (options.force) {
    q.add("force", "true");
  }
  if (options.dryRun) {
    q.add("dryRun", "All");
  }
  Call call{"patch", &resource, what, {}};
  call.request.method = "PATCH";
  call.request.target = withQuery(resource.objectPath(ns, name, options.subresource), q);
  call.request.headers.set("Content-Type", patchContentType(options.type));
  call.request.body = patch.dump();
  return objectCall(call);
}

Result<std::optional<json>> RestKubeApi::remove(const Resource& resource, const std::string& ns,
                                                const std::string& name,
                                                const DeleteOptions& options) {
  json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (options.preconditionUid) {
    body["preconditions"]["uid"] = *options.preconditionUid;
  }
  if (options.preconditionResourceVersion) {
    body["preconditions"]["resourceVersion"] = *options.preconditionResourceVersion;
  }
  if (options.propagation != Propagation::kDefault) {
    body["propagationPolicy"] = propagationName(options.propagation);
  }
  if (options.gracePeriodSeconds) {
    body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
  }
  http::Query q;
  if (options.dryRun) {
    q.add("dryRun", "All");
  }
  Call call{
      "delete", &resource, "delete " + resource.groupResource() + " " + objectName(ns, name), {}};
  call.request.method = "DELETE";
  call.request.target = withQuery(resource.objectPath(ns, name), q);
  call.request.headers.set("Content-Type", "application/json");
  call.request.body = body.dump();
  auto answer = objectCall(call);
  if (!answer.ok()) {
    return answer.status();
  }
  // Deleted at once: a Status; kept for finalizers: the object with its deletionTimestamp.
  if (stringField(*answer, "kind") == "Status") {
    return std::optional<json>();
  }
  return std::optional<json>(std::move(answer).value());
}

}  // namespace dbtoken::kube
