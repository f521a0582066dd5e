// A Kubernetes API double in-process, with controllers stepped by the test (no background
// thread, no sleeping), and terse helpers to send requests and read answers.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/api_server.h"

namespace dbtoken::kubedouble::testing {

using nlohmann::json;

struct Reply {
  int status = 0;
  json body;
  ApiResponse raw;
};

class Double {
 public:
  explicit Double(ApiServerOptions options = quiet(),
                  std::shared_ptr<const common::Clock> clock = nullptr)
      : api_(std::move(options), std::move(clock)) {}

  static ApiServerOptions quiet() {
    ApiServerOptions o;
    o.backgroundControllers = false;
    o.crdEstablishDelay = std::chrono::milliseconds(0);
    o.crdStorageInitDelay = std::chrono::milliseconds(0);
    o.gcDelay = std::chrono::milliseconds(0);
    o.namespaceSyncDelay = std::chrono::milliseconds(0);
    o.futureResourceVersionWait = std::chrono::milliseconds(50);
    return o;
  }

  ApiServer& api() { return api_; }

  Reply send(const std::string& method, const std::string& target, const json& body = nullptr,
             const std::string& contentType = "application/json",
             const std::string& accept = "application/json") {
    ApiRequest req;
    req.method = method;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      req.query = http::Query::parse(target.substr(q + 1));
    }
    if (!body.is_null()) {
      req.body = body.is_string() ? body.get<std::string>() : body.dump();
      req.contentType = contentType;
      req.hasContentType = true;
    }
    req.accept = accept;
    Reply r;
    r.raw = api_.handle(req);
    r.status = r.raw.status;
    if (!r.raw.watch) {
      r.body = json::parse(r.raw.body, nullptr, false);
    }
    return r;
  }

  Reply get(const std::string& target) { return send("GET", target); }
  Reply post(const std::string& target, const json& body) { return send("POST", target, body); }
  Reply put(const std::string& target, const json& body) { return send("PUT", target, body); }
  Reply merge(const std::string& target, const json& patch) {
    return send("PATCH", target, patch, "application/merge-patch+json");
  }
  Reply del(const std::string& target, const json& options = nullptr) {
    return send("DELETE", target, options);
  }

  // Runs controllers (CRD establishment, GC, namespaces, watch timers) until nothing changes.
  void settle() {
    for (int i = 0; i < 5; ++i) {
      api_.runControllersOnce(true);
    }
  }

  void createNamespace(const std::string& name) {
    post("/api/v1/namespaces",
         {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  }

  // The DatabaseToken CRD the recorded transcripts used, established and served.
  void installTokenCrd() {
    std::ifstream in(std::string(DBTOKEN_FIXTURES_DIR) +
                     "/kube-apiserver-v1.32/02-crd-create-established.json");
    json transcript = json::parse(in);
    post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
         transcript["steps"][1]["request"]["body"]);
    settle();
  }

  static json token(const std::string& ns, const std::string& name, json labels = nullptr) {
    json obj = {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                {"kind", "DatabaseToken"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"spec", {{"permissions", {{{"action", "write"}, {"database", "sensors"}}}}}}};
    if (!labels.is_null()) {
      obj["metadata"]["labels"] = labels;
    }
    return obj;
  }

  static std::string tokens(const std::string& ns) {
    return "/apis/tokens.influxdb.dev/v1alpha1/namespaces/" + ns + "/databasetokens";
  }
  static std::string secrets(const std::string& ns) {
    return "/api/v1/namespaces/" + ns + "/secrets";
  }

 private:
  ApiServer api_;
};

// Reads the lines a watch answer has produced so far (it stays open).
inline std::vector<json> drain(const ApiResponse& r) {
  std::vector<json> out;
  while (auto line = r.watch->next(std::chrono::milliseconds(0))) {
    out.push_back(json::parse(*line));
  }
  return out;
}

}  // namespace dbtoken::kubedouble::testing
