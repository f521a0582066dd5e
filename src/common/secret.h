// Secret: a string that cannot be printed by accident. Streaming it, formatting it into JSON or
// converting it to a log field yields "[REDACTED]"; only reveal() hands out the value, and the
// few call sites that need it (an Authorization header, a Secret's data) are easy to audit.
// Redactor: a set of secret values scrubbed from any text; every Logger line passes through one.
#pragma once

#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dbtoken::common {

inline constexpr std::string_view kRedacted = "[REDACTED]";

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kRedacted; }

 private:
  std::string value_;
};

void to_json(nlohmann::json& j, const Secret& s);

// Thread-safe set of secret values to scrub from text (defence in depth behind Secret).
class Redactor {
 public:
  // Values shorter than 6 characters are ignored: scrubbing them would mangle ordinary text.
  void add(std::string_view secret);
  void add(const Secret& secret) { add(secret.reveal()); }
  std::string scrub(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

}  // namespace dbtoken::common
