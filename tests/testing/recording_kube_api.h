// RecordingKubeApi: a KubeApi that passes every call on to another one (for tests, the API
// double) and reports each write as one line ("PATCH databasetokens/writer/status",
// "POST secrets/writer → Unavailable"), so a test can assert exactly which Kubernetes writes a
// reconcile made, in order and interleaved with other recordings. Reads are not reported.
#pragma once

#include <functional>
#include <string>

#include "kube/api_client.h"

namespace dbtoken::testing {

class RecordingKubeApi final : public kube::KubeApi {
 public:
  using Observer = std::function<void(const std::string&)>;
  RecordingKubeApi(kube::KubeApi& inner, Observer observer)
      : inner_(inner), observer_(std::move(observer)) {}

  common::Result<nlohmann::json> get(const kube::Resource& r, const std::string& ns,
                                     const std::string& name) override {
    return inner_.get(r, ns, name);
  }
  common::Result<kube::ObjectList> list(const kube::Resource& r, const std::string& ns,
                                        const kube::ListOptions& o) override {
    return inner_.list(r, ns, o);
  }
  common::Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource& r,
                                                           const std::string& ns,
                                                           const kube::WatchOptions& o) override {
    return inner_.watch(r, ns, o);
  }
  common::Result<nlohmann::json> create(const kube::Resource& r, const std::string& ns,
                                        const nlohmann::json& obj,
                                        const kube::WriteOptions& o) override {
    auto result = inner_.create(r, ns, obj, o);
    report("POST", r, nameIn(obj), o.subresource, result.status());
    return result;
  }
  common::Result<nlohmann::json> update(const kube::Resource& r, const std::string& ns,
                                        const nlohmann::json& obj,
                                        const kube::WriteOptions& o) override {
    auto result = inner_.update(r, ns, obj, o);
    report("PUT", r, nameIn(obj), o.subresource, result.status());
    return result;
  }
  common::Result<nlohmann::json> patch(const kube::Resource& r, const std::string& ns,
                                       const std::string& name, const nlohmann::json& p,
                                       const kube::PatchOptions& o) override {
    auto result = inner_.patch(r, ns, name, p, o);
    report("PATCH", r, name, o.subresource, result.status());
    return result;
  }
  common::Result<std::optional<nlohmann::json>> remove(const kube::Resource& r,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const kube::DeleteOptions& o) override {
    auto result = inner_.remove(r, ns, name, o);
    report("DELETE", r, name, "", result.status());
    return result;
  }

 private:
  static std::string nameIn(const nlohmann::json& obj) {
    if (obj.contains("metadata") && obj["metadata"].is_object()) {
      return obj["metadata"].value("name", "");
    }
    return "";
  }
  void report(const char* method, const kube::Resource& r, const std::string& name,
              const std::string& subresource, const common::Status& status) {
    std::string line = std::string(method) + " " + r.plural + "/" + name;
    if (!subresource.empty()) {
      line += "/" + subresource;
    }
    if (!status.isOk()) {
      line += std::string(" → ") + common::codeName(status.code());
    }
    observer_(line);
  }

  kube::KubeApi& inner_;
  Observer observer_;
};

}  // namespace dbtoken::testing
