#include "common/secret.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace dbtoken::common {

void to_json(nlohmann::json& j, const Secret&) {
  j = std::string(kRedacted);
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < 6) {
    return;
  }
  std::lock_guard lk(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
    secrets_.emplace_back(secret);
    // Longest first, so a secret that contains another is replaced whole.
    std::sort(secrets_.begin(), secrets_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
}

std::string Redactor::scrub(std::string_view text) const {
  std::string out(text);
  std::lock_guard lk(mu_);
  for (const auto& s : secrets_) {
    size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

}  // namespace dbtoken::common
