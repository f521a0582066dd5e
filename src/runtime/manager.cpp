#include "runtime/manager.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dbtoken::runtime {

Manager::Manager(ManagerOptions options, kube::KubeApi* leaseApi)
    : options_(std::move(options)), log_(options_.logger.named("manager")) {
  if (options_.leaderElection && leaseApi != nullptr) {
    elector_ = std::make_unique<LeaderElector>(*leaseApi, *options_.leaderElection);
  }
}

void Manager::add(Informer& informer) {
  informers_.push_back(&informer);
}

void Manager::add(Controller& controller) {
  controllers_.push_back(&controller);
}

bool Manager::informersSynced() const {
  for (const Informer* i : informers_) {
    if (!i->hasSynced()) {
      return false;
    }
  }
  return true;
}

bool Manager::isLeader() const {
  return !elector_ || elector_->isLeader();
}

int Manager::run(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  bool leading = !elector_;
  bool lost = false;

  for (Informer* i : informers_) {
    i->start();
  }

  std::stop_source electorStop;
  std::thread electorThread;
  if (elector_) {
    electorThread = std::thread([&] {
      LeaderElector::Callbacks callbacks;
      callbacks.onStartedLeading = [&] {
        std::lock_guard lk(mu);
        leading = true;
        cv.notify_all();
      };
      auto outcome = elector_->run(electorStop.get_token(), callbacks);
      std::lock_guard lk(mu);
      if (outcome == LeaderElector::Outcome::kLost) {
        lost = true;
      }
      cv.notify_all();
    });
  }

  {
    std::unique_lock lk(mu);
    cv.wait(lk, stop, [&] { return leading || lost; });
  }
  bool started = false;
  if (!stop.stop_requested() && leading && !lost) {
    log_.info("waiting for caches to sync");
    // Informers have no common condition variable: look every 50 ms.
    std::unique_lock lk(mu);
    while (!informersSynced() && !lost &&
           !cv.wait_for(lk, stop, std::chrono::milliseconds(50), [&] { return lost; })) {
    }
    if (informersSynced() && !lost && !stop.stop_requested()) {
      lk.unlock();
      log_.info("caches synced; starting controllers");
      for (Controller* c : controllers_) {
        c->start();
      }
      started = true;
    }
  }
  if (started) {
    std::unique_lock lk(mu);
    cv.wait(lk, stop, [&] { return lost; });
  }

  bool wasLost = false;
  {
    std::lock_guard lk(mu);
    wasLost = lost;
  }
  log_.info(wasLost ? "leadership lost; stopping" : "stopping");
  auto deadline = std::chrono::steady_clock::now() + options_.shutdownGrace;
  for (Controller* c : controllers_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    c->shutdown(wasLost ? std::chrono::milliseconds(0)
                        : std::max(left, std::chrono::milliseconds(0)));
  }
  electorStop.request_stop();  // releases the lease when we hold it
  if (electorThread.joinable()) {
    electorThread.join();
  }
  for (Informer* i : informers_) {
    i->stop();
  }
  return wasLost ? 1 : 0;
}

}  // namespace dbtoken::runtime
