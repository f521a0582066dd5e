#include "management/in_process_transport.h"

#include "management/management_api.h"

namespace dbtoken::doubles::management {

using common::Code;
using common::Result;
using common::Status;

InProcessTransport::InProcessTransport(http::Handler handler, std::string baseUrl)
    : handler_(std::move(handler)), baseUrl_(std::move(baseUrl)) {}

void InProcessTransport::failNext(Status status, int times, bool reachServer) {
  std::lock_guard lk(mu_);
  for (int i = 0; i < times; ++i) {
    failures_.push_back({status, reachServer});
  }
}

std::vector<http::ClientRequest> InProcessTransport::requests() const {
  std::lock_guard lk(mu_);
  return requests_;
}

Result<http::ClientResponse> InProcessTransport::send(const http::ClientRequest& request) {
  std::optional<Failure> failure;
  {
    std::lock_guard lk(mu_);
    requests_.push_back(request);
    if (!failures_.empty()) {
      failure = failures_.front();
      failures_.pop_front();
    }
  }
  std::string what = request.method + " " + request.target;
  if (failure && !failure->reachServer) {
    return failure->status;
  }
  http::ServerRequest r;
  r.method = request.method;
  r.target = request.target;
  size_t q = request.target.find('?');
  r.path = request.target.substr(0, q);
  r.rawQuery = q == std::string::npos ? "" : request.target.substr(q + 1);
  r.headers = request.headers;
  r.body = request.body.value_or("");
  http::ServerResponse answer = handler_(r);
  if (failure) {
    return failure->status;
  }
  if (auto fault = answer.headers.get(kConnectionFaultHeader)) {
    return Status(Code::kOutcomeUnknown,
                  what + ": connection lost before the answer arrived (" + *fault + ")");
  }
  if (answer.stream) {
    return Status(Code::kInternal, what + ": streamed answers are not supported in process");
  }
  http::ClientResponse out;
  out.status = answer.status;
  out.headers = answer.headers;
  out.body = std::move(answer.body);
  return out;
}

Result<std::unique_ptr<http::ResponseStream>> InProcessTransport::openStream(
    const http::ClientRequest& request) {
  return Status(Code::kInternal,
                request.method + " " + request.target + ": streams are not supported in process");
}

}  // namespace dbtoken::doubles::management
