#include "kube/protobuf_codec.h"

#include <algorithm>
#include <map>

#include "common/time_format.h"
#include "kube/base64.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

// A field of a generated Kubernetes protobuf message, enough to rebuild its JSON.
enum class F {
  kString,
  kBytes,  // base64 in JSON
  kInt,    // varint (int32/int64)
  kBool,
  kTime,       // metav1.Time -> RFC 3339 seconds
  kMicroTime,  // metav1.MicroTime -> RFC 3339 micro
  kMessage,
  kStringMap,  // map<string,string>
  kBytesMap,   // map<string,bytes>
};

struct Field {
  int number;
  const char* name;
  F type;
  const char* message = nullptr;  // for kMessage
  bool repeated = false;
};

using Schema = std::vector<Field>;

const std::map<std::string, Schema>& schemas() {
  static const std::map<std::string, Schema> kSchemas = {
      {"ObjectMeta",
       {{1, "name", F::kString},
        {2, "generateName", F::kString},
        {3, "namespace", F::kString},
        {4, "selfLink", F::kString},
        {5, "uid", F::kString},
        {6, "resourceVersion", F::kString},
        {7, "generation", F::kInt},
        {8, "creationTimestamp", F::kTime},
        {9, "deletionTimestamp", F::kTime},
        {10, "deletionGracePeriodSeconds", F::kInt},
        {11, "labels", F::kStringMap},
        {12, "annotations", F::kStringMap},
        {13, "ownerReferences", F::kMessage, "OwnerReference", true},
        {14, "finalizers", F::kString, nullptr, true}}},
      {"OwnerReference",
       {{1, "kind", F::kString},
        {3, "name", F::kString},
        {4, "uid", F::kString},
        {5, "apiVersion", F::kString},
        {6, "controller", F::kBool},
        {7, "blockOwnerDeletion", F::kBool}}},
      {"ObjectReference",
       {{1, "kind", F::kString},
        {2, "namespace", F::kString},
        {3, "name", F::kString},
        {4, "uid", F::kString},
        {5, "apiVersion", F::kString},
        {6, "resourceVersion", F::kString},
        {7, "fieldPath", F::kString}}},
      {"LocalObjectReference", {{1, "name", F::kString}}},
      {"Secret",
       {{1, "metadata", F::kMessage, "ObjectMeta"},
        {2, "data", F::kBytesMap},
        {3, "type", F::kString},
        {4, "stringData", F::kStringMap},
        {5, "immutable", F::kBool}}},
      {"ConfigMap",
       {{1, "metadata", F::kMessage, "ObjectMeta"},
        {2, "data", F::kStringMap},
        {3, "binaryData", F::kBytesMap},
        {4, "immutable", F::kBool}}},
      {"Namespace",
       {{1, "metadata", F::kMessage, "ObjectMeta"},
        {2, "spec", F::kMessage, "NamespaceSpec"},
        {3, "status", F::kMessage, "NamespaceStatus"}}},
      {"NamespaceSpec", {{1, "finalizers", F::kString, nullptr, true}}},
      {"NamespaceStatus", {{1, "phase", F::kString}}},
      {"ServiceAccount",
       {{1, "metadata", F::kMessage, "ObjectMeta"},
        {2, "secrets", F::kMessage, "ObjectReference", true},
        {3, "imagePullSecrets", F::kMessage, "LocalObjectReference", true},
        {4, "automountServiceAccountToken", F::kBool}}},
      {"Lease",
       {{1, "metadata", F::kMessage, "ObjectMeta"}, {2, "spec", F::kMessage, "LeaseSpec"}}},
      {"LeaseSpec",
       {{1, "holderIdentity", F::kString},
        {2, "leaseDurationSeconds", F::kInt},
        {3, "acquireTime", F::kMicroTime},
        {4, "renewTime", F::kMicroTime},
        {5, "leaseTransitions", F::kInt},
        {6, "strategy", F::kString},
        {7, "preferredHolder", F::kString}}},
      {"EventSource", {{1, "component", F::kString}, {2, "host", F::kString}}},
      {"ListMeta",
       {{1, "selfLink", F::kString},
        {2, "resourceVersion", F::kString},
        {3, "continue", F::kString},
        {4, "remainingItemCount", F::kInt}}},
      {"StatusCause",
       {{1, "reason", F::kString}, {2, "message", F::kString}, {3, "field", F::kString}}},
      {"StatusDetails",
       {{1, "name", F::kString},
        {2, "group", F::kString},
        {3, "kind", F::kString},
        {4, "causes", F::kMessage, "StatusCause", true},
        {5, "retryAfterSeconds", F::kInt},
        {6, "uid", F::kString}}},
      {"Status",
       {{1, "metadata", F::kMessage, "ListMeta"},
        {2, "status", F::kString},
        {3, "message", F::kString},
        {4, "reason", F::kString},
        {5, "details", F::kMessage, "StatusDetails"},
        {6, "code", F::kInt}}},
      {"Event",
       {{1, "metadata", F::kMessage, "ObjectMeta"},
        {2, "involvedObject", F::kMessage, "ObjectReference"},
        {3, "reason", F::kString},
        {4, "message", F::kString},
        {5, "source", F::kMessage, "EventSource"},
        {6, "firstTimestamp", F::kTime},
        {7, "lastTimestamp", F::kTime},
        {8, "count", F::kInt},
        {9, "type", F::kString},
        {10, "eventTime", F::kMicroTime},
        {12, "action", F::kString},
        {13, "related", F::kMessage, "ObjectReference"},
        {14, "reportingComponent", F::kString},
        {15, "reportingInstance", F::kString}}},
  };
  return kSchemas;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) {
        return false;
      }
      auto b = static_cast<unsigned char>(data_[pos_++]);
      out |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return true;
      }
    }
    return false;
  }
  bool bytes(std::string_view& out) {
    uint64_t n = 0;
    if (!varint(n) || n > data_.size() - pos_) {
      return false;
    }
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(int wire) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case 0:
        return varint(v);
      case 1:
        pos_ += 8;
        return pos_ <= data_.size();
      case 2:
        return bytes(s);
      case 5:
        pos_ += 4;
        return pos_ <= data_.size();
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool decodeMessage(std::string_view data, const std::string& type, json& out, std::string& error);

bool decodeTime(std::string_view data, bool micro, json& out) {
  Reader r(data);
  int64_t seconds = 0;
  int64_t nanos = 0;
  while (!r.done()) {
    uint64_t key = 0;
    if (!r.varint(key)) {
      return false;
    }
    uint64_t v = 0;
    if ((key & 7) != 0 || !r.varint(v)) {
      return false;
    }
    if ((key >> 3) == 1) {
      seconds = static_cast<int64_t>(v);
    } else if ((key >> 3) == 2) {
      nanos = static_cast<int64_t>(v);
    }
  }
  common::WallTime t{std::chrono::duration_cast<common::WallTime::duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos))};
  out = micro ? common::formatRfc3339Micro(t) : common::formatRfc3339(t);
  return true;
}

bool decodeMapEntry(std::string_view data, bool bytesValue, json& map) {
  Reader r(data);
  std::string key;
  std::string value;
  while (!r.done()) {
    uint64_t tag = 0;
    std::string_view s;
    if (!r.varint(tag) || (tag & 7) != 2 || !r.bytes(s)) {
      return false;
    }
    if ((tag >> 3) == 1) {
      key.assign(s);
    } else if ((tag >> 3) == 2) {
      value.assign(s);
    }
  }
  map[key] = bytesValue ? base64Encode(value) : value;
  return true;
}

bool decodeMessage(std::string_view data, const std::string& type, json& out, std::string& error) {
  auto it = schemas().find(type);
  if (it == schemas().end()) {
    error = "no protobuf schema for " + type;
    return false;
  }
  out = json::object();
  Reader r(data);
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.varint(tag)) {
      error = "truncated protobuf";
      return false;
    }
    int number = static_cast<int>(tag >> 3);
    int wire = static_cast<int>(tag & 7);
    const Field* field = nullptr;
    for (const auto& f : it->second) {
      if (f.number == number) {
        field = &f;
      }
    }
    if (field == nullptr) {
      if (!r.skip(wire)) {
        error = "malformed protobuf";
        return false;
      }
      continue;
    }
    json value;
    if (wire == 0) {
      uint64_t v = 0;
      if (!r.varint(v)) {
        error = "truncated protobuf";
        return false;
      }
      value = field->type == F::kBool ? json(v != 0) : json(static_cast<int64_t>(v));
    } else if (wire == 2) {
      std::string_view s;
      if (!r.bytes(s)) {
        error = "truncated protobuf";
        return false;
      }
      switch (field->type) {
        case F::kString:
          value = std::string(s);
          break;
        case F::kBytes:
          value = base64Encode(s);
          break;
        case F::kTime:
        case F::kMicroTime:
          if (!decodeTime(s, field->type == F::kMicroTime, value)) {
            error = "malformed time";
            return false;
          }
          break;
        case F::kMessage:
          if (!decodeMessage(s, field->message, value, error)) {
            return false;
          }
          break;
        case F::kStringMap:
        case F::kBytesMap:
          if (!out.contains(field->name)) {
            out[field->name] = json::object();
          }
          if (!decodeMapEntry(s, field->type == F::kBytesMap, out[field->name])) {
            error = "malformed map entry";
            return false;
          }
          continue;
        default:
          break;
      }
    } else if (!r.skip(wire)) {
      error = "malformed protobuf";
      return false;
    }
    if (field->repeated) {
      out[field->name].push_back(std::move(value));
    } else if (!(value.is_string() && value.get_ref<const std::string&>().empty()) &&
               !(value.is_number_integer() && value.get<int64_t>() == 0)) {
      out[field->name] = std::move(value);  // Go's JSON omits empty strings and zero numbers
    }
  }
  return true;
}

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void putTag(std::string& out, int number, int wire) {
  putVarint(out, (static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire));
}

void putBytes(std::string& out, int number, std::string_view data) {
  putTag(out, number, 2);
  putVarint(out, data.size());
  out.append(data);
}

std::string encodeMessage(const json& value, const std::string& type);

std::string encodeTime(const std::string& text) {
  std::string out;
  auto t = common::parseRfc3339(text);
  if (!t) {
    return out;
  }
  auto since = t->time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - seconds);
  putTag(out, 1, 0);
  putVarint(out, static_cast<uint64_t>(seconds.count()));
  if (nanos.count() != 0) {
    putTag(out, 2, 0);
    putVarint(out, static_cast<uint64_t>(nanos.count()));
  }
  return out;
}

void encodeField(std::string& out, const Field& f, const json& v) {
  switch (f.type) {
    case F::kString:
      if (v.is_string()) {
        putBytes(out, f.number, v.get<std::string>());
      }
      break;
    case F::kBytes:
      if (v.is_string()) {
        putBytes(out, f.number, base64Decode(v.get<std::string>()).value_or(""));
      }
      break;
    case F::kInt:
      if (v.is_number()) {
        putTag(out, f.number, 0);
        putVarint(out, static_cast<uint64_t>(v.get<int64_t>()));
      }
      break;
    case F::kBool:
      if (v.is_boolean()) {
        putTag(out, f.number, 0);
        putVarint(out, v.get<bool>() ? 1 : 0);
      }
      break;
    case F::kTime:
    case F::kMicroTime:
      if (v.is_string()) {
        putBytes(out, f.number, encodeTime(v.get<std::string>()));
      }
      break;
    case F::kMessage:
      if (v.is_object()) {
        putBytes(out, f.number, encodeMessage(v, f.message));
      }
      break;
    case F::kStringMap:
    case F::kBytesMap:
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
          std::string entry;
          putBytes(entry, 1, it.key());
          std::string value = it->is_string() ? it->get<std::string>() : "";
          if (f.type == F::kBytesMap) {
            value = base64Decode(value).value_or("");
          }
          putBytes(entry, 2, value);
          putBytes(out, f.number, entry);
        }
      }
      break;
  }
}

std::string encodeMessage(const json& value, const std::string& type) {
  std::string out;
  auto it = schemas().find(type);
  if (it == schemas().end() || !value.is_object()) {
    return out;
  }
  std::vector<Field> fields = it->second;
  std::sort(fields.begin(), fields.end(),
            [](const Field& a, const Field& b) { return a.number < b.number; });
  for (const auto& f : fields) {
    auto v = value.find(f.name);
    if (v == value.end() || v->is_null()) {
      continue;
    }
    if (f.repeated && v->is_array()) {
      for (const auto& item : *v) {
        encodeField(out, f, item);
      }
    } else {
      encodeField(out, f, *v);
    }
  }
  return out;
}

}  // namespace

bool protobufKnows(const std::string& kind) {
  std::string base = kind;
  if (base.size() > 4 && base.substr(base.size() - 4) == "List") {
    base = base.substr(0, base.size() - 4);
  }
  return schemas().count(base) > 0 && base != "ObjectMeta" && base != "ListMeta";
}

std::string encodeKubernetesProtobuf(const json& object) {
  std::string kind = object.value("kind", "");
  std::string raw;
  if (kind.size() > 4 && kind.substr(kind.size() - 4) == "List" && kind != "List") {
    std::string item = kind.substr(0, kind.size() - 4);
    putBytes(raw, 1, encodeMessage(object.value("metadata", json::object()), "ListMeta"));
    for (const auto& i : object.value("items", json::array())) {
      putBytes(raw, 2, encodeMessage(i, item));
    }
  } else {
    raw = encodeMessage(object, kind);
  }
  std::string typeMeta;
  putBytes(typeMeta, 1, object.value("apiVersion", ""));
  putBytes(typeMeta, 2, kind);
  std::string unknown;
  putBytes(unknown, 1, typeMeta);
  putBytes(unknown, 2, raw);
  putBytes(unknown, 3, "");
  putBytes(unknown, 4, "");
  return std::string("k8s\0", 4) + unknown;
}

std::optional<nlohmann::json> decodeKubernetesProtobuf(std::string_view body, std::string& error) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) {
    error = "provided object is not a Kubernetes protobuf envelope";
    return std::nullopt;
  }
  // runtime.Unknown: 1 typeMeta {1 apiVersion, 2 kind}, 2 raw.
  Reader r(body.substr(4));
  std::string apiVersion;
  std::string kind;
  std::string_view raw;
  while (!r.done()) {
    uint64_t tag = 0;
    std::string_view s;
    if (!r.varint(tag)) {
      error = "truncated protobuf";
      return std::nullopt;
    }
    if ((tag & 7) != 2) {
      if (!r.skip(static_cast<int>(tag & 7))) {
        error = "malformed protobuf";
        return std::nullopt;
      }
      continue;
    }
    if (!r.bytes(s)) {
      error = "truncated protobuf";
      return std::nullopt;
    }
    if ((tag >> 3) == 1) {
      Reader tm(s);
      while (!tm.done()) {
        uint64_t t = 0;
        std::string_view v;
        if (!tm.varint(t) || !tm.bytes(v)) {
          break;
        }
        ((t >> 3) == 1 ? apiVersion : kind).assign(v);
      }
    } else if ((tag >> 3) == 2) {
      raw = s;
    }
  }
  json out;
  if (!decodeMessage(raw, kind, out, error)) {
    return std::nullopt;
  }
  out["apiVersion"] = apiVersion;
  out["kind"] = kind;
  return out;
}

}  // namespace dbtoken::kubedouble
