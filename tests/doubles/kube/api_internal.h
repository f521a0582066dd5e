// Pieces shared by the ApiServer's translation units (not part of its interface): the decoded
// request target, content negotiation, list options, watchers and body decoding.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kube/api_server.h"
#include "kube/errors.h"

namespace dbtoken::kubedouble {

struct ApiServer::Target {
  ResourceTypePtr type;
  std::string ns;    // namespace from the URL ("" for cluster-scoped or all namespaces)
  std::string name;  // "" for collections
  std::string subresource;
  std::string key() const { return type->namespaced ? ns + "/" + name : name; }
  std::string prefix() const { return type->namespaced && !ns.empty() ? ns + "/" : ""; }
};

// What the client accepts, reduced to what the double can produce.
struct ApiServer::Accept {
  enum class Kind { kJson, kYaml, kTable, kPartialMetadata, kPartialMetadataList, kProtobuf };
  Kind kind = Kind::kJson;
  std::string version = "v1";  // Table / PartialObjectMetadata version
  bool acceptable = true;      // false: answer 406
};

struct ApiServer::ListOptions {
  std::string labelSelectorText;
  LabelSelector labels;
  FieldSelector fields;
  std::optional<std::string> resourceVersion;
  std::string resourceVersionMatch;
  long long limit = 0;
  std::string continueToken;
  bool watch = false;
  bool allowBookmarks = false;
  bool sendInitialEvents = false;
  std::optional<long long> timeoutSeconds;
  std::string includeObject;  // Table rows: None, Metadata (default), Object
};

struct ApiServer::Watcher {
  ResourceTypePtr type;
  std::string prefix;  // namespace filter
  ListOptions opts;
  Accept accept;
  std::shared_ptr<WatchStream> stream;
  common::Clock::SteadyTime deadline;
  common::Clock::SteadyTime nextBookmark;
  uint64_t lastRv = 0;       // the newest resourceVersion sent (or the start)
  bool sentColumns = false;  // Table watches carry column definitions once
  bool bookmarkedAtEnd = false;
};

// Parses a Content-Type or Accept entry: "application/json;as=Table;v=v1;g=meta.k8s.io".
struct MediaType {
  std::string type;  // "application/json"
  std::map<std::string, std::string> params;
};
std::vector<MediaType> parseMediaTypes(const std::string& header);

// JSON or YAML body → JSON, noting duplicate keys ("spec", "spec.description").
struct DecodedBody {
  nlohmann::json value;
  std::vector<std::string> duplicates;
};
std::optional<DecodedBody> decodeJson(const std::string& body, std::string& error);
std::optional<DecodedBody> decodeYaml(const std::string& body, std::string& error);
std::string summarizeData(const std::string& data);  // apiserver's 30-byte body summary

std::string uuid4();
std::string objectKey(const ResourceType& type, const std::string& ns, const std::string& name);
bool parseUint(const std::string& s, uint64_t& out);
std::string goParseIntError(const std::string& fn, const std::string& s);

// A dotted, simple-JSONPath lookup: ".status.phase" → value or nullptr.
const nlohmann::json* lookupPath(const nlohmann::json& obj, const std::string& path);

// An object's metadata as PartialObjectMetadata carries it.
nlohmann::json partialMetadata(const nlohmann::json& object, const std::string& version);

std::string jsonToYaml(const nlohmann::json& value);

}  // namespace dbtoken::kubedouble
