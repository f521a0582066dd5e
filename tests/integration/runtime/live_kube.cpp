#include "integration/runtime/live_kube.h"

#include <stdexcept>

#include "kube/kubeconfig.h"

namespace dbtoken::testing {

LiveKube::LiveKube(kubedouble::ApiServerOptions options) : server_(std::move(options)) {
  kubedouble::HttpFaceOptions o;
  o.dataDir = dir_.file("double");
  auto face = kubedouble::HttpFace::start(server_, o);
  if (!face.ok()) {
    throw std::runtime_error("cannot start the API double: " + face.status().toString());
  }
  face_ = std::move(face).value();
}

LiveKube::~LiveKube() {
  face_->stop();
}

kube::ClusterConfig LiveKube::config() const {
  auto c = kube::loadKubeconfig({face_->kubeconfigPath(), {}, ""});
  if (!c.ok()) {
    throw std::runtime_error(c.status().toString());
  }
  return *c;
}

std::unique_ptr<kube::RestKubeApi> LiveKube::client(
    const std::function<void(kube::ClusterConfig&, kube::RestOptions&)>& adjust) const {
  kube::ClusterConfig c = config();
  kube::RestOptions o;
  o.userAgent = "runtime-integration-test";
  if (adjust) {
    adjust(c, o);
  }
  auto api = kube::RestKubeApi::make(c, o);
  if (!api.ok()) {
    throw std::runtime_error(api.status().toString());
  }
  return std::move(api).value();
}

}  // namespace dbtoken::testing
