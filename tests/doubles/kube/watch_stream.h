// A watch answer in flight: the double pushes event lines into it; a consumer either attaches a
// sink (the HTTP face writes chunks) or pulls lines (in-process callers). Either side may close
// it; a closed stream drops further lines. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace dbtoken::kubedouble {

class WatchStream {
 public:
  using LineSink = std::function<bool(std::string_view line)>;  // false: the client is gone

  // Producer side.
  bool push(std::string line);  // a line without '\n'; false once closed
  void close();

  // Consumer side. Queued lines are handed to the sink first; onClose runs once at the end.
  void attach(LineSink sink, std::function<void()> onClose);
  // Pull model: the next line, or nullopt when closed (and drained) or the wait timed out.
  std::optional<std::string> next(std::chrono::milliseconds wait);
  void cancel() { close(); }
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::mutex deliverMu_;  // serialises sink calls (taken before mu_, never inside it)
  std::condition_variable cv_;
  std::deque<std::string> queued_;
  LineSink sink_;
  std::function<void()> onClose_;
  bool closed_ = false;
};

}  // namespace dbtoken::kubedouble
