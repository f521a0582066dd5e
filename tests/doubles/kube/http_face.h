// The HTTP face of the Kubernetes API double: serves an ApiServer on 127.0.0.1 over HTTPS (a
// generated CA) or plain HTTP, authenticates bearer tokens like a kube-apiserver (a wrong token
// is 401, none is system:anonymous), writes a kubeconfig, and exposes the test controls under
// /_double/ (faults, watch drops, history expiry, request counts, flow-control headers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/secret.h"
#include "common/status.h"
#include "http/server.h"
#include "kube/api_server.h"

namespace dbtoken::kubedouble {

struct HttpFaceOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: a free port
  bool tls = true;
  std::string dataDir;  // certificates, token and kubeconfig go here (required)
  std::string token;    // the admin bearer token; generated when empty
};

class HttpFace {
 public:
  static common::Result<std::unique_ptr<HttpFace>> start(ApiServer& api, HttpFaceOptions options);
  ~HttpFace();

  std::string url() const { return server_->url(); }
  const std::string& kubeconfigPath() const { return kubeconfig_; }
  const std::string& caFile() const { return caFile_; }  // empty for plain HTTP
  const common::Secret& token() const { return token_; }
  void stop();

 private:
  HttpFace(ApiServer& api, common::Secret token) : api_(api), token_(std::move(token)) {}
  http::ServerResponse serve(http::ServerRequest& request);
  http::ServerResponse control(const std::string& path, http::ServerRequest& request);

  ApiServer& api_;
  common::Secret token_;
  std::string kubeconfig_;
  std::string caFile_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace dbtoken::kubedouble
