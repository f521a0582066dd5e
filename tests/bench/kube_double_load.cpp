// Loads the Kubernetes API double for benchmarks: installs the DatabaseToken CRD, creates a
// namespace and N DatabaseTokens with a few client threads, and prints how long it took.
// Usage: kube-double-load URL TOKEN CA_FILE COUNT [THREADS] [CRD_JSON]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"
#include "http/transport.h"

using namespace dbtoken;
using nlohmann::json;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: kube-double-load URL TOKEN CA_FILE COUNT [THREADS] [CRD_JSON]\n";
    return 2;
  }
  std::string url = argv[1];
  std::string token = argv[2];
  std::string ca = argv[3];
  int count = std::stoi(argv[4]);
  int threads = argc > 5 ? std::stoi(argv[5]) : 4;
  http::initializeThreadPool(threads + 4);
  auto client = [&] {
    http::TransportOptions o;
    o.baseUrl = url;
    if (!ca.empty() && ca != "-") {
      o.tls.caFile = ca;
    }
    o.bearerToken = [token]() -> common::Result<common::Secret> { return common::Secret(token); };
    return std::move(http::makeTransport(o)).value();
  };
  auto post = [](http::Transport& t, const std::string& target, const json& body) {
    http::ClientRequest r;
    r.method = "POST";
    r.target = target;
    r.headers.add("Content-Type", "application/json");
    r.body = body.dump();
    auto resp = t.send(r);
    return resp.ok() ? resp->status : 0;
  };
  auto setup = client();
  if (argc > 6) {
    std::ifstream in(argv[6]);
    json crd = json::parse(in);
    post(*setup, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    for (int i = 0; i < 200; ++i) {
      http::ClientRequest r;
      r.target = "/apis/tokens.influxdb.dev/v1alpha1/databasetokens?limit=1";
      auto resp = setup->send(r);
      if (resp.ok() && resp->status == 200) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  post(*setup, "/api/v1/namespaces",
       {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "bench"}}}});
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&] {
      auto t = client();
      int i;
      while ((i = next.fetch_add(1)) < count) {
        char name[32];
        std::snprintf(name, sizeof name, "tok-%05d", i);
        json obj = {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                    {"kind", "DatabaseToken"},
                    {"metadata", {{"name", name}, {"labels", {{"bench", "yes"}}}}},
                    {"spec",
                     {{"description", std::string("benchmark token ") + name},
                      {"permissions", {{{"action", "write"}, {"database", "sensors"}}}}}}};
        if (post(*t, "/apis/tokens.influxdb.dev/v1alpha1/namespaces/bench/databasetokens", obj) !=
            201) {
          ++failed;
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("created %d objects in %.2f s (%.0f creates/s, %d failed)\n", count, secs,
              count / secs, failed.load());
  return failed.load() == 0 ? 0 : 1;
}
