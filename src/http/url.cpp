#include "http/url.h"

#include <cctype>
#include <charconv>

namespace dbtoken::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c == '+' && plusIsSpace) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string percentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Query Query::parse(std::string_view raw) {
  Query q;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t amp = raw.find('&', pos);
    std::string_view part = raw.substr(pos, amp == std::string_view::npos ? raw.npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        q.add(percentDecode(part, true), "");
      } else {
        q.add(percentDecode(part.substr(0, eq), true), percentDecode(part.substr(eq + 1), true));
      }
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  return q;
}

void Query::add(std::string key, std::string value) {
  items_.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string> Query::get(std::string_view key) const {
  for (const auto& [k, v] : items_) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

std::string Query::encode() const {
  std::string out;
  for (const auto& [k, v] : items_) {
    if (!out.empty()) {
      out += '&';
    }
    out += percentEncode(k);
    out += '=';
    out += percentEncode(v);
  }
  return out;
}

std::string Url::origin() const {
  return scheme + "://" + host + ":" + std::to_string(port);
}

std::optional<Url> parseUrl(std::string_view url) {
  Url u;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return std::nullopt;
  }
  u.scheme = std::string(url.substr(0, sep));
  for (auto& c : u.scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (u.scheme != "http" && u.scheme != "https") {
    return std::nullopt;
  }
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return std::nullopt;
  }
  u.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    u.port = static_cast<uint16_t>(value);
  } else {
    u.port = u.scheme == "https" ? 443 : 80;
  }
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.find('?') != std::string_view::npos || path.find('#') != std::string_view::npos) {
    return std::nullopt;
  }
  u.path = path == "/" ? "" : std::string(path);
  return u;
}

}  // namespace dbtoken::http
