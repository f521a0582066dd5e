// FakeKubeApi: a hand-written KubeApi with one function field per method, for tests that script
// exact answers (cert-manager's pattern); unset methods answer Internal "not faked". ScriptedWatch
// is a WatchStream that plays back a list of results and then ends cleanly.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

#include "kube/api_client.h"

namespace dbtoken::testing {

class ScriptedWatch final : public kube::WatchStream {
 public:
  using Item = common::Result<std::optional<kube::WatchEvent>>;
  explicit ScriptedWatch(std::deque<Item> items) : items_(std::move(items)) {}
  Item next() override {
    std::lock_guard lk(mu_);
    if (cancelled_) {
      return common::Status(common::Code::kCancelled, "cancelled");
    }
    if (items_.empty()) {
      return std::optional<kube::WatchEvent>();
    }
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  void cancel() override {
    std::lock_guard lk(mu_);
    cancelled_ = true;
  }

 private:
  std::mutex mu_;
  std::deque<Item> items_;
  bool cancelled_ = false;
};

// One scripted event, ready to put in a ScriptedWatch.
inline ScriptedWatch::Item watchEvent(kube::WatchEventType type, nlohmann::json object) {
  return std::optional<kube::WatchEvent>(kube::WatchEvent{type, std::move(object)});
}

class FakeKubeApi final : public kube::KubeApi {
 public:
  using R = kube::Resource;
  std::function<common::Result<nlohmann::json>(const R&, const std::string&, const std::string&)>
      onGet;
  std::function<common::Result<kube::ObjectList>(const R&, const std::string&,
                                                 const kube::ListOptions&)>
      onList;
  std::function<common::Result<std::unique_ptr<kube::WatchStream>>(const R&, const std::string&,
                                                                   const kube::WatchOptions&)>
      onWatch;
  std::function<common::Result<nlohmann::json>(const R&, const std::string&, const nlohmann::json&,
                                               const kube::WriteOptions&)>
      onCreate;
  std::function<common::Result<nlohmann::json>(const R&, const std::string&, const nlohmann::json&,
                                               const kube::WriteOptions&)>
      onUpdate;
  std::function<common::Result<nlohmann::json>(const R&, const std::string&, const std::string&,
                                               const nlohmann::json&, const kube::PatchOptions&)>
      onPatch;
  std::function<common::Result<std::optional<nlohmann::json>>(
      const R&, const std::string&, const std::string&, const kube::DeleteOptions&)>
      onRemove;

  common::Result<nlohmann::json> get(const R& r, const std::string& ns,
                                     const std::string& name) override {
    return onGet ? onGet(r, ns, name) : notFaked("get");
  }
  common::Result<kube::ObjectList> list(const R& r, const std::string& ns,
                                        const kube::ListOptions& o) override {
    return onList ? onList(r, ns, o) : notFaked("list");
  }
  common::Result<std::unique_ptr<kube::WatchStream>> watch(const R& r, const std::string& ns,
                                                           const kube::WatchOptions& o) override {
    return onWatch ? onWatch(r, ns, o) : notFaked("watch");
  }
  common::Result<nlohmann::json> create(const R& r, const std::string& ns,
                                        const nlohmann::json& obj,
                                        const kube::WriteOptions& o) override {
    return onCreate ? onCreate(r, ns, obj, o) : notFaked("create");
  }
  common::Result<nlohmann::json> update(const R& r, const std::string& ns,
                                        const nlohmann::json& obj,
                                        const kube::WriteOptions& o) override {
    return onUpdate ? onUpdate(r, ns, obj, o) : notFaked("update");
  }
  common::Result<nlohmann::json> patch(const R& r, const std::string& ns, const std::string& name,
                                       const nlohmann::json& p,
                                       const kube::PatchOptions& o) override {
    return onPatch ? onPatch(r, ns, name, p, o) : notFaked("patch");
  }
  common::Result<std::optional<nlohmann::json>> remove(const R& r, const std::string& ns,
                                                       const std::string& name,
                                                       const kube::DeleteOptions& o) override {
    return onRemove ? onRemove(r, ns, name, o) : notFaked("delete");
  }

 private:
  static common::Status notFaked(const char* what) {
    return common::Status(common::Code::kInternal, std::string(what) + " is not faked");
  }
};

}  // namespace dbtoken::testing
