// ObjectWatches: watches single objects, by name, that no informer covers — e.g. a Secret
// without the operator's label that holds the name a DatabaseToken asks for — and enqueues the
// object that asked whenever the watched one appears, changes or goes, so the owner is
// reconciled promptly instead of at the next resync. One owner watches at most one object;
// forget() ends it. The informer-backed implementation opens one field-selected watch per
// watched object (a handful at a time), never a watch of the whole kind.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "common/log.h"
#include "kube/api_client.h"
#include "runtime/informer.h"

namespace dbtoken::runtime {

class ObjectWatches {
 public:
  virtual ~ObjectWatches() = default;
  // Starts watching `watched` on behalf of `owner` (a no-op when it already does; replaces
  // what `owner` watched before otherwise).
  virtual void watch(const kube::ObjectKey& watched, const kube::ObjectKey& owner) = 0;
  // Ends what `owner` watches, if anything.
  virtual void forget(const kube::ObjectKey& owner) = 0;
};

struct InformerObjectWatchesOptions {
  kube::Resource resource;
  Transform transform;  // what is kept of a watched object (e.g. metadata only)
  std::function<void(const kube::ObjectKey& owner)> enqueue;
  common::Logger logger;
};

class InformerObjectWatches final : public ObjectWatches {
 public:
  InformerObjectWatches(kube::KubeApi& api, InformerObjectWatchesOptions options);
  ~InformerObjectWatches() override;  // stops every watch
  InformerObjectWatches(const InformerObjectWatches&) = delete;
  InformerObjectWatches& operator=(const InformerObjectWatches&) = delete;

  void watch(const kube::ObjectKey& watched, const kube::ObjectKey& owner) override;
  void forget(const kube::ObjectKey& owner) override;
  // Stops every watch (before whatever enqueue() reaches goes away).
  void stopAll();
  size_t size() const;

 private:
  struct Entry {
    kube::ObjectKey watched;
    std::unique_ptr<Informer> informer;
  };
  kube::KubeApi& api_;
  InformerObjectWatchesOptions options_;
  mutable std::mutex mu_;
  std::map<kube::ObjectKey, Entry> byOwner_;
};

}  // namespace dbtoken::runtime
