#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "http/transport.h"
#include "runtime/probes.h"
#include "runtime/shutdown.h"

using namespace dbtoken;

TEST_CASE("Probes: /healthz, /readyz with a failing check, and /metrics") {
  runtime::Registry registry;
  registry.counter("demo_total", "Demo.").with({}).inc(2);
  auto probes = runtime::ProbeServer::start({}, &registry);
  REQUIRE(probes.ok());
  std::atomic<bool> synced{false};
  (*probes)->addReadinessCheck("informers-synced", [&] { return synced.load(); });
  http::TransportOptions t;
  t.baseUrl = (*probes)->url();
  auto client = http::makeTransport(t);
  REQUIRE(client.ok());
  auto get = [&](const std::string& path) {
    http::ClientRequest r;
    r.target = path;
    auto answer = (*client)->send(r);
    REQUIRE(answer.ok());
    return *answer;
  };
  CHECK(get("/healthz").status == 200);
  auto notReady = get("/readyz");
  CHECK(notReady.status == 503);
  CHECK(notReady.body == "[-]informers-synced failed\n");
  synced = true;
  CHECK(get("/readyz").status == 200);
  auto metrics = get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.headers.get("Content-Type") == std::string(runtime::Registry::kContentType));
  CHECK_THAT(metrics.body, Catch::Contains("demo_total 2\n"));
  CHECK(get("/nope").status == 404);
}

TEST_CASE("ShutdownSignals: SIGTERM becomes a stop request; only one instance at a time") {
  auto signals = runtime::ShutdownSignals::install();
  REQUIRE(signals.ok());
  CHECK_FALSE(runtime::ShutdownSignals::install().ok());
  auto token = (*signals)->token();
  CHECK_FALSE(token.stop_requested());
  std::mutex mu;
  std::condition_variable stopped;
  std::stop_callback onStop(token, [&] {
    std::lock_guard lk(mu);
    stopped.notify_all();
  });
  ::kill(::getpid(), SIGTERM);
  {
    // Woken by the stop request itself; the guard only turns a hang into a failure.
    std::unique_lock lk(mu);
    CHECK(stopped.wait_for(lk, std::chrono::seconds(10), [&] { return token.stop_requested(); }));
  }
  CHECK((*signals)->signal() == SIGTERM);
  signals = common::Status(common::Code::kCancelled, "released");  // restores the handlers
  auto again = runtime::ShutdownSignals::install();
  CHECK(again.ok());
}
