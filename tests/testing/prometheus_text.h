// A validator of the Prometheus text exposition format 0.0.4, written from the format's
// specification: comment and sample grammar, label escapes, one TYPE per family given before its
// samples, samples of a family kept together, histogram buckets cumulative with le ascending and
// the +Inf bucket equal to _count. Used on the registry's output and on a live /metrics.
#pragma once

#include <string>
#include <vector>

namespace dbtoken::testing {

// Every problem found, one sentence each; empty when the text is valid.
std::vector<std::string> validateExposition(const std::string& text);

}  // namespace dbtoken::testing
