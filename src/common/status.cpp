#include "common/status.h"

namespace dbtoken::common {

const char* codeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kCancelled:
      return "Cancelled";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kConflict:
      return "Conflict";
    case Code::kGone:
      return "Gone";
    case Code::kPermissionDenied:
      return "PermissionDenied";
    case Code::kUnauthenticated:
      return "Unauthenticated";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kDeadlineExceeded:
      return "DeadlineExceeded";
    case Code::kOutcomeUnknown:
      return "OutcomeUnknown";
    case Code::kInternal:
      return "Internal";
  }
  return "Unknown";
}

RetryAdvice adviceFor(Code code) {
  switch (code) {
    case Code::kOk:
      return RetryAdvice::kNone;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kOutcomeUnknown:
    case Code::kInternal:
      return RetryAdvice::kBackoff;
    case Code::kConflict:
      return RetryAdvice::kReread;
    case Code::kGone:
      return RetryAdvice::kRelist;
    case Code::kCancelled:
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
    case Code::kFailedPrecondition:
      return RetryAdvice::kStop;
  }
  return RetryAdvice::kStop;
}

std::string Status::toString() const {
  if (isOk()) {
    return "OK";
  }
  std::string out = codeName(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::annotate(const std::string& context) const {
  if (isOk()) {
    return *this;
  }
  Status s(code_, context + ": " + message_);
  s.retryAfter_ = retryAfter_;
  return s;
}

}  // namespace dbtoken::common
