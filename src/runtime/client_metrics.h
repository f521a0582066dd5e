// The Kubernetes client's metrics under client-go's names, fed by RestKubeApi's per-request
// observer: rest_client_requests_total{code,method}, rest_client_request_duration_seconds{verb}
// and rest_client_rate_limiter_duration_seconds{verb}. Owns only the mapping to the registry.
#pragma once

#include <functional>

#include "kube/rest_client.h"
#include "runtime/metrics.h"

namespace dbtoken::runtime {

// An observer for RestOptions::observer that records every request in the registry, which must
// outlive the client.
std::function<void(const kube::RequestRecord&)> restClientMetrics(Registry& registry);

}  // namespace dbtoken::runtime
