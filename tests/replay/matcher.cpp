#include "replay/matcher.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <regex>

#include "common/time_format.h"

namespace dbtoken::replay {
namespace {

struct Placeholder {
  const char* prefix;  // "<rv-", "<time>"
  const char* pattern;
  bool binds;
};

const std::vector<Placeholder>& placeholders() {
  static const std::vector<Placeholder> kAll = {
      {"<rv-", "[0-9]+", true},
      {"<uid-", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", true},
      {"<continue-", "[A-Za-z0-9_=-]+", true},
      {"<time>", "(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?Z)", false},
      {"<age>", "(?:[0-9]+[smhdy])+|<invalid>|<unknown>", false},
      {"<random5>", "[a-z0-9]{5}", false},
      {"<go-pointer>", "0x[0-9a-f]+", false},
      {"<random>", "[0-9]+", false},
      {"<gitVersion>", "v[0-9.]+[^\"]*", false},
      {"<gitCommit>", "[0-9a-f]{40}", false},
      {"<gitTreeState>", "clean|dirty", false},
      {"<buildDate>", "[0-9TZ:.-]+", false},
      {"<goVersion>", "go[0-9.]+", false},
  };
  return kAll;
}

std::string escapeRegex(const std::string& s) {
  static const std::string kSpecial = "\\^$.|?*+()[]{}";
  std::string out;
  for (char c : s) {
    if (kSpecial.find(c) != std::string::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// Splits a recorded string into literal text and placeholders, building the regex that
// matches it and remembering which capture groups bind which placeholder.
bool compilePattern(const std::string& recorded, std::string& regex,
                    std::vector<std::string>& groups) {
  bool any = false;
  size_t pos = 0;
  while (pos < recorded.size()) {
    size_t lt = recorded.find('<', pos);
    if (lt == std::string::npos) {
      regex += escapeRegex(recorded.substr(pos));
      break;
    }
    regex += escapeRegex(recorded.substr(pos, lt - pos));
    size_t gt = recorded.find('>', lt);
    bool matched = false;
    if (gt != std::string::npos) {
      std::string token = recorded.substr(lt, gt - lt + 1);
      for (const auto& p : placeholders()) {
        std::string prefix = p.prefix;
        bool fits = p.binds ? token.rfind(prefix, 0) == 0 &&
                                  token.find_first_not_of("0123456789", prefix.size()) ==
                                      token.size() - 1 &&
                                  token.size() > prefix.size() + 1
                            : token == prefix;
        if (fits) {
          regex += std::string(p.binds ? "(" : "(?:") + p.pattern + ")";
          if (p.binds) {
            groups.push_back(token);
          }
          pos = gt + 1;
          matched = true;
          any = true;
          break;
        }
      }
    }
    if (!matched) {
      regex += escapeRegex("<");
      pos = lt + 1;
    }
  }
  return any;
}

std::string uuid4() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng();
  uint64_t b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace

std::optional<std::string> Bindings::bound(const std::string& placeholder) const {
  auto it = values_.find(placeholder);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool Bindings::bindAll(const std::vector<std::pair<std::string, std::string>>& captures,
                       std::string& why) {
  for (const auto& [placeholder, actual] : captures) {
    auto it = values_.find(placeholder);
    if (it != values_.end()) {
      if (it->second != actual) {
        why = placeholder + " was " + it->second + ", now " + actual;
        return false;
      }
      continue;
    }
    auto r = reverse_.find(actual);
    if (r != reverse_.end() && r->second != placeholder &&
        placeholder.rfind("<continue-", 0) != 0) {
      why = actual + " is already " + r->second + ", recorded as " + placeholder;
      return false;
    }
    values_[placeholder] = actual;
    reverse_[actual] = placeholder;
  }
  return true;
}

bool Bindings::matchString(const std::string& recorded, const std::string& actual,
                           std::string& why) {
  if (auto a = aliases_.find(recorded); a != aliases_.end()) {
    if (a->second == actual) {
      return true;
    }
  }
  std::string regex;
  std::vector<std::string> groups;
  if (!compilePattern(recorded, regex, groups)) {
    if (recorded == actual) {
      return true;
    }
    why = "expected \"" + recorded.substr(0, 300) + "\", got \"" + actual.substr(0, 300) + "\"";
    return false;
  }
  std::smatch m;
  std::regex re(regex);
  if (!std::regex_match(actual, m, re)) {
    why = "expected \"" + recorded.substr(0, 300) + "\", got \"" + actual.substr(0, 300) + "\"";
    return false;
  }
  std::vector<std::pair<std::string, std::string>> captures;
  for (size_t i = 0; i < groups.size(); ++i) {
    captures.emplace_back(groups[i], m[i + 1].str());
  }
  return bindAll(captures, why);
}

bool Bindings::match(const ojson& recorded, const json& actual, const std::string& path,
                     std::string& why) {
  auto fail = [&](const std::string& what) {
    why = path + ": " + what;
    return false;
  };
  if (recorded.is_object()) {
    if (!actual.is_object()) {
      return fail("expected an object, got " + actual.dump().substr(0, 200));
    }
    for (auto it = recorded.begin(); it != recorded.end(); ++it) {
      if (!actual.contains(it.key())) {
        return fail("missing key \"" + it.key() + "\"");
      }
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
      if (!recorded.contains(it.key())) {
        return fail("unexpected key \"" + it.key() + "\" = " + it->dump().substr(0, 200));
      }
    }
    for (auto it = recorded.begin(); it != recorded.end(); ++it) {
      if (!match(it.value(), actual[it.key()], path + "." + it.key(), why)) {
        return false;
      }
    }
    return true;
  }
  if (recorded.is_array()) {
    if (!actual.is_array()) {
      return fail("expected an array, got " + actual.dump().substr(0, 200));
    }
    if (recorded.size() != actual.size()) {
      return fail("expected " + std::to_string(recorded.size()) + " items, got " +
                  std::to_string(actual.size()) + ": " + actual.dump().substr(0, 400));
    }
    for (size_t i = 0; i < recorded.size(); ++i) {
      if (!match(recorded[i], actual[i], path + "[" + std::to_string(i) + "]", why)) {
        return false;
      }
    }
    return true;
  }
  if (recorded.is_string() && relaxed_.count(path) > 0) {
    std::string inner;
    if (!actual.is_string() ||
        actual.get<std::string>().find_first_not_of("0123456789") != std::string::npos) {
      return fail("expected a resourceVersion, got " + actual.dump());
    }
    const std::string& placeholder = recorded.get_ref<const std::string&>();
    if (placeholder.rfind("<rv-", 0) == 0 && values_.count(placeholder) == 0) {
      values_[placeholder] = actual.get<std::string>();  // bind, even if the value has a label
    }
    return true;
  }
  if (recorded.is_string()) {
    if (!actual.is_string()) {
      return fail("expected string \"" + recorded.get<std::string>() + "\", got " +
                  actual.dump().substr(0, 200));
    }
    std::string inner;
    if (!matchString(recorded.get<std::string>(), actual.get<std::string>(), inner)) {
      return fail(inner);
    }
    return true;
  }
  if (recorded.is_number() && actual.is_number()) {
    if (recorded.dump() == actual.dump() || recorded.get<double>() == actual.get<double>()) {
      return true;
    }
  }
  if (recorded.dump() != actual.dump()) {
    return fail("expected " + recorded.dump() + ", got " + actual.dump().substr(0, 200));
  }
  return true;
}

std::string Bindings::substitute(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t lt = text.find('<', pos);
    if (lt == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, lt - pos);
    size_t gt = text.find('>', lt);
    if (gt == std::string::npos) {
      out += text.substr(lt);
      break;
    }
    std::string token = text.substr(lt, gt - lt + 1);
    if (auto v = values_.find(token); v != values_.end()) {
      out += v->second;
    } else if (token.rfind("<uid-", 0) == 0) {
      std::string fresh = uuid4();
      values_[token] = fresh;
      reverse_[fresh] = token;
      out += fresh;
    } else if (token == "<time>") {
      out += common::formatRfc3339(std::chrono::system_clock::now());
    } else {
      out += token;
    }
    pos = gt + 1;
  }
  for (const auto& [recorded, actual] : aliases_) {
    size_t at = 0;
    while ((at = out.find(recorded, at)) != std::string::npos) {
      out.replace(at, recorded.size(), actual);
      at += actual.size();
    }
  }
  return out;
}

ojson Bindings::substitute(const ojson& value) {
  if (value.is_string()) {
    return substitute(value.get<std::string>());
  }
  if (value.is_object()) {
    ojson out = ojson::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[it.key()] = substitute(it.value());
    }
    return out;
  }
  if (value.is_array()) {
    ojson out = ojson::array();
    for (const auto& v : value) {
      out.push_back(substitute(v));
    }
    return out;
  }
  return value;
}

std::string pythonDumps(const ojson& value) {
  switch (value.type()) {
    case ojson::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) {
          out += ", ";
        }
        first = false;
        out += pythonDumps(ojson(it.key())) + ": " + pythonDumps(it.value());
      }
      return out + "}";
    }
    case ojson::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) {
          out += ", ";
        }
        out += pythonDumps(value[i]);
      }
      return out + "]";
    }
    case ojson::value_t::string: {
      // ensure_ascii: non-ASCII as \uXXXX (UTF-16 units).
      std::string dumped = value.dump(-1, ' ', true);
      return dumped;
    }
    default:
      return value.dump();
  }
}

void stripManagedFields(json& value) {
  if (value.is_object()) {
    if (auto m = value.find("metadata"); m != value.end() && m->is_object()) {
      m->erase("managedFields");
    }
    for (auto& [k, v] : value.items()) {
      (void)k;
      stripManagedFields(v);
    }
  } else if (value.is_array()) {
    for (auto& v : value) {
      stripManagedFields(v);
    }
  }
}

}  // namespace dbtoken::replay
