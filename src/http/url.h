// URL pieces: percent-encoding, query strings, and splitting "scheme://host:port/path".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbtoken::http {

std::string percentDecode(std::string_view s, bool plusIsSpace = false);
// Encodes everything but unreserved characters (RFC 3986).
std::string percentEncode(std::string_view s);

// An ordered, multi-valued query string.
class Query {
 public:
  static Query parse(std::string_view raw);  // "a=1&b=2" (no leading '?')
  void add(std::string key, std::string value);
  std::optional<std::string> get(std::string_view key) const;  // first value
  bool has(std::string_view key) const { return get(key).has_value(); }
  std::string encode() const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Url {
  std::string scheme;  // "https"
  std::string host;    // "127.0.0.1"
  uint16_t port = 0;   // explicit or the scheme's default
  std::string path;    // "/api/v0" (no trailing slash unless the path is "/")

  std::string origin() const;  // "https://127.0.0.1:6443"
};

std::optional<Url> parseUrl(std::string_view url);

}  // namespace dbtoken::http
