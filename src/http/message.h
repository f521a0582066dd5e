// HTTP messages as plain values: multi-valued headers in arrival order, looked up
// case-insensitively. Shared by the server and the client transport; no cpprestsdk types leak.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbtoken::http {

struct Header {
  std::string name;
  std::string value;
};

class Headers {
 public:
  void add(std::string name, std::string value);
  // Replaces every header of that name with one value.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;  // first value
  std::vector<std::string> getAll(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<Header>& all() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<Header> items_;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);

// Splits a header value at commas that are outside double quotes (e.g. several Warning values
// folded into one field), trimming whitespace.
std::vector<std::string> splitHeaderList(std::string_view value);

}  // namespace dbtoken::http
