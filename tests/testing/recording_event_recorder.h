// RecordingEventRecorder: an EventRecorder that keeps every event in memory, in order, so tests
// can assert which events a reconcile emitted and that none carries a secret. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "kube/object.h"
#include "runtime/event_recorder.h"

namespace dbtoken::testing {

class RecordingEventRecorder final : public runtime::EventRecorder {
 public:
  struct Recorded {
    std::string object;  // namespace/name
    runtime::EventType type;
    std::string reason;
    std::string message;
  };

  void event(const nlohmann::json& object, runtime::EventType type, const std::string& reason,
             const std::string& message) override {
    std::lock_guard lk(mu_);
    events_.push_back({kube::keyOf(object).toString(), type, reason, message});
  }

  std::vector<Recorded> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  std::vector<std::string> reasons() const {
    std::lock_guard lk(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      out.push_back(e.reason);
    }
    return out;
  }
  void clear() {
    std::lock_guard lk(mu_);
    events_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Recorded> events_;
};

}  // namespace dbtoken::testing
