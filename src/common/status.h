// Status and Result<T>: how errors cross module boundaries. A Status carries a code that tells
// the caller what to do next (retry with backoff, re-read, relist, or stop until something
// changes) and a message that never contains a secret. No exception crosses a module boundary.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dbtoken::common {

enum class Code {
  kOk,
  kCancelled,           // the caller asked to stop
  kInvalidArgument,     // 400/422: the request is wrong; retrying it unchanged cannot help
  kNotFound,            // 404
  kAlreadyExists,       // 409 on create
  kConflict,            // 409 on update: re-read and retry
  kGone,                // 410: the resource version is too old; relist
  kPermissionDenied,    // 403
  kUnauthenticated,     // 401
  kFailedPrecondition,  // the system is not in a state to do this (e.g. bad configuration)
  kUnavailable,         // 429, 5xx, connection errors: back off and retry
  kDeadlineExceeded,    // a timeout: back off and retry
  kOutcomeUnknown,      // a non-idempotent request may or may not have taken effect
  kInternal,            // a bug or a response we cannot make sense of
};

// What a caller should do about a failed operation.
enum class RetryAdvice {
  kNone,     // success, or nothing to do
  kBackoff,  // transient: retry later with backoff
  kReread,   // stale view: read the current state and try again
  kRelist,   // the watch/list position expired: start again from a full list
  kStop,     // will fail the same way until something outside changes
};

const char* codeName(Code code);
RetryAdvice adviceFor(Code code);

class Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  RetryAdvice advice() const { return adviceFor(code_); }
  bool retryable() const {
    auto a = advice();
    return a == RetryAdvice::kBackoff || a == RetryAdvice::kReread || a == RetryAdvice::kRelist;
  }

  // Server-requested delay before a retry (HTTP Retry-After), when there was one.
  const std::optional<std::chrono::milliseconds>& retryAfter() const { return retryAfter_; }
  Status& withRetryAfter(std::chrono::milliseconds d) {
    retryAfter_ = d;
    return *this;
  }

  // "Unavailable: connection refused" — for logs and conditions.
  std::string toString() const;

  // A new status with context prepended: "reading kubeconfig: <message>".
  Status annotate(const std::string& context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::optional<std::chrono::milliseconds> retryAfter_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).isOk() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }

  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T valueOr(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dbtoken::common
