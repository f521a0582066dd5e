// informer_bench: how the informer does with many objects, against a kube-apiserver-double
// process (so the double's memory is not counted here). Two modes:
//   informer_bench populate --kubeconfig F --count N   creates the CRD and N DatabaseTokens
//   informer_bench measure  --kubeconfig F --writes W  start -> synced time, RSS after sync,
//                                                       write -> handler latency p50/p99
// Prints one JSON line per mode. Driven by run_informer_bench.sh; not a test.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"
#include "kube/kubeconfig.h"
#include "kube/object.h"
#include "kube/rest_client.h"
#include "runtime/informer.h"

using namespace dbtoken;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const kube::Resource kTokens{"tokens.influxdb.dev", "v1alpha1", "databasetokens", "DatabaseToken",
                             true};
const kube::Resource kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                           "CustomResourceDefinition", false};

long rssKb(const char* field = "VmRSS:") {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::stol(line.substr(std::strlen(field)));
    }
  }
  return -1;
}

std::unique_ptr<kube::RestKubeApi> client(const std::string& kubeconfig, double qps) {
  auto config = kube::loadKubeconfig({kubeconfig, {}, ""});
  if (!config.ok()) {
    std::cerr << config.status().toString() << "\n";
    std::exit(1);
  }
  kube::RestOptions o;
  o.qps = qps;
  auto api = kube::RestKubeApi::make(*config, o);
  if (!api.ok()) {
    std::cerr << api.status().toString() << "\n";
    std::exit(1);
  }
  return std::move(api).value();
}

json token(const std::string& name) {
  return {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
          {"kind", "DatabaseToken"},
          {"metadata", {{"name", name}, {"namespace", "bench"}, {"labels", {{"app", "bench"}}}}},
          {"spec",
           {{"description", "benchmark token " + name},
            {"permissions",
             {{{"action", "write"}, {"database", "sensors"}},
              {{"action", "read"}, {"database", "metrics"}}}},
            {"secretName", name}}}};
}

int populate(const std::string& kubeconfig, int count, const std::string& crdFile) {
  auto api = client(kubeconfig, 0);
  std::ifstream in(crdFile);
  json transcript = json::parse(in);
  json crd;
  for (const auto& step : transcript["steps"]) {
    if (step["request"]["method"] == "POST") {
      crd = step["request"]["body"];
      break;
    }
  }
  auto created = api->create(kCrds, "", crd, {});
  if (!created.ok() && created.status().code() != common::Code::kAlreadyExists) {
    std::cerr << created.status().toString() << "\n";
    return 1;
  }
  (void)api->create(
      kube::resources::namespaces(), "",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "bench"}}}}, {});
  // The new resource answers 404, then 429, before it serves.
  for (int i = 0; i < 100; ++i) {
    if (api->list(kTokens, "bench", {}).ok()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto started = Clock::now();
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      auto mine = client(kubeconfig, 0);
      for (int i = next++; i < count; i = next++) {
        if (!mine->create(kTokens, "bench", token("t-" + std::to_string(i)), {}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : workers) {
    t.join();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << json{{"mode", "populate"},
                    {"objects", count},
                    {"failures", failures.load()},
                    {"seconds", seconds}}
                   .dump()
            << std::endl;
  return failures.load() == 0 ? 0 : 1;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int measure(const std::string& kubeconfig, int writes, bool stripManagedFields) {
  long baseline = rssKb();
  auto api = client(kubeconfig, 20);  // the operator's defaults: QPS 20, burst 30
  runtime::InformerOptions o;
  o.resource = kTokens;
  o.ns = "bench";
  if (stripManagedFields) {
    o.transform = runtime::stripManagedFields;
  }
  runtime::Informer informer(*api, o);

  std::mutex mu;
  std::condition_variable cv;
  std::string waitingFor;  // "name=value" the next write sets
  Clock::time_point seenAt;
  bool seen = false;
  informer.addHandlers({nullptr,
                        [&](const runtime::ObjectPtr&, const runtime::ObjectPtr& now) {
                          auto at = Clock::now();
                          const json& spec = (*now)["spec"];
                          std::string key =
                              kube::nameOf(*now) + "=" + spec.value("description", "");
                          std::lock_guard lk(mu);
                          if (key == waitingFor) {
                            seenAt = at;
                            seen = true;
                            cv.notify_all();
                          }
                        },
                        nullptr});

  auto started = Clock::now();
  informer.start();
  if (!informer.waitForSync(std::chrono::minutes(5))) {
    std::cerr << "the informer did not sync\n";
    return 1;
  }
  double syncSeconds = std::chrono::duration<double>(Clock::now() - started).count();
  size_t objects = informer.store().size();
  long rssAfterSync = rssKb();

  auto writer = client(kubeconfig, 0);
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(writes));
  for (int i = 0; i < writes; ++i) {
    std::string name = "t-" + std::to_string((i * 7919) % static_cast<int>(objects));
    std::string description = "write " + std::to_string(i) + " by " + std::to_string(::getpid());
    {
      std::lock_guard lk(mu);
      waitingFor = name + "=" + description;
      seen = false;
    }
    kube::PatchOptions merge;
    auto sent = Clock::now();
    auto patched =
        writer->patch(kTokens, "bench", name, {{"spec", {{"description", description}}}}, merge);
    if (!patched.ok()) {
      std::cerr << patched.status().toString() << "\n";
      return 1;
    }
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, std::chrono::seconds(10), [&] { return seen; })) {
      std::cerr << "write " << i << " never reached the handler\n";
      return 1;
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(seenAt - sent).count());
  }
  informer.stop();
  std::cout << json{{"mode", "measure"},
                    {"objects", objects},
                    {"stripManagedFields", stripManagedFields},
                    {"syncSeconds", syncSeconds},
                    {"rssBaselineKb", baseline},
                    {"rssAfterSyncKb", rssAfterSync},
                    {"rssPeakKb", rssKb("VmHWM:")},
                    {"writes", writes},
                    {"latencyMsP50", percentile(latencies, 0.50)},
                    {"latencyMsP99", percentile(latencies, 0.99)},
                    {"latencyMsMax", percentile(latencies, 1.0)}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: informer_bench populate|measure --kubeconfig F [--count N] "
                 "[--writes W] [--crd-transcript F] [--strip-managed-fields]\n";
    return 2;
  }
  std::string mode = argv[1];
  std::string kubeconfig;
  std::string crd;
  int count = 10000;
  int writes = 1000;
  bool strip = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--kubeconfig" && i + 1 < argc) {
      kubeconfig = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::stoi(argv[++i]);
    } else if (a == "--writes" && i + 1 < argc) {
      writes = std::stoi(argv[++i]);
    } else if (a == "--crd-transcript" && i + 1 < argc) {
      crd = argv[++i];
    } else if (a == "--strip-managed-fields") {
      strip = true;
    } else {
      std::cerr << "informer_bench: unknown argument " << a << "\n";
      return 2;
    }
  }
  http::initializeThreadPool(8);
  if (mode == "populate") {
    return populate(kubeconfig, count, crd);
  }
  if (mode == "measure") {
    return measure(kubeconfig, writes, strip);
  }
  std::cerr << "informer_bench: unknown mode " << mode << "\n";
  return 2;
}
