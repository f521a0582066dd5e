#include "kube/watch_stream.h"

namespace dbtoken::kubedouble {

bool WatchStream::push(std::string line) {
  LineSink sink;
  {
    std::lock_guard lk(mu_);
    if (closed_) {
      return false;
    }
    if (!sink_) {
      queued_.push_back(std::move(line));
      cv_.notify_all();
      return true;
    }
    sink = sink_;
  }
  std::lock_guard deliver(deliverMu_);
  if (!sink(line)) {
    close();
    return false;
  }
  return true;
}

void WatchStream::close() {
  std::function<void()> onClose;
  {
    std::lock_guard lk(mu_);
    if (closed_) {
      return;
    }
    closed_ = true;
    onClose.swap(onClose_);
    sink_ = nullptr;  // drop what the sink holds (the HTTP writer) once nothing more is sent
    cv_.notify_all();
  }
  if (onClose) {
    onClose();
  }
}

void WatchStream::attach(LineSink sink, std::function<void()> onClose) {
  // Holding deliverMu_ while the backlog drains keeps a concurrent push behind it: in order.
  std::lock_guard deliver(deliverMu_);
  std::deque<std::string> backlog;
  bool alreadyClosed;
  {
    std::lock_guard lk(mu_);
    backlog.swap(queued_);
    alreadyClosed = closed_;
    if (!alreadyClosed) {
      sink_ = sink;
      onClose_ = std::move(onClose);
    }
  }
  for (auto& line : backlog) {
    if (!sink(line)) {
      close();
      return;
    }
  }
  if (alreadyClosed && onClose) {
    onClose();
  }
}

std::optional<std::string> WatchStream::next(std::chrono::milliseconds wait) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, wait, [this] { return !queued_.empty() || closed_; });
  if (queued_.empty()) {
    return std::nullopt;
  }
  std::string line = std::move(queued_.front());
  queued_.pop_front();
  return line;
}

bool WatchStream::closed() const {
  std::lock_guard lk(mu_);
  return closed_ && queued_.empty();
}

}  // namespace dbtoken::kubedouble
