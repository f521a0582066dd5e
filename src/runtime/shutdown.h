// ShutdownSignals: SIGTERM and SIGINT become a stop request (a std::stop_source) that the
// manager, informers and workers watch. A second signal while stopping exits at once with status
// 1, as controller-runtime does. The handlers only write to a self-pipe; a thread of ours turns
// that into the stop request, so nothing runs in signal context. One instance at a time per
// process (signal dispositions are process-wide); the destructor restores the old handlers.
#pragma once

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>

#include "common/status.h"

namespace dbtoken::runtime {

class ShutdownSignals {
 public:
  // Installs the handlers. FailedPrecondition when another instance is active.
  static common::Result<std::unique_ptr<ShutdownSignals>> install();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  bool stopRequested() const { return source_.stop_requested(); }
  // A stop request without a signal (e.g. leadership lost).
  void requestStop() { source_.request_stop(); }
  // The signal that asked to stop, 0 when none did.
  int signal() const { return signal_.load(); }

 private:
  ShutdownSignals() = default;
  void watch();

  std::stop_source source_;
  std::atomic<int> signal_{0};
  int pipe_[2] = {-1, -1};
  std::thread watcher_;
};

}  // namespace dbtoken::runtime
