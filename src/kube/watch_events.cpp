#include "kube/watch_events.h"

#include <string>

namespace dbtoken::kube {

using common::Code;
using common::Status;

const char* watchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

common::Result<WatchEvent> parseWatchEvent(std::string_view line) {
  const std::string size = std::to_string(line.size()) + " bytes";
  auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status(Code::kInternal, "malformed watch event: not JSON (" + size + ")");
  }
  if (!parsed.is_object()) {
    return Status(Code::kInternal, "malformed watch event: not a JSON object (" + size + ")");
  }
  auto type = parsed.find("type");
  if (type == parsed.end() || !type->is_string()) {
    return Status(Code::kInternal, "malformed watch event: no type (" + size + ")");
  }
  auto object = parsed.find("object");
  if (object == parsed.end() || !object->is_object()) {
    return Status(Code::kInternal, "malformed watch event: no object (" + size + ")");
  }
  WatchEvent event;
  const auto& name = type->get_ref<const std::string&>();
  if (name == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (name == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (name == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (name == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (name == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    std::string shown = name.size() > 20 ? name.substr(0, 20) + "..." : name;
    for (auto& c : shown) {
      auto u = static_cast<unsigned char>(c);
      c = (u < 0x20 || u >= 0x7f) ? '?' : c;
    }
    return Status(Code::kInternal, "unknown watch event type \"" + shown + "\"");
  }
  event.object = std::move(*object);
  return event;
}

}  // namespace dbtoken::kube
