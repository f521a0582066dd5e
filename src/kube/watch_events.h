// Watch events: one line of a watch response ({"type": ..., "object": {...}}) decoded into a
// typed WatchEvent. A line that is not JSON, lacks an object, or names an unknown type is an
// Internal error that says what was wrong without echoing the line (it may hold Secret data).
// Owns the decoding only; reading the stream is the client's job (api_client.h).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

const char* watchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;  // the object; for kError, a metav1.Status
};

common::Result<WatchEvent> parseWatchEvent(std::string_view line);

}  // namespace dbtoken::kube
