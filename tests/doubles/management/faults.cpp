#include "management/faults.h"

namespace dbtoken::doubles::management {
namespace {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {{FaultKind::kDelay, "delay"},
                               {FaultKind::kStatus, "status"},
                               {FaultKind::kStatusAfterWork, "statusAfterWork"},
                               {FaultKind::kBody, "body"},
                               {FaultKind::kDropBeforeWork, "dropBeforeWork"},
                               {FaultKind::kDropAfterWork, "dropAfterWork"},
                               {FaultKind::kTruncateAfterWork, "truncateAfterWork"},
                               {FaultKind::kEcho, "echo"}};

Status invalid(const std::string& message) {
  return Status(Code::kInvalidArgument, message);
}

}  // namespace

const char* faultKindName(FaultKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) {
      return k.name;
    }
  }
  return "?";
}

Result<Fault> faultFromJson(const json& j) {
  if (!j.is_object()) {
    return invalid("a fault must be a JSON object");
  }
  Fault f;
  try {
    if (j.contains("method")) {
      f.method = j.at("method").get<std::string>();
    }
    if (j.contains("path")) {
      f.pathRegex = j.at("path").get<std::string>();
    }
    if (j.contains("times")) {
      f.times = j.at("times").get<int>();
    }
    if (j.contains("kind")) {
      auto name = j.at("kind").get<std::string>();
      bool found = false;
      for (const auto& k : kKinds) {
        if (name == k.name) {
          f.kind = k.kind;
          found = true;
        }
      }
      if (!found) {
        return invalid("unknown fault kind \"" + name + "\"");
      }
    }
    if (j.contains("status")) {
      f.status = j.at("status").get<int>();
    }
    if (j.contains("retryAfter")) {
      f.retryAfterSeconds = j.at("retryAfter").get<int>();
    }
    if (j.contains("body")) {
      f.body = j.at("body").get<std::string>();
    }
    if (j.contains("contentType")) {
      f.contentType = j.at("contentType").get<std::string>();
    }
    if (j.contains("latencyMs")) {
      f.latency = std::chrono::milliseconds(j.at("latencyMs").get<long long>());
    }
  } catch (const json::exception& e) {
    return invalid(std::string("fault field has the wrong type: ") + e.what());
  }
  if (f.times < 1) {
    return invalid("times must be at least 1");
  }
  if (f.status < 100 || f.status > 599) {
    return invalid("status must be an HTTP status code");
  }
  return f;
}

Status FaultTable::add(Fault fault) {
  std::regex pattern;
  try {
    pattern = std::regex(fault.pathRegex, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return invalid("path is not a valid regular expression: " + fault.pathRegex);
  }
  std::lock_guard lk(mu_);
  rules_.push_back({std::move(fault), std::move(pattern)});
  return Status::ok();
}

void FaultTable::clear() {
  std::lock_guard lk(mu_);
  rules_.clear();
}

std::optional<Fault> FaultTable::take(const std::string& method, const std::string& path) {
  std::lock_guard lk(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((it->fault.method == "*" || it->fault.method == method) &&
        std::regex_match(path, it->pattern)) {
      Fault f = it->fault;
      if (--it->fault.times <= 0) {
        rules_.erase(it);
      }
      return f;
    }
  }
  return std::nullopt;
}

size_t FaultTable::size() const {
  std::lock_guard lk(mu_);
  return rules_.size();
}

}  // namespace dbtoken::doubles::management
