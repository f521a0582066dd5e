#include "runtime/object_watches.h"

namespace dbtoken::runtime {

InformerObjectWatches::InformerObjectWatches(kube::KubeApi& api,
                                             InformerObjectWatchesOptions options)
    : api_(api), options_(std::move(options)) {}

InformerObjectWatches::~InformerObjectWatches() {
  stopAll();
}

void InformerObjectWatches::stopAll() {
  std::map<kube::ObjectKey, Entry> all;
  {
    std::lock_guard lk(mu_);
    all.swap(byOwner_);
  }
  all.clear();  // each informer stops and joins as it goes
}

void InformerObjectWatches::watch(const kube::ObjectKey& watched, const kube::ObjectKey& owner) {
  std::unique_ptr<Informer> replaced;
  std::lock_guard lk(mu_);
  auto it = byOwner_.find(owner);
  if (it != byOwner_.end()) {
    if (it->second.watched == watched) {
      return;
    }
    replaced = std::move(it->second.informer);
    byOwner_.erase(it);
  }
  InformerOptions o;
  o.resource = options_.resource;
  o.ns = watched.ns;
  o.fieldSelector = "metadata.name=" + watched.name;
  o.transform = options_.transform;
  o.logger = options_.logger;
  auto informer = std::make_unique<Informer>(api_, std::move(o));
  auto enqueue = [fn = options_.enqueue, owner](const ObjectPtr&) { fn(owner); };
  informer->addHandlers(
      {enqueue, [fn = options_.enqueue, owner](const ObjectPtr&, const ObjectPtr&) { fn(owner); },
       enqueue});
  informer->start();
  options_.logger.debug("watching an object for its owner",
                        {{"watched", watched.toString()}, {"owner", owner.toString()}});
  byOwner_.emplace(owner, Entry{watched, std::move(informer)});
}

void InformerObjectWatches::forget(const kube::ObjectKey& owner) {
  std::unique_ptr<Informer> gone;
  {
    std::lock_guard lk(mu_);
    auto it = byOwner_.find(owner);
    if (it == byOwner_.end()) {
      return;
    }
    gone = std::move(it->second.informer);
    byOwner_.erase(it);
  }
  // Stopped outside the lock: stop() joins the informer's thread, whose handlers may enqueue.
}

size_t InformerObjectWatches::size() const {
  std::lock_guard lk(mu_);
  return byOwner_.size();
}

}  // namespace dbtoken::runtime
