#include "runtime/informer.h"

#include <openssl/evp.h>

#include <algorithm>

namespace dbtoken::runtime {
namespace {

using common::Code;
using common::Status;
using std::chrono::milliseconds;

constexpr milliseconds kNow{0};
// A watch that ends cleanly this soon, having delivered nothing, counts as a failure (client-go's
// "very short watch"): a server closing every watch at once must not be hammered.
constexpr std::chrono::seconds kShortWatch{1};

const char* stateName(Informer::State s) {
  switch (s) {
    case Informer::State::kListing:
      return "listing";
    case Informer::State::kStarting:
      return "starting watch";
    case Informer::State::kWatching:
      return "watching";
  }
  return "unknown";
}

long long toMillis(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace

Informer::Informer(kube::KubeApi& api, InformerOptions options)
    : api_(api),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      log_(options_.logger.named("informer")
               .with({{"resource", options_.resource.groupResource()},
                      {"namespace", options_.ns.empty() ? "*" : options_.ns}})),
      backoff_(options_.backoff, options_.random),
      rng_(std::random_device{}()) {}

Informer::~Informer() {
  stop();
}

void Informer::addHandlers(EventHandlers handlers) {
  handlers_.push_back(std::move(handlers));
}

void Informer::start() {
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    while (!stopping_) {
      milliseconds wait = step();
      if (wait.count() > 0) {
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, wait, [this] { return stopping_.load(); });
      }
    }
  });
}

void Informer::stop() {
  stopping_ = true;
  {
    std::lock_guard lk(streamMu_);
    if (stream_) {
      stream_->cancel();
    }
  }
  {
    std::lock_guard lk(mu_);
    cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool Informer::waitForSync(milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [this] { return store_.synced() || stopping_.load(); }) &&
         store_.synced();
}

Informer::State Informer::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

std::string Informer::resourceVersion() const {
  std::lock_guard lk(mu_);
  return resourceVersion_;
}

void Informer::setState(State s) {
  std::lock_guard lk(mu_);
  state_ = s;
}

milliseconds Informer::step() {
  switch (state()) {
    case State::kListing:
      return stepList();
    case State::kStarting:
      return stepStart();
    case State::kWatching:
      return stepWatch();
  }
  return kNow;
}

milliseconds Informer::failed(const Status& status, const char* during) {
  if (status.code() == Code::kGone) {
    log_.info("resource version expired; relisting",
              {{"during", during}, {"resourceVersion", resourceVersion()}});
    continue_.clear();
    pending_.clear();
    setState(State::kListing);
    return kNow;
  }
  auto now = clock_.now();
  if (lastFailure_ && now - *lastFailure_ > options_.backoffReset) {
    backoff_.reset();
  }
  lastFailure_ = now;
  milliseconds delay = backoff_.next();
  if (status.retryAfter()) {
    delay = std::max(delay, *status.retryAfter());
  }
  log_.warn("informer will retry", {{"during", during},
                                    {"state", stateName(state())},
                                    {"error", status.toString()},
                                    {"delayMs", delay.count()}});
  return delay;
}

ObjectPtr Informer::ingest(nlohmann::json object) const {
  if (options_.transform) {
    object = options_.transform(std::move(object));
  }
  return std::make_shared<const nlohmann::json>(std::move(object));
}

milliseconds Informer::stepList() {
  kube::ListOptions o;
  o.labelSelector = options_.labelSelector;
  o.fieldSelector = options_.fieldSelector;
  o.limit = options_.pageSize;
  o.continueToken = continue_;
  auto page = api_.list(options_.resource, options_.ns, o);
  if (!page.ok()) {
    return failed(page.status(), "list");
  }
  if (continue_.empty()) {
    listResourceVersion_ = page->resourceVersion;
    pending_.clear();
  }
  for (auto& item : page->items) {
    ObjectPtr obj = ingest(std::move(item));
    pending_[kube::keyOf(*obj)] = std::move(obj);
  }
  continue_ = page->continueToken;
  if (!continue_.empty()) {
    return kNow;
  }
  finishList();
  return kNow;
}

void Informer::finishList() {
  ObjectMap fresh;
  fresh.swap(pending_);
  std::vector<ObjectPtr> added;
  added.reserve(fresh.size());
  for (const auto& [key, obj] : fresh) {
    added.push_back(obj);
  }
  const bool first = !store_.synced();
  ObjectMap old = store_.replace(std::move(fresh));
  {
    std::lock_guard lk(mu_);
    resourceVersion_ = listResourceVersion_;
    state_ = State::kStarting;
    cv_.notify_all();  // waitForSync
  }
  log_.info(first ? "initial list done" : "relist done",
            {{"objects", added.size()}, {"resourceVersion", listResourceVersion_}});
  for (const ObjectPtr& obj : added) {
    auto it = old.find(kube::keyOf(*obj));
    if (it == old.end()) {
      notifyAdd(obj);
    } else {
      if (kube::resourceVersionOf(*it->second) != kube::resourceVersionOf(*obj)) {
        notifyUpdate(it->second, obj);
      }
      old.erase(it);
    }
  }
  for (const auto& [key, gone] : old) {
    notifyDelete(gone);
  }
}

milliseconds Informer::stepStart() {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double r = options_.random ? options_.random() : uniform(rng_);
  kube::WatchOptions o;
  o.labelSelector = options_.labelSelector;
  o.fieldSelector = options_.fieldSelector;
  o.resourceVersion = resourceVersion();
  o.allowBookmarks = true;
  o.timeout = std::chrono::seconds(
      static_cast<long long>(static_cast<double>(options_.minWatchTimeout.count()) * (1.0 + r)));
  auto stream = api_.watch(options_.resource, options_.ns, o);
  if (!stream.ok()) {
    return failed(stream.status(), "watch");
  }
  {
    std::lock_guard lk(streamMu_);
    stream_ = std::move(stream).value();
    if (stopping_) {
      stream_->cancel();
    }
  }
  watchStarted_ = clock_.now();
  eventsInWatch_ = 0;
  setState(State::kWatching);
  log_.debug("watch started",
             {{"resourceVersion", o.resourceVersion}, {"timeoutSeconds", o.timeout.count()}});
  return kNow;
}

milliseconds Informer::stepWatch() {
  auto next = stream_->next();
  auto endWatch = [this] {
    std::lock_guard lk(streamMu_);
    stream_.reset();
  };
  if (!next.ok()) {
    endWatch();
    setState(State::kStarting);
    if (next.status().code() == Code::kCancelled && stopping_) {
      return kNow;
    }
    return failed(next.status(), "watch");
  }
  if (!next->has_value()) {
    endWatch();
    setState(State::kStarting);
    if (eventsInWatch_ == 0 && clock_.now() - watchStarted_ < kShortWatch) {
      return failed(Status(Code::kUnavailable, "the watch ended as soon as it started"), "watch");
    }
    log_.debug("watch ended; resuming", {{"resourceVersion", resourceVersion()},
                                         {"durationMs", toMillis(clock_.now() - watchStarted_)}});
    return kNow;
  }
  kube::WatchEvent& event = **next;
  std::string rv = kube::resourceVersionOf(event.object);
  ++eventsInWatch_;
  switch (event.type) {
    case kube::WatchEventType::kBookmark:
      break;
    case kube::WatchEventType::kAdded:
    case kube::WatchEventType::kModified: {
      ObjectPtr obj = ingest(std::move(event.object));
      ObjectPtr old = store_.upsert(obj);
      if (old) {
        notifyUpdate(old, obj);
      } else {
        notifyAdd(obj);
      }
      break;
    }
    case kube::WatchEventType::kDeleted: {
      ObjectPtr old = store_.erase(kube::keyOf(event.object));
      if (old) {
        notifyDelete(old);
      }
      break;
    }
    case kube::WatchEventType::kError:
      break;  // WatchStream reports these as errors
  }
  if (!rv.empty()) {
    std::lock_guard lk(mu_);
    resourceVersion_ = rv;
  }
  return kNow;
}

void Informer::notifyAdd(const ObjectPtr& o) {
  for (const auto& h : handlers_) {
    if (!h.onAdd) {
      continue;
    }
    try {
      h.onAdd(o);
    } catch (const std::exception& e) {
      log_.error("event handler threw", {{"event", "add"}, {"error", e.what()}});
    }
  }
}

void Informer::notifyUpdate(const ObjectPtr& oldObject, const ObjectPtr& newObject) {
  for (const auto& h : handlers_) {
    if (!h.onUpdate) {
      continue;
    }
    try {
      h.onUpdate(oldObject, newObject);
    } catch (const std::exception& e) {
      log_.error("event handler threw", {{"event", "update"}, {"error", e.what()}});
    }
  }
}

void Informer::notifyDelete(const ObjectPtr& o) {
  for (const auto& h : handlers_) {
    if (!h.onDelete) {
      continue;
    }
    try {
      h.onDelete(o);
    } catch (const std::exception& e) {
      log_.error("event handler threw", {{"event", "delete"}, {"error", e.what()}});
    }
  }
}

nlohmann::json stripManagedFields(nlohmann::json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
  }
  return object;
}

nlohmann::json hashSecretData(nlohmann::json secret) {
  if (!secret.is_object()) {
    return secret;
  }
  secret.erase("stringData");
  if (auto meta = secret.find("metadata"); meta != secret.end() && meta->is_object()) {
    if (auto ann = meta->find("annotations"); ann != meta->end() && ann->is_object()) {
      ann->erase("kubectl.kubernetes.io/last-applied-configuration");
    }
  }
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) {
    return secret;
  }
  for (auto& [key, value] : data->items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex = "sha256:";
    for (unsigned int i = 0; i < len; ++i) {
      hex += kHex[digest[i] >> 4];
      hex += kHex[digest[i] & 15];
    }
    value = hex;
  }
  return secret;
}

}  // namespace dbtoken::runtime
