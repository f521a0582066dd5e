// kube-apiserver-double: a Kubernetes API server double on 127.0.0.1 for tests and the local
// dev control plane. Prints one JSON line with its URL, kubeconfig and CA file once it serves,
// and stops cleanly on SIGTERM/SIGINT.
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "http/server.h"
#include "kube/api_server.h"
#include "kube/http_face.h"

using namespace dbtoken;

namespace {

void usage() {
  std::cerr << "usage: kube-apiserver-double --data-dir DIR [options]\n"
               "  --data-dir DIR             where ca.crt, server.crt/key, token, kubeconfig go\n"
               "  --port N                   listen port on 127.0.0.1 (default: a free port)\n"
               "  --plain-http               serve HTTP instead of HTTPS\n"
               "  --token T                  the admin bearer token (default: generated)\n"
               "  --history-limit N          changes kept for watch resumption (default 10000)\n"
               "  --bookmark-interval-ms N   BOOKMARK period for watches (default 60000)\n"
               "  --crd-establish-delay-ms N time until a new CRD is Established (default 30)\n"
               "  --gc-delay-ms N            garbage collector reaction time (default 10)\n"
               "  --namespace-sync-ms N      namespace controller period (default 100)\n"
               "  --no-priority-and-fairness no X-Kubernetes-PF-* headers (a server without\n"
               "                             API Priority and Fairness)\n";
}

bool parseNumber(const char* s, long long& out) {
  char* end = nullptr;
  out = std::strtoll(s, &end, 10);
  return end != s && *end == '\0' && out >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  kubedouble::ApiServerOptions api;
  kubedouble::HttpFaceOptions face;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](long long& out) {
      if (i + 1 >= argc || !parseNumber(argv[i + 1], out)) {
        std::cerr << "kube-apiserver-double: " << a << " needs a non-negative number\n";
        std::exit(2);
      }
      ++i;
    };
    long long n = 0;
    if (a == "--data-dir" && i + 1 < argc) {
      face.dataDir = argv[++i];
    } else if (a == "--port") {
      value(n);
      face.port = static_cast<uint16_t>(n);
    } else if (a == "--plain-http") {
      face.tls = false;
    } else if (a == "--token" && i + 1 < argc) {
      face.token = argv[++i];
    } else if (a == "--history-limit") {
      value(n);
      api.historyLimit = static_cast<size_t>(n);
    } else if (a == "--bookmark-interval-ms") {
      value(n);
      api.bookmarkInterval = std::chrono::milliseconds(n);
    } else if (a == "--crd-establish-delay-ms") {
      value(n);
      api.crdEstablishDelay = std::chrono::milliseconds(n);
    } else if (a == "--gc-delay-ms") {
      value(n);
      api.gcDelay = std::chrono::milliseconds(n);
    } else if (a == "--namespace-sync-ms") {
      value(n);
      api.namespaceSyncDelay = std::chrono::milliseconds(n);
    } else if (a == "--no-priority-and-fairness") {
      api.priorityAndFairness = false;
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::cerr << "kube-apiserver-double: unknown or incomplete argument " << a << "\n";
      usage();
      return 2;
    }
  }
  if (face.dataDir.empty()) {
    std::cerr << "kube-apiserver-double: --data-dir is required\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // threads started below inherit the mask

  // Few allocator arenas, and free memory handed back regularly: a big LIST answer would
  // otherwise stay counted in the RSS long after it was sent.
  mallopt(M_ARENA_MAX, 2);
  http::initializeThreadPool(16);
  kubedouble::ApiServer server(api);
  auto started = kubedouble::HttpFace::start(server, face);
  if (!started.ok()) {
    std::cerr << "kube-apiserver-double: " << started.status().toString() << "\n";
    return 1;
  }
  auto& http = *started;
  nlohmann::json ready = {
      {"url", http->url()}, {"kubeconfig", http->kubeconfigPath()}, {"caFile", http->caFile()}};
  std::cout << ready.dump() << std::endl;

  timespec second{1, 0};
  while (sigtimedwait(&signals, nullptr, &second) < 0) {
    malloc_trim(0);
  }
  http->stop();
  return 0;
}
