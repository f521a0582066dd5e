// Helpers of the ApiServer translation units: media types, body decoding (JSON with duplicate
// keys noticed, YAML), summaries, ids, simple JSONPath lookups, YAML output.
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>
#include <set>

#include "kube/api_internal.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return "";
  }
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Converts a yaml-cpp node to JSON the way sigs.k8s.io/yaml does for the common cases: plain
// scalars become booleans, numbers or null when they look like them; quoted ones stay strings.
json yamlToJson(const YAML::Node& node, std::vector<std::string>& path,
                std::vector<std::string>& duplicates) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") {
        return s;  // quoted
      }
      if (s == "true" || s == "True" || s == "TRUE") {
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        return false;
      }
      if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) {
        return nullptr;
      }
      long long i = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec == std::errc() && p == s.data() + s.size()) {
        return i;
      }
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str() + s.size() && !s.empty() &&
          s.find_first_of("0123456789") != std::string::npos &&
          s.find_first_not_of("0123456789.eE+-") == std::string::npos) {
        return d;
      }
      return s;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) {
        arr.push_back(yamlToJson(item, path, duplicates));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        std::string key = kv.first.as<std::string>();
        path.push_back(key);
        if (obj.contains(key)) {
          std::string full;
          for (const auto& p : path) {
            full += (full.empty() ? "" : ".") + p;
          }
          duplicates.push_back(full);
        }
        obj[key] = yamlToJson(kv.second, path, duplicates);
        path.pop_back();
      }
      return obj;
    }
  }
  return nullptr;
}

// Plain scalars that YAML would read back as something other than the same string.
bool needsQuotes(const std::string& s) {
  if (s.empty()) {
    return true;
  }
  static const char* kWords[] = {"true", "false", "yes",   "no",  "on", "off", "null",
                                 "~",    "True",  "False", "Yes", "No", "On",  "Off",
                                 "Null", "TRUE",  "FALSE", "YES", "NO", "ON",  "OFF",
                                 "NULL", "y",     "n",     "Y",   "N"};
  for (const char* w : kWords) {
    if (s == w) {
      return true;
    }
  }
  if (s.find_first_not_of("0123456789.-+eE") == std::string::npos) {
    return true;
  }
  if (std::isdigit(static_cast<unsigned char>(s[0])) && s.size() >= 10 && s[4] == '-') {
    return true;  // looks like a timestamp
  }
  static const std::string kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s[0]) != std::string::npos || s.front() == ' ' || s.back() == ' ') {
    return true;
  }
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos ||
      s.find('\n') != std::string::npos || s.back() == ':') {
    return true;
  }
  return false;
}

void emitYaml(YAML::Emitter& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key << it.key() << YAML::Value;
        emitYaml(out, it.value());
      }
      out << YAML::EndMap;
      return;
    case json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) {
        emitYaml(out, item);
      }
      out << YAML::EndSeq;
      return;
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos) {
        out << YAML::Literal << s;
      } else if (needsQuotes(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      return;
    case json::value_t::null:
      out << YAML::Null;
      return;
    default:
      out << v.dump();
      return;
  }
}

}  // namespace

std::vector<MediaType> parseMediaTypes(const std::string& header) {
  std::vector<MediaType> out;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    std::string part =
        header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    MediaType mt;
    size_t semi = part.find(';');
    mt.type = lower(trim(part.substr(0, semi)));
    while (semi != std::string::npos) {
      size_t next = part.find(';', semi + 1);
      std::string param = trim(
          part.substr(semi + 1, next == std::string::npos ? std::string::npos : next - semi - 1));
      size_t eq = param.find('=');
      if (eq != std::string::npos) {
        mt.params[lower(trim(param.substr(0, eq)))] = trim(param.substr(eq + 1));
      }
      semi = next;
    }
    if (!mt.type.empty()) {
      out.push_back(std::move(mt));
    }
    if (comma == std::string::npos) {
      break;
    }
    pos = comma + 1;
  }
  return out;
}

std::optional<DecodedBody> decodeJson(const std::string& body, std::string& error) {
  DecodedBody out;
  // One frame per open object/array: the keys seen so far and the frame's name in its parent.
  struct Frame {
    bool isObject;
    std::string name;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames;
  std::string lastKey;
  auto pathOf = [&](const std::string& key) {
    std::string full;
    for (size_t i = 1; i < frames.size(); ++i) {
      if (!frames[i].name.empty()) {
        full += frames[i].name + ".";
      }
    }
    return full + key;
  };
  auto cb = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        std::string name = !frames.empty() && frames.back().isObject ? lastKey : "";
        frames.push_back({event == json::parse_event_t::object_start, name, {}});
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames.empty()) {
          frames.pop_back();
        }
        break;
      case json::parse_event_t::key:
        lastKey = parsed.get<std::string>();
        if (!frames.empty() && !frames.back().keys.insert(lastKey).second) {
          out.duplicates.push_back(pathOf(lastKey));
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    out.value = json::parse(body, cb);
  } catch (const json::parse_error& e) {
    bool atEnd = e.byte >= body.size() || body.find_first_not_of(" \t\r\n") == std::string::npos;
    if (atEnd) {
      error = "unexpected end of JSON input";
    } else {
      char c = body[e.byte > 0 ? e.byte - 1 : 0];
      error = std::string("invalid character '") + c + "' looking for beginning of value";
    }
    return std::nullopt;
  }
  return out;
}

std::optional<DecodedBody> decodeYaml(const std::string& body, std::string& error) {
  try {
    YAML::Node node = YAML::Load(body);
    DecodedBody out;
    std::vector<std::string> path;
    out.value = yamlToJson(node, path, out.duplicates);
    return out;
  } catch (const YAML::Exception& e) {
    error = std::string("yaml: ") + e.what();
    return std::nullopt;
  }
}

std::string summarizeData(const std::string& data) {
  static const char* kHex = "0123456789abcdef";
  if (data.empty()) {
    return "<empty>";
  }
  auto hex = [&](size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      auto c = static_cast<unsigned char>(data[i]);
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  };
  if (data[0] == '{') {
    return data.size() > 30 ? data.substr(0, 30) + " ..." : data;
  }
  return data.size() > 30 ? hex(30) + " ..." : hex(data.size());
}

std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng();
  uint64_t b = rng();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string objectKey(const ResourceType& type, const std::string& ns, const std::string& name) {
  return type.namespaced ? ns + "/" + name : name;
}

bool parseUint(const std::string& s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::string goParseIntError(const std::string& fn, const std::string& s) {
  return "strconv." + fn + ": parsing " + goQuote(s) + ": invalid syntax";
}

const json* lookupPath(const json& obj, const std::string& path) {
  const json* cur = &obj;
  size_t pos = 0;
  if (!path.empty() && path[0] == '.') {
    pos = 1;
  }
  while (pos < path.size()) {
    size_t dot = path.find('.', pos);
    std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    size_t bracket = seg.find('[');
    std::optional<size_t> index;
    if (bracket != std::string::npos && seg.back() == ']') {
      index = std::stoul(seg.substr(bracket + 1, seg.size() - bracket - 2));
      seg = seg.substr(0, bracket);
    }
    if (!cur->is_object()) {
      return nullptr;
    }
    auto it = cur->find(seg);
    if (it == cur->end()) {
      return nullptr;
    }
    cur = &*it;
    if (index) {
      if (!cur->is_array() || *index >= cur->size()) {
        return nullptr;
      }
      cur = &(*cur)[*index];
    }
    if (dot == std::string::npos) {
      break;
    }
    pos = dot + 1;
  }
  return cur;
}

json partialMetadata(const json& object, const std::string& version) {
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/" + version},
          {"metadata", object.value("metadata", json::object())}};
}

std::string jsonToYaml(const json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  emitYaml(out, value);
  std::string text = out.c_str();
  return text + "\n";
}

}  // namespace dbtoken::kubedouble
