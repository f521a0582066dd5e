#include "runtime/client_metrics.h"

#include <string>

namespace dbtoken::runtime {

std::function<void(const kube::RequestRecord&)> restClientMetrics(Registry& registry) {
  auto& requests = registry.counter(
      "rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code and method (code \"<error>\" when no "
      "answer came).",
      {"code", "method"});
  auto& latency = registry.histogram("rest_client_request_duration_seconds",
                                     "Request latency in seconds, broken down by verb.", {"verb"},
                                     exponentialBuckets(0.001, 2, 15));
  auto& limiter = registry.histogram("rest_client_rate_limiter_duration_seconds",
                                     "Client side rate limiter latency in seconds, broken down "
                                     "by verb.",
                                     {"verb"}, exponentialBuckets(0.001, 2, 15));
  return [&requests, &latency, &limiter](const kube::RequestRecord& r) {
    std::string code = r.httpStatus == 0 ? "<error>" : std::to_string(r.httpStatus);
    requests.with({code, r.method}).inc();
    latency.with({r.verb}).observe(std::chrono::duration<double>(r.latency).count());
    limiter.with({r.verb}).observe(std::chrono::duration<double>(r.rateLimitWait).count());
  };
}

}  // namespace dbtoken::runtime
