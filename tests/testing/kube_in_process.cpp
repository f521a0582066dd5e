#include "testing/kube_in_process.h"

#include <atomic>
#include <sstream>

#include "http/url.h"
#include "kube/watch_stream.h"

namespace dbtoken::testing {
namespace {

using common::Code;
using common::Result;
using common::Status;

http::Headers headersOf(const kubedouble::ApiResponse& r) {
  http::Headers h;
  if (!r.contentType.empty()) {
    h.add("Content-Type", r.contentType);
  }
  for (const auto& [name, value] : r.headers) {
    h.add(name, value);
  }
  return h;
}

// A finished body served line by line.
class BodyStream final : public http::ResponseStream {
 public:
  BodyStream(int status, http::Headers headers, const std::string& body)
      : status_(status), headers_(std::move(headers)), body_(body) {}
  int status() const override { return status_; }
  const http::Headers& headers() const override { return headers_; }
  Result<std::optional<std::string>> readLine() override {
    std::string line;
    if (!std::getline(body_, line)) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(line);
  }
  void cancel() override {}

 private:
  int status_;
  http::Headers headers_;
  std::istringstream body_;
};

// A live watch of the double, pulled line by line.
class WatchLines final : public http::ResponseStream {
 public:
  WatchLines(int status, http::Headers headers, std::shared_ptr<kubedouble::WatchStream> watch)
      : status_(status), headers_(std::move(headers)), watch_(std::move(watch)) {}
  ~WatchLines() override { watch_->cancel(); }
  int status() const override { return status_; }
  const http::Headers& headers() const override { return headers_; }
  Result<std::optional<std::string>> readLine() override {
    for (;;) {
      if (cancelled_) {
        return Status(Code::kCancelled, "stream cancelled");
      }
      if (auto line = watch_->next(std::chrono::milliseconds(20))) {
        return std::optional<std::string>(std::move(*line));
      }
      if (watch_->closed()) {
        return cancelled_ ? Result<std::optional<std::string>>(
                                Status(Code::kCancelled, "stream cancelled"))
                          : Result<std::optional<std::string>>(std::optional<std::string>());
      }
    }
  }
  void cancel() override {
    cancelled_ = true;
    watch_->cancel();
  }

 private:
  int status_;
  http::Headers headers_;
  std::shared_ptr<kubedouble::WatchStream> watch_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

KubeInProcessTransport::KubeInProcessTransport(kubedouble::ApiServer& api, std::string baseUrl)
    : api_(api), baseUrl_(std::move(baseUrl)) {}

void KubeInProcessTransport::failNext(Status status, int times) {
  std::lock_guard lk(mu_);
  for (int i = 0; i < times; ++i) {
    failures_.push_back(status);
  }
}

std::vector<http::ClientRequest> KubeInProcessTransport::requests() const {
  std::lock_guard lk(mu_);
  return requests_;
}

std::optional<Status> KubeInProcessTransport::takeFailure(const http::ClientRequest& request) {
  std::lock_guard lk(mu_);
  requests_.push_back(request);
  if (failures_.empty()) {
    return std::nullopt;
  }
  Status s = failures_.front();
  failures_.pop_front();
  return s;
}

kubedouble::ApiRequest KubeInProcessTransport::toApiRequest(
    const http::ClientRequest& request) const {
  kubedouble::ApiRequest r;
  r.method = request.method;
  size_t q = request.target.find('?');
  r.path = http::percentDecode(request.target.substr(0, q));
  r.query = http::Query::parse(q == std::string::npos ? "" : request.target.substr(q + 1));
  if (auto ct = request.headers.get("Content-Type")) {
    r.contentType = *ct;
    r.hasContentType = true;
  }
  r.accept = request.headers.get("Accept").value_or("");
  r.userAgent = request.headers.get("User-Agent").value_or("");
  r.body = request.body.value_or("");
  return r;
}

Result<http::ClientResponse> KubeInProcessTransport::send(const http::ClientRequest& request) {
  if (auto failure = takeFailure(request)) {
    return *failure;
  }
  kubedouble::ApiResponse answer = api_.handle(toApiRequest(request));
  if (answer.watch) {
    answer.watch->cancel();
    return Status(Code::kInternal, "a watch answer to send(); use openStream()");
  }
  http::ClientResponse out;
  out.status = answer.status;
  out.headers = headersOf(answer);
  out.body = std::move(answer.body);
  return out;
}

Result<std::unique_ptr<http::ResponseStream>> KubeInProcessTransport::openStream(
    const http::ClientRequest& request) {
  if (auto failure = takeFailure(request)) {
    return *failure;
  }
  kubedouble::ApiResponse answer = api_.handle(toApiRequest(request));
  if (answer.watch) {
    return std::unique_ptr<http::ResponseStream>(
        std::make_unique<WatchLines>(answer.status, headersOf(answer), answer.watch));
  }
  return std::unique_ptr<http::ResponseStream>(
      std::make_unique<BodyStream>(answer.status, headersOf(answer), answer.body));
}

}  // namespace dbtoken::testing
