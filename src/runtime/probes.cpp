#include "runtime/probes.h"

namespace dbtoken::runtime {
namespace {

http::ServerResponse text(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

}  // namespace

common::Result<std::unique_ptr<ProbeServer>> ProbeServer::start(const http::ServerOptions& options,
                                                                const Registry* metrics) {
  std::unique_ptr<ProbeServer> probes(new ProbeServer(metrics));
  ProbeServer* self = probes.get();
  auto server =
      http::startServer(options, [self](http::ServerRequest& r) { return self->serve(r); });
  if (!server.ok()) {
    return server.status().annotate("probe server");
  }
  probes->server_ = std::move(server).value();
  return probes;
}

ProbeServer::~ProbeServer() {
  stop();
}

void ProbeServer::stop() {
  if (server_) {
    server_->stop();
  }
}

std::string ProbeServer::url() const {
  return server_ ? server_->url() : "";
}

void ProbeServer::addHealthCheck(std::string name, Check check) {
  std::lock_guard lk(mu_);
  health_.emplace_back(std::move(name), std::move(check));
}

void ProbeServer::addReadinessCheck(std::string name, Check check) {
  std::lock_guard lk(mu_);
  readiness_.emplace_back(std::move(name), std::move(check));
}

http::ServerResponse ProbeServer::runChecks(
    const std::vector<std::pair<std::string, Check>>& checks) const {
  std::string failed;
  for (const auto& [name, check] : checks) {
    bool ok = false;
    try {
      ok = check();
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      failed += "[-]" + name + " failed\n";
    }
  }
  if (!failed.empty()) {
    return text(503, failed);
  }
  return text(200, "ok");
}

http::ServerResponse ProbeServer::serve(const http::ServerRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return text(405, "method not allowed\n");
  }
  if (request.path == "/healthz" || request.path == "/livez") {
    std::lock_guard lk(mu_);
    return runChecks(health_);
  }
  if (request.path == "/readyz") {
    std::lock_guard lk(mu_);
    return runChecks(readiness_);
  }
  if (request.path == "/metrics" && metrics_ != nullptr) {
    http::ServerResponse r;
    r.status = 200;
    r.headers.add("Content-Type", Registry::kContentType);
    r.body = metrics_->render();
    return r;
  }
  return text(404, "not found\n");
}

}  // namespace dbtoken::runtime
