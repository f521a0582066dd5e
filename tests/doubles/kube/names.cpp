#include "kube/names.h"

#include <random>
#include <regex>

namespace dbtoken::kubedouble {
namespace {

const std::regex& re(const char* pattern) {
  // Patterns are a fixed, small set: compile each once per call site.
  thread_local std::vector<std::pair<const char*, std::regex>> cache;
  for (auto& [p, r] : cache) {
    if (p == pattern) {
      return r;
    }
  }
  cache.emplace_back(pattern, std::regex(pattern, std::regex::ECMAScript));
  return cache.back().second;
}

constexpr const char* kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr const char* kDns1123SubdomainRe =
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
constexpr const char* kDns1123LabelRe = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
constexpr const char* kQualifiedNameRe = "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";
constexpr const char* kLabelValueRe = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
constexpr const char* kConfigMapKeyRe = "^[-._a-zA-Z0-9]+$";

std::string maxLenError(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

std::string regexError(const std::string& msg, const std::string& fmt,
                       const std::vector<std::string>& examples) {
  std::string s = msg + " (";
  if (!examples.empty()) {
    s += "e.g. ";
    for (size_t i = 0; i < examples.size(); ++i) {
      if (i > 0) {
        s += ",  or ";
      }
      s += "'" + examples[i] + "'";
    }
    s += ", ";
  }
  s += "regex used for validation is '" + fmt + "')";
  return s;
}

}  // namespace

std::vector<std::string> isDns1123Subdomain(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 253) {
    errs.push_back(maxLenError(253));
  }
  if (!std::regex_match(value, re(kDns1123SubdomainRe))) {
    errs.push_back(regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
        "'-' or '.', and must start and end with an alphanumeric character",
        std::string(kDns1123LabelFmt) + "(\\." + kDns1123LabelFmt + ")*", {"example.com"}));
  }
  return errs;
}

std::vector<std::string> isDns1123Label(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) {
    errs.push_back(maxLenError(63));
  }
  if (!std::regex_match(value, re(kDns1123LabelRe))) {
    errs.push_back(regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character",
        kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> isQualifiedName(const std::string& value) {
  std::vector<std::string> errs;
  std::string name = value;
  size_t slash = value.find('/');
  if (slash != std::string::npos) {
    std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (value.find('/', slash + 1) != std::string::npos) {
      errs.push_back(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
          "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is "
          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
          "and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& e : isDns1123Subdomain(prefix)) {
        errs.push_back("prefix part " + e);
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + maxLenError(63));
  }
  if (!std::regex_match(name, re(kQualifiedNameRe))) {
    errs.push_back(regexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character",
        "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> isValidLabelValue(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) {
    errs.push_back(maxLenError(63));
  }
  if (!std::regex_match(value, re(kLabelValueRe))) {
    errs.push_back(regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> isConfigMapKey(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 253) {
    errs.push_back(maxLenError(253));
  }
  if (!std::regex_match(value, re(kConfigMapKeyRe))) {
    errs.push_back(
        regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                   "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (value == ".") {
    errs.push_back("must not be '.'");
  } else if (value == "..") {
    errs.push_back("must not be '..'");
  } else if (value.rfind("..", 0) == 0) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::string randomSuffix(size_t n) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kAlphabet[pick(rng)];
  }
  return out;
}

}  // namespace dbtoken::kubedouble
