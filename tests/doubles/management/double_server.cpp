#include "management/double_server.h"

#include <cstdlib>
#include <filesystem>

#include "support/self_signed.h"

namespace dbtoken::doubles::management {

using common::Code;
using common::Result;
using common::Status;

Result<std::unique_ptr<ManagementDoubleServer>> ManagementDoubleServer::start(
    DoubleServerOptions options) {
  if (options.api.managementToken.empty()) {
    return Status(Code::kInvalidArgument, "the double needs a management token");
  }
  std::unique_ptr<ManagementDoubleServer> s(new ManagementDoubleServer());
  s->api_ = std::make_unique<ManagementApi>(std::move(options.api));
  FaultFrontOptions front;
  front.port = options.port;
  front.faultHeader = kConnectionFaultHeader;
  if (options.tls) {
    std::string dir = options.certDir;
    if (dir.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "management-double-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return Status(Code::kFailedPrecondition, "cannot create a temporary directory");
      }
      dir = pattern;
      s->tempDir_ = dir;
    }
    auto certs = writeSelfSignedCertificates(dir, "management-api-double");
    if (!certs.ok()) {
      return certs.status();
    }
    s->caFile_ = certs->caCertFile;
    s->caPem_ = certs->caCertPem;
    front.tls = http::TlsFiles{certs->serverCertFile, certs->serverKeyFile};
  }
  auto server = http::startServer({}, s->api_->handler());
  if (!server.ok()) {
    return server.status();
  }
  s->server_ = std::move(server).value();
  front.backendPort = s->server_->port();
  auto started = startFaultFront(std::move(front));
  if (!started.ok()) {
    return started.status();
  }
  s->front_ = std::move(started).value();
  s->api_->setConnectionStats([front = s->front_.get()] { return front->stats(); });
  return s;
}

ManagementDoubleServer::~ManagementDoubleServer() {
  stop();
}

std::string ManagementDoubleServer::dedicatedBaseUrl() const {
  return url() + "/api/v0/accounts/" + api_->accountId() + "/clusters/" + api_->clusterId();
}

void ManagementDoubleServer::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (api_) {
    api_->shutdown();  // requests waiting out an injected latency answer now
  }
  if (front_) {
    front_->stop();
  }
  if (server_) {
    server_->stop();
  }
  if (!tempDir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tempDir_, ec);
  }
}

}  // namespace dbtoken::doubles::management
