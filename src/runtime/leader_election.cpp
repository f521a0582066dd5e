#include "runtime/leader_election.h"

#include <unistd.h>

#include <cmath>
#include <condition_variable>

#include "common/time_format.h"
#include "kube/object.h"

namespace dbtoken::runtime {
namespace {

using common::Code;
using nlohmann::json;

// client-go waits retryPeriod * [1, 1 + 1.2) between acquire attempts.
constexpr double kJitterFactor = 1.2;

long long leaseSeconds(std::chrono::milliseconds d) {
  return std::max<long long>(1, static_cast<long long>(std::ceil(d.count() / 1000.0)));
}

std::string holderOf(const json& spec) {
  return kube::stringField(spec, "holderIdentity");
}

long long transitionsOf(const json& spec) {
  if (!spec.is_object()) {
    return 0;
  }
  auto t = spec.find("leaseTransitions");
  return t != spec.end() && t->is_number_integer() ? t->get<long long>() : 0;
}

}  // namespace

std::string defaultIdentity(const std::string& name) {
  char host[256] = {0};
  if (!name.empty()) {
    name.copy(host, sizeof host - 1);
  } else if (::gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string id = std::string(host[0] != '\0' ? host : "operator") + "_";
  for (int i = 0; i < 16; ++i) {
    id += "0123456789abcdef"[hex(rd)];
  }
  return id;
}

LeaderElector::LeaderElector(kube::KubeApi& api, LeaderElectionOptions options)
    : api_(api),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : realClock_),
      log_(options_.logger.named("leader-election")
               .with({{"lease", options_.leaseNamespace + "/" + options_.leaseName},
                      {"identity", options_.identity}})),
      rng_(std::random_device{}()) {
  if (options_.metrics != nullptr) {
    masterStatus_ = &options_.metrics
                         ->gauge("leader_election_master_status",
                                 "Gauge of if the reporting system is master of the relevant "
                                 "lease, 0 indicates backup, 1 indicates master.",
                                 {"name"})
                         .with({options_.leaseName});
    masterStatus_->set(0);
  }
}

LeaderElector::~LeaderElector() = default;

std::string LeaderElector::observedHolder() const {
  std::lock_guard lk(mu_);
  return holderOf(observedSpec_);
}

void LeaderElector::setLeading(bool leading) {
  leading_ = leading;
  if (masterStatus_ != nullptr) {
    masterStatus_->set(leading ? 1 : 0);
  }
}

void LeaderElector::observe(const json& spec) {
  std::lock_guard lk(mu_);
  if (spec != observedSpec_) {
    observedSpec_ = spec;
    observedTime_ = clock_.now();
  }
}

json LeaderElector::leaseSpec(const json* old) const {
  std::string now = common::formatRfc3339Micro(clock_.wallNow());
  json spec = {{"holderIdentity", options_.identity},
               {"leaseDurationSeconds", leaseSeconds(options_.leaseDuration)},
               {"renewTime", now},
               {"acquireTime", now},
               {"leaseTransitions", 0}};
  if (old != nullptr) {
    long long transitions = transitionsOf(*old);
    if (holderOf(*old) == options_.identity) {
      spec["leaseTransitions"] = transitions;
      if (std::string acquired = kube::stringField(*old, "acquireTime"); !acquired.empty()) {
        spec["acquireTime"] = acquired;
      }
    } else {
      spec["leaseTransitions"] = transitions + 1;
    }
  }
  return spec;
}

bool LeaderElector::tryAcquireOrRenew() {
  const kube::Resource leases = kube::resources::leases();
  auto current = api_.get(leases, options_.leaseNamespace, options_.leaseName);
  if (!current.ok() && current.status().code() != Code::kNotFound) {
    log_.warn("cannot read the lease", {{"error", current.status().toString()}});
    return false;
  }
  if (!current.ok()) {
    json lease = {
        {"apiVersion", leases.apiVersion()},
        {"kind", leases.kind},
        {"metadata", {{"name", options_.leaseName}, {"namespace", options_.leaseNamespace}}},
        {"spec", leaseSpec(nullptr)}};
    auto created = api_.create(leases, options_.leaseNamespace, lease, {});
    if (!created.ok()) {
      log_.info("could not create the lease", {{"error", created.status().toString()}});
      return false;
    }
    observe(lease["spec"]);
    return true;
  }
  json spec = current->contains("spec") && (*current)["spec"].is_object() ? (*current)["spec"]
                                                                          : json::object();
  observe(spec);
  std::string holder = holderOf(spec);
  {
    std::lock_guard lk(mu_);
    if (!holder.empty() && holder != options_.identity &&
        clock_.now() < observedTime_ + options_.leaseDuration) {
      return false;  // held by someone else who renewed it recently enough
    }
  }
  json updated = *current;
  updated["spec"] = leaseSpec(&spec);
  auto written = api_.update(leases, options_.leaseNamespace, updated, {});
  if (!written.ok()) {
    // Conflict: someone else wrote the lease first; they win this round.
    log_.info("could not write the lease", {{"error", written.status().toString()}});
    return false;
  }
  observe(updated["spec"]);
  return true;
}

bool LeaderElector::release() {
  if (!leading_) {
    return true;
  }
  const kube::Resource leases = kube::resources::leases();
  auto current = api_.get(leases, options_.leaseNamespace, options_.leaseName);
  if (!current.ok()) {
    log_.warn("cannot read the lease to release it", {{"error", current.status().toString()}});
    return false;
  }
  json spec = current->contains("spec") ? (*current)["spec"] : json::object();
  if (holderOf(spec) != options_.identity) {
    setLeading(false);
    return true;
  }
  std::string now = common::formatRfc3339Micro(clock_.wallNow());
  json updated = *current;
  updated["spec"] = {{"holderIdentity", ""},
                     {"leaseDurationSeconds", 1},
                     {"renewTime", now},
                     {"acquireTime", now},
                     {"leaseTransitions", transitionsOf(spec)}};
  auto written = api_.update(leases, options_.leaseNamespace, updated, {});
  if (!written.ok()) {
    log_.warn("cannot release the lease", {{"error", written.status().toString()}});
    return false;
  }
  setLeading(false);
  log_.info("released the lease");
  return true;
}

bool LeaderElector::waitFor(std::stop_token& stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable cv;
  // Declared before lk: destroyed after it, so a callback blocked on m can finish first.
  std::stop_callback wake(stop, [&] {
    std::lock_guard g(m);
    cv.notify_all();
  });
  std::unique_lock lk(m);
  // On the injected clock, so a FakeClock's advance() ends the wait.
  return clock_.waitUntil(cv, lk, clock_.now() + d, [&] { return stop.stop_requested(); });
}

LeaderElector::Outcome LeaderElector::run(std::stop_token stop, Callbacks callbacks) {
  auto reportHolder = [&] {
    std::string holder = observedHolder();
    if (holder != lastReportedHolder_) {
      lastReportedHolder_ = holder;
      if (!holder.empty()) {
        log_.info("new leader observed", {{"holder", holder}});
      }
      if (callbacks.onNewLeader) {
        callbacks.onNewLeader(holder);
      }
    }
  };
  std::uniform_real_distribution<double> jitter(0.0, kJitterFactor);
  log_.info("attempting to acquire the lease");
  while (!stop.stop_requested()) {
    if (tryAcquireOrRenew()) {
      break;
    }
    reportHolder();
    auto wait = std::chrono::milliseconds(static_cast<long long>(
        static_cast<double>(options_.retryPeriod.count()) * (1.0 + jitter(rng_))));
    waitFor(stop, wait);
  }
  if (stop.stop_requested()) {
    return Outcome::kStopped;
  }
  setLeading(true);
  reportHolder();
  log_.info("acquired the lease");
  if (callbacks.onStartedLeading) {
    callbacks.onStartedLeading();
  }
  auto lastRenew = clock_.now();
  Outcome outcome = Outcome::kStopped;
  while (!waitFor(stop, options_.retryPeriod)) {
    if (tryAcquireOrRenew()) {
      lastRenew = clock_.now();
      continue;
    }
    if (clock_.now() - lastRenew >= options_.renewDeadline) {
      log_.error("could not renew the lease within the renew deadline: leadership lost");
      outcome = Outcome::kLost;
      break;
    }
  }
  if (outcome == Outcome::kStopped && options_.releaseOnCancel) {
    release();
  }
  setLeading(false);
  if (callbacks.onStoppedLeading) {
    callbacks.onStoppedLeading();
  }
  return outcome;
}

}  // namespace dbtoken::runtime
