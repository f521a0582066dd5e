// RFC 3339 timestamps as Kubernetes writes them: "2026-11-29T23:00:00Z" (Time) and
// "2026-11-29T23:00:00.123456Z" (MicroTime), plus a strict parser for validation.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dbtoken::common {

using WallTime = std::chrono::system_clock::time_point;

// Seconds precision, UTC, "Z" suffix (metav1.Time).
std::string formatRfc3339(WallTime t);
// Exactly six fraction digits, UTC (metav1.MicroTime).
std::string formatRfc3339Micro(WallTime t);
// Milliseconds, for log lines.
std::string formatRfc3339Millis(WallTime t);

// Parses any RFC 3339 date-time (fraction and offset optional only as RFC 3339 allows).
std::optional<WallTime> parseRfc3339(std::string_view s);
// True when s has exactly six fraction digits and parses (what MicroTime accepts).
bool isRfc3339Micro(std::string_view s);

}  // namespace dbtoken::common
