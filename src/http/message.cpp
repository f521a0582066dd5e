#include "http/message.h"

#include <algorithm>
#include <cctype>

namespace dbtoken::http {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void Headers::add(std::string name, std::string value) {
  items_.push_back({std::move(name), std::move(value)});
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  items_.erase(std::remove_if(items_.begin(), items_.end(),
                              [&](const Header& h) { return equalsIgnoreCase(h.name, name); }),
               items_.end());
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& h : items_) {
    if (equalsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Headers::getAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : items_) {
    if (equalsIgnoreCase(h.name, name)) {
      out.push_back(h.value);
    }
  }
  return out;
}

std::vector<std::string> splitHeaderList(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  bool escaped = false;
  auto flush = [&] {
    size_t b = cur.find_first_not_of(" \t");
    size_t e = cur.find_last_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(cur.substr(b, e - b + 1));
    }
    cur.clear();
  };
  for (char c : value) {
    if (escaped) {
      cur += c;
      escaped = false;
      continue;
    }
    if (quoted && c == '\\') {
      cur += c;
      escaped = true;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
    }
    if (c == ',' && !quoted) {
      flush();
      continue;
    }
    cur += c;
  }
  flush();
  return out;
}

}  // namespace dbtoken::http
