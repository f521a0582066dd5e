#include "runtime/shutdown.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dbtoken::runtime {
namespace {

// What a signal handler may touch: lock-free atomics only. This is the one piece of global state
// in the runtime, and it cannot be avoided: a handler receives no context.
std::atomic<int> gWriteFd{-1};
std::atomic<int> gSignals{0};
struct sigaction gOldTerm;
struct sigaction gOldInt;

void onSignal(int sig) {
  if (gSignals.fetch_add(1) >= 1) {
    _exit(1);  // second signal: stop waiting for a graceful shutdown
  }
  int fd = gWriteFd.load();
  if (fd >= 0) {
    unsigned char b = static_cast<unsigned char>(sig);
    ssize_t ignored = ::write(fd, &b, 1);
    (void)ignored;
  }
}

}  // namespace

common::Result<std::unique_ptr<ShutdownSignals>> ShutdownSignals::install() {
  std::unique_ptr<ShutdownSignals> s(new ShutdownSignals());
  if (::pipe2(s->pipe_, O_CLOEXEC) != 0) {
    return common::Status(common::Code::kFailedPrecondition,
                          std::string("cannot create the signal pipe: ") + std::strerror(errno));
  }
  int expected = -1;
  if (!gWriteFd.compare_exchange_strong(expected, s->pipe_[1])) {
    ::close(s->pipe_[0]);
    ::close(s->pipe_[1]);
    s->pipe_[0] = s->pipe_[1] = -1;
    return common::Status(common::Code::kFailedPrecondition,
                          "signal handlers are already installed by another ShutdownSignals");
  }
  gSignals = 0;
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, &gOldTerm);
  sigaction(SIGINT, &sa, &gOldInt);
  ShutdownSignals* self = s.get();
  s->watcher_ = std::thread([self] { self->watch(); });
  return s;
}

void ShutdownSignals::watch() {
  for (;;) {
    unsigned char b = 0;
    ssize_t n = ::read(pipe_[0], &b, 1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || b == 0) {
      return;  // the pipe was closed or the destructor woke us
    }
    signal_ = b;
    source_.request_stop();
  }
}

ShutdownSignals::~ShutdownSignals() {
  if (pipe_[1] < 0) {
    return;
  }
  sigaction(SIGTERM, &gOldTerm, nullptr);
  sigaction(SIGINT, &gOldInt, nullptr);
  gWriteFd = -1;
  unsigned char zero = 0;
  ssize_t ignored = ::write(pipe_[1], &zero, 1);
  (void)ignored;
  if (watcher_.joinable()) {
    watcher_.join();
  }
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

}  // namespace dbtoken::runtime
