// LiveKube: the Kubernetes API double served over HTTPS on 127.0.0.1 (its own CA, an admin
// token, a kubeconfig), and RestKubeApi clients built from that kubeconfig exactly as the
// operator builds them. Shared by the runtime integration tests.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "kube/api_server.h"
#include "kube/http_face.h"
#include "kube/rest_client.h"
#include "testing/temp_dir.h"

namespace dbtoken::testing {

class LiveKube {
 public:
  explicit LiveKube(kubedouble::ApiServerOptions options = {});
  ~LiveKube();

  kubedouble::ApiServer& server() { return server_; }
  kubedouble::HttpFace& face() { return *face_; }
  const TempDir& dir() const { return dir_; }
  // The kubeconfig the double wrote, loaded by the operator's own loader.
  kube::ClusterConfig config() const;
  // A client over HTTPS; adjust may change the configuration and the options first.
  std::unique_ptr<kube::RestKubeApi> client(
      const std::function<void(kube::ClusterConfig&, kube::RestOptions&)>& adjust = nullptr) const;

 private:
  TempDir dir_;
  kubedouble::ApiServer server_;
  std::unique_ptr<kubedouble::HttpFace> face_;
};

}  // namespace dbtoken::testing
